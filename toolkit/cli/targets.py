"""`edgetk targets list|show|probe|docs`: the known targets, their descriptors, and the measured op tables."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from toolkit.schemas import document

targets_app = typer.Typer(help="List and show target descriptors; probe runtimes; generate SUPPORTED_OPS.md.",
                          no_args_is_help=True)


@targets_app.command("list")
def list_cmd(as_json: bool = typer.Option(False, "--json", help="Print the edgetk.targets/1 JSON document.")) -> None:
    """List every known target (shipped and user descriptors)."""
    from toolkit.targets import load_registry

    targets = load_registry().all()
    if as_json:
        rows = [{"name": t.name, "title": t.title, "runtime": t.runtime.name, "transport": t.reach.transport,
                 "file": t.source_file} for t in targets]  # fmt: skip
        typer.echo(json.dumps(document("edgetk.targets/1", {"targets": rows}), indent=1))
        return
    from toolkit.report.columns import print_text, table_lines, terminal_width

    rows = [[t.name, f"{t.runtime.name} {t.runtime.version}", t.reach.transport, t.title] for t in targets]
    print_text(table_lines(["name", "runtime", "reach", "title"], rows, terminal_width()))


@targets_app.command("show")
def show_cmd(
    name: str = typer.Argument(..., help="Target name."),
    as_json: bool = typer.Option(False, "--json", help="Print the resolved descriptor (edgetk.target/1)."),
) -> None:
    """Show one target's resolved descriptor (after `extends`)."""
    from toolkit.targets import load_registry

    target = load_registry().get(name)
    doc = target.model_dump(mode="json")
    if as_json:
        typer.echo(json.dumps(document("edgetk.target/1", {**doc, "source_file": target.source_file}), indent=1))
        return
    from toolkit.report.columns import terminal_width
    from toolkit.report.target_text import target_lines

    for line in target_lines(target.name, target.title, str(target.source_file), doc, terminal_width()):
        typer.echo(line)


@targets_app.command("probe")
def probe_cmd(
    runtime: list[str] = typer.Option([], "--runtime", "-r", help="litert | tflite-runtime | tflm (repeatable; default all)."),
    out: Path = typer.Option(None, "--out", help="Directory for <runtime>.json (default: the user config dir, "
                             "whose tables are read before the shipped ones)."),
    accelerator: str = typer.Option(None, "--accelerator", help="gpu: probe LiteRT's GPU accelerator (WebGPU on "
                                    "SwiftShader) into litert-gpu.json instead of the CPU runtimes."),
) -> None:
    """Measure which ops/versions/dtypes each real runtime supports (children; ~seconds per runtime)."""
    from toolkit.paths import user_optables_dir
    from toolkit.targets.probe import probe_runtimes

    out_dir = out or user_optables_dir()
    if accelerator is not None:
        _probe_accelerator(accelerator, out_dir)
        return
    for table, path in probe_runtimes(runtime, out_dir):
        present = sum(1 for e in table["ops"].values() if e["status"] == "present")
        typer.echo(f"{table['runtime']['name']} {table['runtime']['version']}: {present}/{len(table['ops'])} builtin ops have a kernel "
                   f"({table['probe_seconds']} s) -> {path}")


def _probe_accelerator(accelerator: str, out_dir: Path) -> None:
    from collections import Counter

    from toolkit.errors import BadInputError
    from toolkit.targets.gpu_probe import probe_gpu, write_gpu_table

    if accelerator != "gpu":
        raise BadInputError(f"unknown accelerator '{accelerator}' (known: gpu)")
    table = probe_gpu()
    path = write_gpu_table(table, out_dir)
    counts = Counter(e["status"] for e in table["ops"].values())
    cells = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    typer.echo(f"LiteRT {table['runtime']['version']} GPU ({table['backend']}): {cells}; "
               f"{len(table['variants'])} parameter variants ({table['probe_seconds']} s) -> {path}")


@targets_app.command("docs")
def docs_cmd(out: Path = typer.Option(Path("docs/SUPPORTED_OPS.md"), "--out", help="Where to write the Markdown.")) -> None:
    """Generate the supported-ops document from descriptors, probed tables and rule docstrings."""
    from toolkit.fileio import write_text
    from toolkit.targets import load_registry
    from toolkit.targets.docs import supported_ops_markdown

    write_text(out, supported_ops_markdown(load_registry()))
    typer.echo(f"wrote {out}")


def register(app: typer.Typer) -> None:
    app.add_typer(targets_app, name="targets")
