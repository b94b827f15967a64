"""The ops page's API behind Airflow's own authentication (the real simple auth manager), over a state
store filled by real runs of the engine (tests/ops_world.py)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sync_engine.airflow.auth import AirflowAuthorizer
from sync_engine.airflow.csrf import make_token
from sync_engine.airflow.ops.audit import AirflowAuditLog
from sync_engine.airflow.review_app import CSRF_HEADER, State, create_app
from sync_engine.store.base import utcnow
from sync_engine.store.tables import CONFLICTS
from tests.memory_samples import native_customer
from tests.ops_world import CRM_URL, CUSTOMERS, ERP_URL, EXPECTED_BY_CUSTOMER, OpsWorld

SECRET = "ops-test-secret"
PREFIX = "/synchub"


@pytest.fixture(scope="module")
def tokens() -> dict[str, str]:
    """Real JWTs signed by the configured simple auth manager, for an admin and a read-only viewer."""
    from airflow.api_fastapi.app import create_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    manager = create_auth_manager()
    manager.init()
    return {
        role: manager.generate_jwt(SimpleAuthManagerUser(username=role, role=role.upper()))
        for role in ("admin", "viewer")
    }


class FakeDagRuns:
    """DAG runs as Airflow's metadata database would list them (the live test reads the real one)."""

    def __init__(self) -> None:
        self.runs: list[tuple[str, str, datetime, datetime | None]] = []

    def dag_runs(
        self, dag: str, start: datetime, end: datetime
    ) -> list[tuple[str, datetime, datetime | None]]:
        return [(r, s, e) for d, r, s, e in self.runs if d == dag and s <= end and (e is None or e >= start)]


class Audit:
    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    def record(self, *, event: str, dag_id: str, user: str, extra: dict[str, Any]) -> None:
        self.entries.append({"event": event, "dag_id": dag_id, "user": user, **extra})


@pytest.fixture
def world(tmp_path: Path) -> Iterator[OpsWorld]:
    w = OpsWorld(tmp_path)
    w.seed()
    w.run_all()
    for key, suffix in (("beijing", "北京"), ("mueller", "Müller"), ("acme", "Acme")):
        name = CUSTOMERS[key][0]
        w.rename_on_both_sides(key, f"{name} (ERP)", f"{suffix} CRM")
    w.erp.put("customer", None, native_customer("Too Long Vat GmbH", "DE-" + "9" * 30))
    w.run("customers")
    yield w
    w.close()


@pytest.fixture
def app_parts(world: OpsWorld, airflow_db: Path, tmp_path: Path) -> dict[str, Any]:
    bundle = tmp_path / "ops.js"
    return {"dag_runs": FakeDagRuns(), "audit": Audit(), "bundle": bundle}


@pytest.fixture
def client(world: OpsWorld, app_parts: dict[str, Any]) -> Iterator[TestClient]:
    state = State(world.config, world.store)
    root = FastAPI()  # mounted under a prefix, as the api-server does
    root.mount(PREFIX, create_app(lambda: state, AirflowAuthorizer(), SECRET, **app_parts))
    with TestClient(root, base_url="http://127.0.0.1") as c:
        yield c
    assert state.pool is not None
    state.pool.close()


def session(token: str) -> dict[str, str]:
    """The Airflow UI's session cookie, sent as a browser sends it."""
    return {"Cookie": f"_token={token}"}


def get(client: TestClient, token: str, path: str, **params: Any) -> Any:
    response = client.get(PREFIX + path, params=params, headers=session(token))
    assert response.status_code == 200, response.text
    return response.json()


def post(client: TestClient, token: str, path: str, body: dict[str, Any], user: str = "admin") -> Any:
    response = client.post(
        PREFIX + path, json=body, headers={**session(token), CSRF_HEADER: make_token(SECRET, user)}
    )
    assert response.status_code == 200, response.text
    return response.json()


GETS = [
    "/ui/ops.js",
    "/api/session",
    "/api/conflicts",
    "/api/conflicts/1",
    "/api/dead-letters",
    "/api/runs",
    "/api/runs/1",
    "/api/charts",
    "/api/margin",
    "/api/margin.csv",
]
POSTS = [("/api/conflicts/resolve", {"ids": [1], "choice": "erp"}), ("/api/dead-letters/retry", {"ids": [1]})]


@pytest.mark.parametrize("path", GETS + [p for p, _ in POSTS])
def test_anonymous_and_forged_requests_are_refused_on_every_route(
    client: TestClient, tokens: dict[str, str], path: str
) -> None:
    forged = tokens["admin"][:-4] + ("AAAA" if not tokens["admin"].endswith("AAAA") else "BBBB")
    method = "POST" if path in dict(POSTS) else "GET"
    body = dict(POSTS).get(path)
    for headers in ({}, {"Authorization": f"Bearer {forged}"}, session("not-a-jwt"), session(forged)):
        response = client.request(method, PREFIX + path, json=body, headers=headers)
        assert response.status_code == 401, (path, headers, response.text)


@pytest.mark.parametrize(("path", "body"), POSTS)
def test_changes_without_the_users_csrf_token_are_refused(
    client: TestClient, tokens: dict[str, str], world: OpsWorld, path: str, body: dict[str, Any]
) -> None:
    for csrf in ({}, {CSRF_HEADER: "1.forged"}, {CSRF_HEADER: make_token(SECRET, "viewer")}):
        response = client.post(PREFIX + path, json=body, headers={**session(tokens["admin"]), **csrf})
        assert response.status_code == 403, response.text
    assert world.store.count_conflicts(status="open") == 3
    assert world.store.count_dead_letters(status="open") == 1


def test_session_says_who_may_do_what_per_flow(client: TestClient, tokens: dict[str, str]) -> None:
    admin = get(client, tokens["admin"], "/api/session")
    assert admin["user"] == "admin" and admin["csrf_header"] == CSRF_HEADER
    flows = {f["name"]: f for f in admin["flows"]}
    assert set(flows) == {"customers", "products", "orders", "costs"}
    assert flows["customers"]["dag_id"] == "synchub_customers"
    assert flows["customers"]["can_edit"] and flows["customers"]["can_trigger"]
    viewer = get(client, tokens["viewer"], "/api/session")
    assert not any(f["can_edit"] or f["can_trigger"] for f in viewer["flows"])


def test_a_conflict_names_its_customer_with_both_ids_links_and_when_each_side_changed(
    client: TestClient, tokens: dict[str, str], world: OpsWorld
) -> None:
    page = get(client, tokens["admin"], "/api/conflicts", flow="customers")
    assert page["total"] == 3
    by_name = {row["record"]["name"]: row for row in page["rows"]}
    row = by_name["北京华信科技有限公司"]  # named by what was last synced, not by either new value
    assert row["values"] == {"erp": "北京华信科技有限公司 (ERP)", "crm": "北京 CRM"}
    assert row["field"] == "name" and row["can_resolve"] is True
    erp, crm = row["record"]["systems"]
    crm_id = world.crm_customer_id("北京 CRM")
    assert (erp["role"], erp["id"], erp["url"]) == (
        "erp",
        world.ids["beijing"],
        ERP_URL.format(entity="customer", id=world.ids["beijing"]),
    )
    assert (crm["role"], crm["id"], crm["url"]) == (
        "crm",
        crm_id,
        CRM_URL.format(entity="customer", id=crm_id),
    )
    assert row["changed_at"]["erp"]["source"] == row["changed_at"]["crm"]["source"] == "system"


def test_a_side_without_a_change_marker_shows_when_synchub_first_saw_the_change(
    client: TestClient, tokens: dict[str, str], world: OpsWorld
) -> None:
    [link] = [k for k in world.store.iter_links("products") if k.snapshot and k.snapshot["sku"] == "PMP-100"]
    conflict_id, _ = world.store.report_conflict(
        flow="products",
        entity="product",
        canonical_id=link.canonical_id,
        field="list_price",
        base=None,
        values={"erp": {"amount": "1250", "currency": "EUR"}, "crm": {"amount": "1300", "currency": "EUR"}},
        systems={"erp": "erp", "crm": "crm"},
        changed_at={"erp": "2026-11-02T09:00:00+00:00", "crm": None},
    )
    row = get(client, tokens["admin"], f"/api/conflicts/{conflict_id}")
    assert row["record"]["name"] == "PMP-100 · Kreiselpumpe KP-100"
    assert row["changed_at"] == {
        "erp": {"at": "2026-11-02T09:00:00+00:00", "source": "system"},
        "crm": {"at": row["opened_at"], "source": "first_seen"},  # BottleCRM-like: no change marker
    }


def test_conflicts_filter_sort_and_page(client: TestClient, tokens: dict[str, str], world: OpsWorld) -> None:
    token = tokens["admin"]
    first = get(client, token, "/api/conflicts", sort="-id", page_size=2)
    second = get(client, token, "/api/conflicts", sort="-id", page_size=2, page=2)
    ids = [r["id"] for r in first["rows"] + second["rows"]]
    assert (first["total"], len(first["rows"]), len(second["rows"])) == (3, 2, 1)
    assert ids == sorted(ids, reverse=True)
    assert get(client, token, "/api/conflicts", field="credit_limit")["total"] == 0
    assert get(client, token, "/api/conflicts", entity="customer", field="name")["total"] == 3
    assert get(client, token, "/api/conflicts", flow="products")["total"] == 0
    with world.store.transaction() as conn:  # one conflict was opened three days ago
        conn.execute(
            CONFLICTS.update().where(CONFLICTS.c.id == ids[0]).values(created_at=utcnow() - timedelta(days=3))
        )
    old = get(client, token, "/api/conflicts", older_than="2d")
    assert [r["id"] for r in old["rows"]] == [ids[0]]
    assert old["rows"][0]["age_seconds"] >= 3 * 86400 - 5
    for bad in ({"sort": "reason; drop table"}, {"page": 0}, {"page_size": 1000}, {"older_than": "soon"}):
        response = client.get(f"{PREFIX}/api/conflicts", params=bad, headers=session(token))
        assert response.status_code == 400, bad


def test_three_conflicts_resolved_in_one_action_each_audited(
    client: TestClient, tokens: dict[str, str], world: OpsWorld, app_parts: dict[str, Any]
) -> None:
    ids = [r["id"] for r in get(client, tokens["admin"], "/api/conflicts")["rows"]]
    done = post(client, tokens["admin"], "/api/conflicts/resolve", {"ids": ids, "choice": "crm"})
    assert [r["ok"] for r in done["results"]] == [True, True, True] and done["flows"] == ["customers"]
    for conflict_id in ids:
        c = world.store.get_conflict(conflict_id)
        assert c is not None and (c.status, c.resolution, c.resolved_by) == ("resolved", "crm", "admin")
    entries = app_parts["audit"].entries
    assert sorted(e["conflict"] for e in entries) == sorted(ids)
    assert {(e["event"], e["dag_id"], e["user"]) for e in entries} == {
        ("synchub.resolve_conflict", "synchub_customers", "admin")
    }
    again = post(client, tokens["admin"], "/api/conflicts/resolve", {"ids": ids[:1], "choice": "erp"})
    assert again["results"][0]["ok"] is False and "not open" in again["results"][0]["error"]
    # the next run writes the CRM's names to the ERP
    world.run("customers")
    assert {c["company"]["name"] for c in world.erp.all("customer").values()} >= {
        "北京 CRM",
        "Müller CRM",
        "Acme CRM",
    }


def test_an_entered_value_is_parsed_as_json_or_kept_as_text(
    client: TestClient, tokens: dict[str, str], world: OpsWorld
) -> None:
    first = get(client, tokens["admin"], "/api/conflicts", sort="id")["rows"][0]["id"]
    post(
        client,
        tokens["admin"],
        "/api/conflicts/resolve",
        {"ids": [first], "choice": "value", "value": "Acme Group"},
    )
    c = world.store.get_conflict(first)
    assert c is not None and c.resolved_value == "Acme Group"
    response = client.post(
        f"{PREFIX}/api/conflicts/resolve",
        json={"ids": [first], "choice": "value"},
        headers={**session(tokens["admin"]), CSRF_HEADER: make_token(SECRET, "admin")},
    )
    assert response.status_code == 400


def test_a_viewer_sees_everything_and_may_change_nothing(
    client: TestClient, tokens: dict[str, str], world: OpsWorld
) -> None:
    rows = get(client, tokens["viewer"], "/api/conflicts")["rows"]
    assert rows and not any(r["can_resolve"] for r in rows)
    letters = get(client, tokens["viewer"], "/api/dead-letters")["rows"]
    assert letters and not any(d["can_retry"] for d in letters)
    refused = post(
        client,
        tokens["viewer"],
        "/api/conflicts/resolve",
        {"ids": [r["id"] for r in rows], "choice": "erp"},
        user="viewer",
    )
    assert not any(r["ok"] for r in refused["results"])
    assert "synchub_customers" in refused["results"][0]["error"]
    post(client, tokens["viewer"], "/api/dead-letters/retry", {"ids": [letters[0]["id"]]}, user="viewer")
    assert world.store.count_conflicts(status="open") == 3
    assert world.store.count_dead_letters(status="open") == 1


def test_a_dead_letter_of_a_record_never_synced_is_named_from_its_payload(
    client: TestClient, tokens: dict[str, str], world: OpsWorld
) -> None:
    [letter] = get(client, tokens["admin"], "/api/dead-letters")["rows"]
    assert letter["record"]["name"] == "Too Long Vat GmbH"
    assert letter["stage"] == "write" and "vat_number" in letter["reason"] and letter["can_retry"]
    erp = letter["record"]["systems"][0]
    assert erp["id"] and erp["url"] == ERP_URL.format(entity="customer", id=erp["id"])
    done = post(client, tokens["admin"], "/api/dead-letters/retry", {"ids": [letter["id"]]})
    assert done["results"] == [{"id": letter["id"], "ok": True, "flow": "customers"}]
    retried = world.store.get_dead_letter(letter["id"])
    assert retried is not None and retried.status == "retrying"


def test_runs_show_durations_counts_and_their_airflow_dag_run(
    client: TestClient, tokens: dict[str, str], world: OpsWorld, app_parts: dict[str, Any]
) -> None:
    runs = world.store.list_runs(flow="customers", limit=10)
    last, before = runs[0], runs[1]
    assert before.finished_at is not None
    between = before.finished_at + (last.started_at - before.finished_at) / 2  # the DAG run began here
    app_parts["dag_runs"].runs.append(
        ("synchub_customers", "manual__2026-11-30T10:00:00+00:00", between, None)
    )
    page = get(client, tokens["admin"], "/api/runs", flow="customers")
    assert page["total"] == len(runs)
    newest = page["rows"][0]
    assert newest["id"] == last.id and newest["seconds"] >= 0
    assert (
        newest["airflow"]["path"] == "dags/synchub_customers/runs/manual__2026-11-30T10%3A00%3A00%2B00%3A00"
    )
    assert newest["airflow"]["logs_path"].endswith("/tasks/sync")
    assert all(r["airflow"] is None for r in page["rows"][1:])  # started from the command line
    first = runs[-1]
    detail = get(client, tokens["admin"], f"/api/runs/{first.id}")
    names = {w["record"]["name"] for w in detail["writes"]}
    assert {"北京华信科技有限公司", "Acme Industrial Corp."} <= names
    assert all(w["system"] == "crm" and w["op"] == "create" for w in detail["writes"])


def test_charts_count_synced_records_conflicts_and_dead_letters_per_hour(
    client: TestClient, tokens: dict[str, str], world: OpsWorld
) -> None:
    data = get(client, tokens["admin"], "/api/charts", bucket="hour")
    assert len(data["starts"]) == 48
    customers = data["series"]["customers"]
    # the first run created 3 CRM customers; the second wrote nothing (renames conflict, one refused)
    assert customers["synced"][-1] == 3
    assert customers["conflicts_opened"][-1] == 3 and customers["dead_letters"][-1] == 1
    assert sum(data["series"]["orders"]["synced"]) == 4
    assert len(data["durations"]["customers"]) == 2
    assert len(get(client, tokens["admin"], "/api/charts", bucket="day")["starts"]) == 30
    response = client.get(f"{PREFIX}/api/charts", params={"bucket": "week"}, headers=session(tokens["admin"]))
    assert response.status_code == 400


def test_margin_by_customer_equals_the_hand_calculation_and_exports_csv(
    client: TestClient, tokens: dict[str, str], world: OpsWorld
) -> None:
    data = get(client, tokens["admin"], "/api/margin", by="customer")
    rows = {r["label"]: r for r in data["rows"]}
    for name, (revenue, cost, margin, percent) in EXPECTED_BY_CUSTOMER.items():
        got = rows[name]
        assert [Decimal(got[k]) for k in ("revenue", "cost", "margin", "margin_percent")] == [
            revenue,
            cost,
            margin,
            percent,
        ]
    acme = rows["Acme Industrial Corp."]["record"]["systems"]
    assert [s["id"] for s in acme] == [world.ids["acme"], world.crm_customer_id("Acme CRM")]
    orders = {r["label"]: r for r in get(client, tokens["admin"], "/api/margin", by="order")["rows"]}
    assert orders["SO-1001"]["customer"] == "北京华信科技有限公司" and "SO-1003" not in orders
    response = client.get(
        f"{PREFIX}/api/margin.csv", params={"by": "product"}, headers=session(tokens["admin"])
    )
    assert response.headers["content-disposition"] == 'attachment; filename="synchub-margin-by-product.csv"'
    table = {r["product"]: r for r in csv.DictReader(io.StringIO(response.text))}
    assert table["SEN-T20 · 温度传感器 PT100"]["margin"] == "476.50"


def test_the_page_script_is_served_once_built(
    client: TestClient, tokens: dict[str, str], app_parts: dict[str, Any]
) -> None:
    missing = client.get(f"{PREFIX}/ui/ops.js", headers=session(tokens["viewer"]))
    assert missing.status_code == 503 and ".ci/setup" in missing.text
    app_parts["bundle"].write_text("globalThis.AirflowPlugin = () => null;\n")
    served = client.get(f"{PREFIX}/ui/ops.js", headers=session(tokens["viewer"]))
    assert served.status_code == 200 and served.headers["content-type"].startswith("text/javascript")


def test_decisions_reach_airflows_own_audit_log(airflow_db: Path) -> None:
    from airflow.models.log import Log
    from airflow.utils.session import create_session
    from sqlalchemy import select

    AirflowAuditLog().record(
        event="synchub.resolve_conflict",
        dag_id="synchub_customers",
        user="ann",
        extra={"conflict": 7, "choice": "erp"},
    )
    with create_session() as session:
        [row] = session.execute(select(Log).where(Log.event == "synchub.resolve_conflict")).scalars().all()
        assert (row.dag_id, row.owner) == ("synchub_customers", "ann")
        assert '"conflict": 7' in (row.extra or "")
