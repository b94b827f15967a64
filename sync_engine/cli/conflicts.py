"""``synchub conflicts``: list, inspect and resolve conflicts; the next run applies a resolution."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from sync_engine.cli.config_cmds import ConfigOption
from sync_engine.cli.state import open_state
from sync_engine.store import ConflictRecord, StoreError

app = typer.Typer(help="Review and resolve conflicts between the two systems.", no_args_is_help=True)


def _short(value: Any, width: int = 40) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str) if not isinstance(value, str) else value
    return text if len(text) <= width else text[: width - 1] + "…"


def parse_age(text: str | None) -> timedelta | None:
    """``30m``, ``2h``, ``7d`` -> a timedelta; None stays None."""
    if text is None:
        return None
    match = re.fullmatch(r"\s*(\d+)\s*([smhd])\s*", text)
    if not match:
        raise typer.BadParameter(f"{text!r} is not an age like 30m, 2h or 7d")
    unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[match.group(2)]
    return timedelta(**{unit: int(match.group(1))})


@app.command("list")
def list_conflicts(
    flow: Annotated[str | None, typer.Option("--flow", help="Only this flow.")] = None,
    entity: Annotated[str | None, typer.Option("--entity", help="Only this entity.")] = None,
    older_than: Annotated[
        str | None, typer.Option("--older-than", help="Only older than e.g. 2h, 7d.")
    ] = None,
    state: Annotated[
        str, typer.Option("--status", help="open, resolved, applied, superseded or all.")
    ] = "open",
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    config: ConfigOption = None,
) -> None:
    """List conflicts (open ones by default)."""
    with open_state(config) as (_, store):
        rows = store.list_conflicts(
            status=None if state == "all" else state,
            flow=flow,
            entity=entity,
            older_than=parse_age(older_than),
            limit=1000,
        )
    if json_output:
        typer.echo(json.dumps([_as_dict(c) for c in rows], default=str, ensure_ascii=False, indent=2))
        return
    if not rows:
        Console().print(f"No {state if state != 'all' else ''} conflicts.".replace("  ", " "))
        return
    table = Table(title=f"{len(rows)} conflict(s)", title_justify="left")
    for column in ("id", "flow", "record", "field", "kind", "erp", "crm", "status", "opened"):
        table.add_column(column)
    for c in rows:
        table.add_row(
            str(c.id),
            c.flow,
            c.canonical_id[:12],
            c.field,
            c.kind,
            _short((c.values or {}).get("erp")),
            _short((c.values or {}).get("crm")),
            c.status,
            c.created_at.strftime("%Y-%m-%d %H:%M") if c.created_at else "",
        )
    Console().print(table)


def _as_dict(c: ConflictRecord) -> dict[str, Any]:
    return {k: getattr(c, k) for k in c.__dataclass_fields__}


@app.command()
def show(
    conflict_id: Annotated[int, typer.Argument(help="Conflict id.")],
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    config: ConfigOption = None,
) -> None:
    """Show one conflict side by side: base, ERP and CRM values, when each side changed."""
    with open_state(config) as (_, store):
        c = store.get_conflict(conflict_id)
    if c is None:
        typer.echo(f"No conflict #{conflict_id}; see `synchub conflicts list --status all`.", err=True)
        raise typer.Exit(1)
    if json_output:
        typer.echo(json.dumps(_as_dict(c), default=str, ensure_ascii=False, indent=2))
        return
    systems = c.systems or {}
    table = Table(
        title=f"conflict #{c.id} — {c.flow} {c.entity} {c.canonical_id}, field {c.field}",
        title_justify="left",
    )
    table.add_column("")
    table.add_column("last synced (base)")
    table.add_column(f"ERP ({systems.get('erp', 'erp')})")
    table.add_column(f"CRM ({systems.get('crm', 'crm')})")
    values = c.values or {}
    table.add_row("value", _short(c.base, 60), _short(values.get("erp"), 60), _short(values.get("crm"), 60))
    changed = c.changed_at or {}
    table.add_row(
        "changed at", "", str(changed.get("erp") or "unknown"), str(changed.get("crm") or "unknown")
    )
    console = Console()
    console.print(table)
    console.print(
        f"status: {c.status}" + (f", resolved with {c.resolution} by {c.resolved_by}" if c.resolution else "")
    )
    if c.status == "open":
        console.print(
            f"Resolve: [bold]synchub conflicts resolve {c.id} --take erp[/bold] (or --take crm, --value)"
        )


@app.command()
def resolve(
    conflict_id: Annotated[int, typer.Argument(help="Conflict id.")],
    take: Annotated[str | None, typer.Option("--take", help="Keep this side's value: erp or crm.")] = None,
    value: Annotated[
        str | None, typer.Option("--value", help="Use this value instead (JSON, e.g. '\"Acme\"').")
    ] = None,
    user: Annotated[str | None, typer.Option("--user", help="Who resolves (default: $USER).")] = None,
    config: ConfigOption = None,
) -> None:
    """Resolve a conflict with one side's value (--take) or a new one (--value); the next run applies it."""
    import getpass

    if (take is None) == (value is None):
        typer.echo("Give exactly one of --take erp|crm or --value JSON.", err=True)
        raise typer.Exit(2)
    if take is not None and take not in ("erp", "crm"):
        typer.echo(f"--take must be erp or crm, not {take!r}.", err=True)
        raise typer.Exit(2)
    parsed: Any = None
    if value is not None:
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError as exc:
            typer.echo(f"--value must be JSON (a string needs quotes: '\"text\"'): {exc}", err=True)
            raise typer.Exit(2) from None
    with open_state(config) as (_, store):
        try:
            c = store.resolve_conflict(
                conflict_id, choice=take or "value", value=parsed, user=user or getpass.getuser()
            )
        except StoreError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from None
    Console().print(
        f"Conflict #{c.id} resolved ({c.resolution}: {_short(c.resolved_value, 60)}). "
        f"The next run of flow [bold]{c.flow}[/bold] writes it to both sides."
    )
