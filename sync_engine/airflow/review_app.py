"""The conflict review web app (FastAPI), mounted by the plugin at ``/synchub``.

Pages: open conflicts (filter by flow, entity, age), one conflict side by side with resolve
buttons, recent runs with counts, dead letters with a retry button. Every route requires an
authenticated Airflow user; forms carry a CSRF token; Jinja2 autoescapes everything it prints.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from sync_engine.airflow.auth import Authorizer, Viewer, token_of
from sync_engine.airflow.csrf import check_token, make_token
from sync_engine.airflow.dag_factory import dag_id
from sync_engine.config import Config
from sync_engine.store import Store, StoreError

TEMPLATES = Path(__file__).parent / "templates"
# Pages may be framed by the Airflow UI (same origin) but by nobody else.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class State:
    config: Config
    store: Store


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


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


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


def create_app(state: StateSource, authorizer: Authorizer, secret: str) -> FastAPI:
    """The review app; ``state`` opens config and store, ``secret`` signs CSRF tokens."""
    app = FastAPI(title="SyncHub conflict review", docs_url=None, redoc_url=None, openapi_url=None)
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True))
    env.filters["show"] = _show
    app.state.authorizer = authorizer

    def require_edit(user: Viewer, flow: str) -> None:
        if not authorizer.can_edit(user, dag_id(flow)):
            raise HTTPException(
                403, f"user {user.name!r} may not change flow {flow!r} (needs edit on its DAG)"
            )

    def require_csrf(user: Viewer, token: str) -> None:
        if not check_token(secret, user.name, token):
            raise HTTPException(403, "the form expired or did not come from this page; reload and try again")

    def page(request: Request, name: str, user: Viewer, **data: Any) -> HTMLResponse:
        html = env.get_template(name).render(
            base=request.scope.get("root_path", ""),
            user=user.name,
            csrf=make_token(secret, user.name),
            message=request.query_params.get("msg"),
            **data,
        )
        return HTMLResponse(html, headers=SECURITY_HEADERS)

    def back(request: Request, path: str, msg: str) -> RedirectResponse:
        from urllib.parse import urlencode

        return RedirectResponse(
            f"{request.scope.get('root_path', '')}{path}?{urlencode({'msg': msg})}", status_code=303
        )

    @app.get("/")
    async def home(request: Request, user: User) -> Response:
        return RedirectResponse(f"{request.scope.get('root_path', '')}/conflicts", status_code=303)

    @app.get("/conflicts", response_class=HTMLResponse)
    def conflicts(
        request: Request, user: User, flow: str = "", entity: str = "", older_than: str = ""
    ) -> HTMLResponse:
        s = state()
        rows = s.store.list_conflicts(
            flow=flow or None, entity=entity or None, older_than=parse_age(older_than), limit=500
        )
        return page(
            request,
            "conflicts.html",
            user,
            rows=rows,
            flows=sorted(s.config.flows),
            entities=sorted({f.entity for f in s.config.flows.values()}),
            filters={"flow": flow, "entity": entity, "older_than": older_than},
        )

    @app.get("/conflicts/{conflict_id}", response_class=HTMLResponse)
    def conflict(request: Request, user: User, conflict_id: int) -> HTMLResponse:
        c = state().store.get_conflict(conflict_id)
        if c is None:
            raise HTTPException(404, f"no conflict #{conflict_id}")
        return page(request, "conflict.html", user, c=c, can_edit=authorizer.can_edit(user, dag_id(c.flow)))

    @app.post("/conflicts/{conflict_id}/resolve")
    def resolve(
        request: Request,
        user: User,
        conflict_id: int,
        choice: Annotated[str, Form()],
        csrf_token: Annotated[str, Form()] = "",
        value: Annotated[str, Form()] = "",
    ) -> Response:
        require_csrf(user, csrf_token)
        store = state().store
        c = store.get_conflict(conflict_id)
        if c is None:
            raise HTTPException(404, f"no conflict #{conflict_id}")
        require_edit(user, c.flow)
        if choice not in ("erp", "crm", "value"):
            raise HTTPException(400, f"choice must be erp, crm or value, not {choice!r}")
        try:
            done = store.resolve_conflict(
                conflict_id,
                choice=choice,
                value=parse_value(value) if choice == "value" else None,
                user=user.name,
            )
        except StoreError as exc:
            return back(request, f"/conflicts/{conflict_id}", str(exc))
        return back(
            request,
            "/conflicts",
            f"Conflict #{done.id} ({done.flow} {done.canonical_id}, field {done.field}) resolved with "
            f"{done.resolution}; the next run of {done.flow} writes it to both sides.",
        )

    @app.get("/runs", response_class=HTMLResponse)
    def runs(request: Request, user: User, flow: str = "") -> HTMLResponse:
        s = state()
        return page(
            request,
            "runs.html",
            user,
            rows=s.store.list_runs(flow=flow or None, limit=100),
            flows=sorted(s.config.flows),
            filters={"flow": flow},
        )

    @app.get("/dead-letters", response_class=HTMLResponse)
    def dead_letters(request: Request, user: User, flow: str = "", status: str = "open") -> HTMLResponse:
        s = state()
        if status not in ("open", "retrying", "resolved", "all"):
            raise HTTPException(400, f"status must be open, retrying, resolved or all, not {status!r}")
        rows = s.store.list_dead_letters(
            status=None if status == "all" else status, flow=flow or None, limit=500
        )
        return page(
            request,
            "dead_letters.html",
            user,
            rows=rows,
            flows=sorted(s.config.flows),
            filters={"flow": flow, "status": status},
        )

    @app.post("/dead-letters/{dead_letter_id}/retry")
    def retry(
        request: Request, user: User, dead_letter_id: int, csrf_token: Annotated[str, Form()] = ""
    ) -> Response:
        require_csrf(user, csrf_token)
        store = state().store
        d = store.get_dead_letter(dead_letter_id)
        if d is None:
            raise HTTPException(404, f"no dead letter #{dead_letter_id}")
        require_edit(user, d.flow)
        store.set_dead_letter_status([d.id], "retrying")
        return back(
            request,
            "/dead-letters",
            f"Dead letter #{d.id} ({d.system} {d.external_id}) is marked for retry; "
            f"the next run of {d.flow} reads it again.",
        )

    return app
