"""The ops page's server: a JSON API and the page's script, mounted by the plugin at ``/synchub``.

The page itself is a React app inside the Airflow UI (``ui/``, built to ``ui/dist/ops.js``); this app
serves its script and the data it shows: conflicts, dead letters and runs (records named as people
know them, with both systems' ids and links), charts, and the margin report.

Every route requires an authenticated Airflow user allowed to view SyncHub (:mod:`auth`); resolving
and retrying need edit on the flow's DAG; every POST carries the user's CSRF token in the
``X-CSRF-Token`` header (:mod:`csrf`). GET routes change nothing.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from sync_engine.airflow.auth import Authorizer, Viewer, token_of
from sync_engine.airflow.csrf import check_token, make_token
from sync_engine.airflow.dag_factory import dag_id
from sync_engine.airflow.ops.audit import AuditSink
from sync_engine.airflow.ops.charts import BUCKETS, chart_data
from sync_engine.airflow.ops.dag_runs import DagRunSource, link_runs
from sync_engine.airflow.ops.listing import (
    ConflictQuery,
    DeadLetterQuery,
    ListingError,
    Page,
    RunQuery,
    conflicts_page,
    dead_letters_page,
    runs_page,
)
from sync_engine.airflow.ops.records import ConnectorPool, Records
from sync_engine.airflow.ops.views import conflict_view, dead_letter_view, iso, run_view
from sync_engine.config import Config
from sync_engine.reporting.margin import margins, rows_csv
from sync_engine.reporting.sources import margin_facts
from sync_engine.store import Store, StoreError

__all__ = ["BUNDLE", "CSRF_HEADER", "State", "create_app", "parse_age", "parse_value"]

log = logging.getLogger("synchub.ops")
BUNDLE = Path(__file__).parent / "ui" / "dist" / "ops.js"
CSRF_HEADER = "X-CSRF-Token"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@dataclass
class State:
    config: Config
    store: Store
    pool: ConnectorPool | None = field(default=None)

    def __post_init__(self) -> None:
        if self.pool is None:
            self.pool = ConnectorPool(self.config)

    def records(self) -> Records:
        assert self.pool is not None
        return Records(self.config, self.store, self.pool)


StateSource = Callable[[], State]


def parse_age(text: str | None) -> timedelta | None:
    """``30m``, ``2h``, ``7d`` -> timedelta; empty -> None."""
    if not text:
        return None
    match = re.fullmatch(r"\s*(\d+)\s*([smhd])\s*", text)
    if not match:
        raise HTTPException(400, f"age {text!r} is not like 30m, 2h or 7d")
    unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[match.group(2)]
    return timedelta(**{unit: int(match.group(1))})


def parse_value(text: str) -> Any:
    """A typed value: JSON when it parses (``12.5``, ``true``, ``"x"``), otherwise the plain text."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


class Resolve(BaseModel):
    ids: list[int] = Field(min_length=1, max_length=500)
    choice: Literal["erp", "crm", "value"]
    value: str | None = None
    """For ``choice: value``: JSON when it parses, else the text."""


class Retry(BaseModel):
    ids: list[int] = Field(min_length=1, max_length=500)


async def current_viewer(request: Request) -> Viewer:
    """The authenticated Airflow user allowed to view SyncHub; 401/403 otherwise."""
    authorizer: Authorizer = request.app.state.authorizer
    token = token_of(request.headers, request.cookies)
    found = await authorizer.authenticate(token) if token else None
    if found is None:
        raise HTTPException(401, "log in to Airflow first", headers={"WWW-Authenticate": "Bearer"})
    if not authorizer.can_view(found):
        raise HTTPException(403, f"user {found.name!r} may not view SyncHub")
    return found


User = Annotated[Viewer, Depends(current_viewer)]


def create_app(
    state: StateSource,
    authorizer: Authorizer,
    secret: str,
    *,
    dag_runs: DagRunSource | None = None,
    audit: AuditSink | None = None,
    bundle: Path = BUNDLE,
) -> FastAPI:
    """The ops app; ``state`` opens config and store, ``secret`` signs CSRF tokens, ``dag_runs`` finds
    the Airflow DAG run of a SyncHub run, ``audit`` receives one entry per decision."""
    app = FastAPI(title="SyncHub ops", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.authorizer = authorizer

    def answer(data: Any, status: int = 200) -> JSONResponse:
        return JSONResponse(data, status_code=status, headers=SECURITY_HEADERS)

    def require_csrf(request: Request, user: Viewer) -> None:
        if not check_token(secret, user.name, request.headers.get(CSRF_HEADER)):
            raise HTTPException(
                403, f"missing or expired {CSRF_HEADER} header: reload the page and try again"
            )

    def audit_entry(event: str, flow: str, user: Viewer, extra: dict[str, Any]) -> None:
        if audit is None:
            return
        try:
            audit.record(event=event, dag_id=dag_id(flow), user=user.name, extra=extra)
        except Exception as exc:  # the decision is stored; a full audit table must not undo it
            log.warning("could not write Airflow audit log entry %s for %s: %s", event, flow, exc)

    def paged(found: Page[Any], rows: list[dict[str, Any]]) -> JSONResponse:
        return answer({"total": found.total, "page": found.page, "page_size": found.page_size, "rows": rows})

    def editable(user: Viewer, flows: set[str]) -> dict[str, bool]:
        return {flow: authorizer.can_edit(user, dag_id(flow)) for flow in flows}

    def listing(call: Callable[[], Any]) -> Any:
        try:
            return call()
        except ListingError as exc:
            raise HTTPException(400, str(exc)) from None

    def flow_names(s: State, flow: str) -> list[str]:
        if flow and flow not in s.config.flows:
            raise HTTPException(400, f"no flow {flow!r}; flows: {', '.join(sorted(s.config.flows))}")
        return [flow] if flow else sorted(s.config.flows)

    @app.get("/ui/ops.js")
    def script(user: User) -> Response:
        if not bundle.is_file():
            raise HTTPException(
                503, "the SyncHub page is not built: run `bash .ci/setup` (needs Node 20 and npm)"
            )
        return FileResponse(bundle, media_type="text/javascript", headers=SECURITY_HEADERS)

    @app.get("/api/session")
    def session(user: User) -> JSONResponse:
        s = state()
        flows = []
        for name, flow in sorted(s.config.flows.items()):
            dag = dag_id(name)
            flows.append(
                {
                    "name": name,
                    "entity": flow.entity,
                    "dag_id": dag,
                    "enabled": flow.enabled,
                    "systems": {"erp": flow.erp, "crm": flow.crm},
                    "can_edit": authorizer.can_edit(user, dag),
                    "can_trigger": authorizer.can_trigger(user, dag),
                }
            )
        return answer(
            {
                "user": user.name,
                "csrf_token": make_token(secret, user.name),
                "csrf_header": CSRF_HEADER,
                "flows": flows,
                "systems": {n: {"connector": sys.connector} for n, sys in s.config.systems.items()},
                "buckets": list(BUCKETS),
            }
        )

    @app.get("/api/conflicts")
    def conflicts(
        user: User,
        status: str = "open",
        flow: str = "",
        entity: str = "",
        field: str = "",
        older_than: str = "",
        sort: str = "opened",
        page: int = 1,
        page_size: int = 50,
    ) -> JSONResponse:
        s = state()
        if status not in ("open", "resolved", "applied", "superseded", "all"):
            raise HTTPException(400, f"status {status!r} is not open, resolved, applied, superseded or all")
        q = ConflictQuery(
            status=None if status == "all" else status,
            flow=flow or None,
            entity=entity or None,
            field=field or None,
            older_than=parse_age(older_than),
            sort=sort,
            page=page,
            page_size=page_size,
        )
        found = listing(lambda: conflicts_page(s.store, q))
        refs = s.records().for_conflicts(found.rows)
        edit = editable(user, {c.flow for c in found.rows})
        return paged(found, [conflict_view(c, refs.get(c.id), can_resolve=edit[c.flow]) for c in found.rows])

    @app.get("/api/conflicts/{conflict_id}")
    def conflict(user: User, conflict_id: int) -> JSONResponse:
        s = state()
        c = s.store.get_conflict(conflict_id)
        if c is None:
            raise HTTPException(404, f"no conflict #{conflict_id}")
        ref = s.records().for_conflicts([c]).get(c.id)
        return answer(conflict_view(c, ref, can_resolve=authorizer.can_edit(user, dag_id(c.flow))))

    @app.post("/api/conflicts/resolve")
    def resolve(request: Request, user: User, body: Resolve) -> JSONResponse:
        require_csrf(request, user)
        if body.choice == "value" and body.value is None:
            raise HTTPException(400, "choice 'value' needs a value (JSON when it parses, else text)")
        store = state().store
        value = parse_value(body.value) if body.choice == "value" and body.value is not None else None
        results: list[dict[str, Any]] = []
        flows: set[str] = set()
        for conflict_id in dict.fromkeys(body.ids):
            c = store.get_conflict(conflict_id)
            if c is None:
                results.append({"id": conflict_id, "ok": False, "error": f"no conflict #{conflict_id}"})
                continue
            if not authorizer.can_edit(user, dag_id(c.flow)):
                results.append(
                    {
                        "id": c.id,
                        "ok": False,
                        "error": f"you may not change flow {c.flow!r} (needs edit on DAG {dag_id(c.flow)})",
                    }
                )
                continue
            try:
                done = store.resolve_conflict(c.id, choice=body.choice, value=value, user=user.name)
            except StoreError as exc:
                results.append({"id": c.id, "ok": False, "error": str(exc)})
                continue
            flows.add(done.flow)
            log.info(
                "conflict %s (%s %s field %s) resolved with %s by %s",
                done.id,
                done.flow,
                done.canonical_id,
                done.field,
                done.resolution,
                user.name,
            )
            audit_entry(
                "synchub.resolve_conflict",
                done.flow,
                user,
                {
                    "conflict": done.id,
                    "record": done.canonical_id,
                    "field": done.field,
                    "choice": done.resolution,
                    "value": done.resolved_value,
                },
            )
            results.append({"id": done.id, "ok": True, "flow": done.flow})
        return answer({"results": results, "flows": sorted(flows)})

    @app.get("/api/dead-letters")
    def dead_letters(
        user: User,
        status: str = "open",
        flow: str = "",
        stage: str = "",
        sort: str = "-created",
        page: int = 1,
        page_size: int = 50,
    ) -> JSONResponse:
        s = state()
        if status not in ("open", "retrying", "resolved", "all"):
            raise HTTPException(400, f"status {status!r} is not open, retrying, resolved or all")
        q = DeadLetterQuery(
            status=None if status == "all" else status,
            flow=flow or None,
            stage=stage or None,
            sort=sort,
            page=page,
            page_size=page_size,
        )
        found = listing(lambda: dead_letters_page(s.store, q))
        refs = s.records().for_dead_letters(found.rows)
        edit = editable(user, {d.flow for d in found.rows})
        return paged(found, [dead_letter_view(d, refs.get(d.id), can_retry=edit[d.flow]) for d in found.rows])

    @app.post("/api/dead-letters/retry")
    def retry(request: Request, user: User, body: Retry) -> JSONResponse:
        require_csrf(request, user)
        store = state().store
        results: list[dict[str, Any]] = []
        flows: set[str] = set()
        for letter_id in dict.fromkeys(body.ids):
            d = store.get_dead_letter(letter_id)
            if d is None:
                results.append({"id": letter_id, "ok": False, "error": f"no dead letter #{letter_id}"})
            elif not authorizer.can_edit(user, dag_id(d.flow)):
                results.append({"id": d.id, "ok": False, "error": f"you may not change flow {d.flow!r}"})
            elif d.status != "open":
                results.append(
                    {"id": d.id, "ok": False, "error": f"dead letter #{d.id} is {d.status}, not open"}
                )
            else:
                store.set_dead_letter_status([d.id], "retrying")
                flows.add(d.flow)
                audit_entry(
                    "synchub.retry_dead_letter",
                    d.flow,
                    user,
                    {"dead_letter": d.id, "system": d.system, "record": d.external_id},
                )
                results.append({"id": d.id, "ok": True, "flow": d.flow})
        return answer({"results": results, "flows": sorted(flows)})

    @app.get("/api/runs")
    def runs(
        user: User,
        flow: str = "",
        status: str = "",
        dry_runs: bool = True,
        page: int = 1,
        page_size: int = 50,
    ) -> JSONResponse:
        s = state()
        q = RunQuery(
            flow=flow or None,
            status=status or None,
            include_dry_runs=dry_runs,
            page=page,
            page_size=page_size,
        )
        found = listing(lambda: runs_page(s.store, q))
        links = _dag_run_links(dag_runs, found.rows)
        return paged(found, [run_view(r, links.get(r.id)) for r in found.rows])

    @app.get("/api/runs/{run_id}")
    def run(user: User, run_id: int) -> JSONResponse:
        s = state()
        r = s.store.get_run(run_id)
        if r is None:
            raise HTTPException(404, f"no run #{run_id}")
        entries = s.store.list_audit(run_id=run_id, limit=200)
        refs = s.records().for_audit(entries)
        writes = [
            {"system": e.system, "op": e.op, "at": iso(e.at), "record": ref.as_dict()}
            for e, ref in zip(entries, refs, strict=True)
        ]
        view = run_view(r, _dag_run_links(dag_runs, [r]).get(r.id))
        return answer({**view, "writes": writes})

    @app.get("/api/charts")
    def charts(user: User, flow: str = "", bucket: str = "hour") -> JSONResponse:
        s = state()
        if bucket not in BUCKETS:
            raise HTTPException(400, f"bucket {bucket!r} is not one of {', '.join(BUCKETS)}")
        return answer(chart_data(s.store, flow_names(s, flow), bucket).as_dict())

    def margin_rows(s: State, by: str) -> tuple[list[Any], Any]:
        if by not in ("customer", "product", "order"):
            raise HTTPException(400, f"by {by!r} is not customer, product or order")
        facts = margin_facts(s.config, s.store)
        grouping: Literal["customer", "product", "order"] = by  # type: ignore[assignment]
        return margins(facts.orders, facts.costs, by=grouping, labels=facts.labels), facts

    @app.get("/api/margin")
    def margin(user: User, by: str = "customer") -> JSONResponse:
        s = state()
        rows, facts = margin_rows(s, by)
        entity = {"customer": "customer", "product": "product", "order": "sales_order"}[by]
        refs = s.records().for_canonical(entity, [r.key for r in rows])
        out = []
        for row in rows:
            ref = refs.get(row.key)
            item = {**row.as_dict(), "record": ref.as_dict() if ref else None}
            if by == "order":
                customer = facts.order_customers.get(row.key)
                item["customer"] = facts.labels.get(customer or "", customer)
            out.append(item)
        return answer({"by": by, "rows": out, "skipped": facts.skipped})

    @app.get("/api/margin.csv")
    def margin_csv(user: User, by: str = "customer") -> Response:
        rows, _ = margin_rows(state(), by)
        grouping: Literal["customer", "product", "order"] = by  # type: ignore[assignment]
        return Response(
            rows_csv(rows, by=grouping),
            media_type="text/csv; charset=utf-8",
            headers={
                **SECURITY_HEADERS,
                "Content-Disposition": f'attachment; filename="synchub-margin-by-{by}.csv"',
            },
        )

    return app


def _dag_run_links(source: DagRunSource | None, runs: list[Any]) -> dict[int, dict[str, Any]]:
    try:
        return link_runs(source, runs)
    except Exception as exc:  # Airflow's database away: the runs still show, without links
        log.warning("could not find the DAG runs of SyncHub runs: %s", exc)
        return {}
