"""The typer CLI. One module per verb; each parses options, calls ONE library function, renders."""
