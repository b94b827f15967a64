"""``synchub report margin``: revenue, cost and margin by customer, product or order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from sync_engine.cli.config_cmds import ConfigOption
from sync_engine.cli.state import open_state
from sync_engine.reporting.margin import Grouping, margins, rows_csv
from sync_engine.reporting.sources import margin_facts

app = typer.Typer(help="Reports from what SyncHub synced.", no_args_is_help=True)


@app.command("margin")
def margin(
    by: Annotated[
        str, typer.Option("--by", help="Group by customer, product or order.", case_sensitive=False)
    ] = "customer",
    csv_path: Annotated[
        Path | None,
        typer.Option("--csv", help="Write CSV to this file ('-' for standard output).", show_default=False),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    config: ConfigOption = None,
) -> None:
    """Revenue, cost and margin of the synced sales orders, costed with the ERP's product costs
    (an order's actual cost where the ERP provides it), largest margin first."""
    grouping = by.lower()
    if grouping not in ("customer", "product", "order"):
        raise typer.BadParameter(f"{by!r}: choose customer, product or order", param_hint="--by")
    with open_state(config) as (cfg, store):
        facts = margin_facts(cfg, store)
    rows = margins(facts.orders, facts.costs, by=_grouping(grouping), labels=facts.labels)
    for problem in facts.skipped:
        typer.echo(f"skipped: {problem}", err=True)
    if csv_path is not None:
        text = rows_csv(rows, by=_grouping(grouping))
        if str(csv_path) == "-":
            typer.echo(text, nl=False)
        else:
            csv_path.write_text(text, encoding="utf-8")
            typer.echo(f"{len(rows)} row(s) written to {csv_path}", err=True)
        return
    if json_output:
        typer.echo(json.dumps([r.as_dict() for r in rows], ensure_ascii=False, indent=2))
        return
    if not rows:
        Console().print("No confirmed sales orders synced yet: nothing to report.")
        return
    table = Table(title=f"Margin by {grouping}", title_justify="left")
    for column in (grouping, "orders", "revenue", "cost", "margin", "margin %", "lines without cost"):
        table.add_column(column, justify="left" if column == grouping else "right")
    for row in rows:
        percent = row.margin_percent
        table.add_row(
            row.label,
            str(len(row.orders)),
            f"{row.revenue:,.2f} {row.currency}",
            f"{row.cost:,.2f} {row.currency}",
            f"{row.margin:,.2f} {row.currency}",
            "" if percent is None else f"{percent}%",
            str(row.lines_without_cost or ""),
        )
    Console().print(table)


def _grouping(text: str) -> Grouping:
    return "product" if text == "product" else "order" if text == "order" else "customer"
