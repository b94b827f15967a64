"""``synchub mappings ...``: work with mapping files (preview one record through a mapping)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from sync_engine.mapping import MappingFileError, load_mapping
from sync_engine.mapping.preview import preview, shown

app = typer.Typer(help="Work with mapping files (mappings/<connector>/<entity>.yaml).", no_args_is_help=True)


@app.command("preview")
def preview_command(
    connector: Annotated[str, typer.Argument(help="Connector name, e.g. memory or salesforce.")],
    entity: Annotated[str, typer.Argument(help="Entity, e.g. customer.")],
    record_file: Annotated[Path, typer.Argument(metavar="RECORD.json", help="One record as JSON.")],
    reverse: Annotated[
        bool, typer.Option("--reverse", help="The record is canonical; map it to the native form.")
    ] = False,
    mappings_dir: Annotated[
        Path, typer.Option("--mappings-dir", help="Folder holding <connector>/<entity>.yaml.")
    ] = Path("mappings"),
) -> None:
    """Map one record and show, per field, the value and the rule that produced it.

    References resolve to placeholders like <ref customer:123>; nothing is read from the store.
    Exits with 1 when the mapping file or the record has a problem.
    """
    console = Console(soft_wrap=True)
    try:
        mapping = load_mapping(mappings_dir, connector, entity)
    except MappingFileError as exc:
        for problem in exc.problems:
            console.print(str(problem), markup=False)
        raise typer.Exit(1) from None
    record = _read_record(record_file, console)

    result = preview(mapping, record, reverse=reverse)
    direction = "canonical -> native" if reverse else "native -> canonical"
    table = Table(title=f"{mapping.path} ({direction})")
    for column in ("canonical field", "value", "native field", "rule"):
        table.add_column(column, overflow="fold")
    for trace in result.traces:
        value = "[red]FAILED[/red]" if trace.error else _escape(shown(trace.value))
        table.add_row(_escape(trace.canonical), value, _escape(trace.native), _escape(trace.rule))
    console.print(table)
    console.print("mapped record:", style="bold")
    console.print(json.dumps(result.record, ensure_ascii=False, indent=2, default=str), markup=False)
    if not result.ok:
        console.print(f"{len(result.problems)} problem(s):", style="bold red")
        for problem in result.problems:
            console.print(f"  {problem}", markup=False)
        raise typer.Exit(1)


def _read_record(path: Path, console: Console) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        console.print(f"{path}: file not found", markup=False)
        raise typer.Exit(1) from None
    except json.JSONDecodeError as exc:
        console.print(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}", markup=False)
        raise typer.Exit(1) from None
    if not isinstance(data, dict):
        console.print(f"{path}: expected one JSON object (a record), got {type(data).__name__}", markup=False)
        raise typer.Exit(1)
    return data


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
