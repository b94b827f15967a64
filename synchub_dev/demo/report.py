"""The demo's report: what moved where per flow, the open conflict, the servers, the phase times."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from synchub_dev.demo.runner import DemoResult

__all__ = ["print_report"]


def print_report(console: Console, result: DemoResult) -> None:
    _flows(console, result)
    _conflicts(console, result)
    _servers(console, result)
    _phases(console, result)
    _next_steps(console, result)


def _flows(console: Console, result: DemoResult) -> None:
    table = Table(title="What moved where", title_justify="left")
    for column in (
        "run",
        "flow (entity)",
        "Tryton (erp)",
        f"{result.crm_label} (crm)",
        "conflicts",
        "dead letters",
        "time",
    ):
        table.add_column(
            column, justify="right" if column in ("conflicts", "dead letters", "time") else "left"
        )
    for run in result.runs:
        report = run.report
        table.add_row(
            run.label,
            f"{report.flow} ({report.entity})",
            _moved(report.sides["erp"]),
            _moved(report.sides["crm"]),
            str(report.conflicts),
            str(report.dead_letters),
            f"{report.duration_s:.2f}s",
        )
    console.print(table)


def _moved(side: object) -> str:
    parts = [
        f"{getattr(side, key)} {key}"
        for key in ("created", "updated", "deleted", "failed")
        if getattr(side, key)
    ]
    return ", ".join(parts) or "-"


def _conflicts(console: Console, result: DemoResult) -> None:
    table = Table(title="Open conflicts (a person decides)", title_justify="left")
    for column in ("id", "flow", "field", "was", "Tryton (erp)", f"{result.crm_label} (crm)"):
        table.add_column(column, overflow="fold")
    for conflict in result.conflicts:
        table.add_row(
            str(conflict.id),
            conflict.flow,
            conflict.field,
            str(conflict.base),
            str(conflict.values.get("erp")),
            str(conflict.values.get("crm")),
        )
    console.print(table)


def _servers(console: Console, result: DemoResult) -> None:
    tryton, crm = result.servers["tryton"], result.servers[result.crm]
    table = Table(
        title="Running servers (they keep running; `synchub demo --stop` ends them)", title_justify="left"
    )
    table.add_column("server")
    table.add_column("what")
    table.add_column("value", overflow="fold")
    rows = (
        ("Tryton 8.2 (ERP)", "URL", tryton["url"]),
        ("", "database / user / password", f"{tryton['database']} / {tryton['user']} / {tryton['password']}"),
        ("", "look with", f"the Tryton 8.2 desktop client: host {tryton['url'].removeprefix('http://')}"),
        ("", "log", tryton["log"]),
        *(_suitecrm_rows(crm) if result.crm == "suitecrm" else _bottlecrm_rows(crm)),
    )
    for row in rows:
        table.add_row(*row)
    console.print(table)


def _bottlecrm_rows(crm: dict[str, Any]) -> tuple[tuple[str, str, str], ...]:
    return (
        ("BottleCRM (CRM)", "URL", crm["url"]),
        ("", "login email", crm["email"]),
        ("", "API token", crm["token"]),
        ("", "look with", f"{crm['url']}/swagger-ui/ (Authorize: Bearer <token>), or curl with that header"),
        ("", "log", crm["log"]),
    )


def _suitecrm_rows(crm: dict[str, Any]) -> tuple[tuple[str, str, str], ...]:
    return (
        ("SuiteCRM 7.14 (CRM)", "URL", crm["url"]),
        ("", "user / password", f"{crm['user']} / {crm['password']}"),
        ("", "look with", f"{crm['url']}/index.php (log in; Accounts, Quotes, Cases)"),
        ("", "log", crm["log"]),
    )


def _phases(console: Console, result: DemoResult) -> None:
    table = Table(title="Phases", title_justify="left")
    table.add_column("phase")
    table.add_column("time", justify="right")
    for name, seconds in result.phases:
        table.add_row(name, f"{seconds:.1f}s")
    table.add_row("[bold]total[/bold]", f"[bold]{result.total_s:.1f}s[/bold]")
    console.print(table)


def _next_steps(console: Console, result: DemoResult) -> None:
    config = _short(result.config_path)
    env = _short(result.workdir / "env.sh")
    console.print(
        "Next steps:\n"
        f"  source {env}                      # the connection URIs of both servers\n"
        f"  .venv/bin/synchub conflicts list -c {config}\n"
        f"  .venv/bin/synchub conflicts resolve ID --take erp -c {config} && "
        f".venv/bin/synchub run customers -c {config}\n"
        f"  .venv/bin/synchub status -c {config}\n"
        f"  .venv/bin/synchub demo --stop --workdir {_short(result.workdir)}"
    )


def _short(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
