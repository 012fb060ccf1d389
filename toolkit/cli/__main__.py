from toolkit.cli.main import run

run()
