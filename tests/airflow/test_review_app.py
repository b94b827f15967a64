"""The conflict review app behind Airflow's own authentication (the real simple auth manager)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from synchub_world import World

from sync_engine.airflow.auth import AirflowAuthorizer
from sync_engine.airflow.csrf import check_token, make_token
from sync_engine.airflow.review_app import State, create_app
from sync_engine.store import Store

SECRET = "review-test-secret"
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


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(f"sqlite:///{tmp_path / 'state.db'}")
    store.upgrade()
    yield store
    store.close()


@pytest.fixture
def conflict_id(store: Store) -> int:
    return store.open_conflict(
        flow="customers",
        entity="customer",
        canonical_id="cust-1",
        field="name",
        base="Acme",
        values={"erp": "Acme <script>alert(1)</script>", "crm": "ACME Ltd"},
        systems={"erp": "erp", "crm": "crm"},
        changed_at={"erp": "2026-01-02T10:00:00", "crm": "2026-01-02T11:00:00"},
    )


@pytest.fixture
def client(world: World, store: Store, airflow_db: Path) -> Iterator[TestClient]:
    from fastapi import FastAPI

    state = State(world.write(), store)
    root = FastAPI()  # mounted under a prefix, as the api-server does
    root.mount(PREFIX, create_app(lambda: state, AirflowAuthorizer(), SECRET))
    with TestClient(root, base_url="http://127.0.0.1") as c:
        yield c


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


ROUTES = [
    ("GET", "/"),
    ("GET", "/conflicts"),
    ("GET", "/conflicts/1"),
    ("POST", "/conflicts/1/resolve"),
    ("GET", "/runs"),
    ("GET", "/dead-letters"),
    ("POST", "/dead-letters/1/retry"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_anonymous_requests_are_refused_on_every_route(
    client: TestClient, conflict_id: int, method: str, path: str
) -> None:
    response = client.request(method, PREFIX + path, data={"choice": "erp"}, follow_redirects=False)
    assert response.status_code == 401


def test_a_forged_token_is_refused(client: TestClient, tokens: dict[str, str]) -> None:
    forged = tokens["admin"][:-4] + ("AAAA" if not tokens["admin"].endswith("AAAA") else "BBBB")
    assert client.get(f"{PREFIX}/conflicts", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    assert client.get(f"{PREFIX}/conflicts", cookies={"_token": "not-a-jwt"}).status_code == 401


def test_conflicts_page_lists_open_conflicts_with_values_escaped(
    client: TestClient, tokens: dict[str, str], conflict_id: int
) -> None:
    page = client.get(f"{PREFIX}/conflicts", cookies={"_token": tokens["admin"]})
    assert page.status_code == 200
    assert "ACME Ltd" in page.text
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "frame-ancestors 'self'" in page.headers["content-security-policy"]
    other_flow = client.get(f"{PREFIX}/conflicts?flow=products", cookies={"_token": tokens["admin"]})
    assert "ACME Ltd" not in other_flow.text
    too_young = client.get(f"{PREFIX}/conflicts?older_than=2h", cookies={"_token": tokens["admin"]})
    assert "ACME Ltd" not in too_young.text


def test_conflict_page_shows_base_both_sides_and_when_they_changed(
    client: TestClient, tokens: dict[str, str], conflict_id: int
) -> None:
    page = client.get(
        f"{PREFIX}/conflicts/{conflict_id}", headers={"Authorization": f"Bearer {tokens['admin']}"}
    )
    assert page.status_code == 200
    for text in ("Acme", "ACME Ltd", "2026-01-02T10:00:00", "2026-01-02T11:00:00", "Take ERP value"):
        assert text in page.text


def test_resolving_takes_the_chosen_side_and_records_the_airflow_user(
    client: TestClient, tokens: dict[str, str], conflict_id: int, store: Store
) -> None:
    cookies = {"_token": tokens["admin"]}
    csrf = _csrf(client.get(f"{PREFIX}/conflicts/{conflict_id}", cookies=cookies).text)
    response = client.post(
        f"{PREFIX}/conflicts/{conflict_id}/resolve",
        data={"choice": "crm", "csrf_token": csrf},
        cookies=cookies,
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"{PREFIX}/conflicts?")
    resolved = store.get_conflict(conflict_id)
    assert resolved is not None
    assert (resolved.status, resolved.resolved_value, resolved.resolved_by) == (
        "resolved",
        "ACME Ltd",
        "admin",
    )


def test_an_entered_value_is_parsed_as_json_or_kept_as_text(
    client: TestClient, tokens: dict[str, str], conflict_id: int, store: Store
) -> None:
    cookies = {"_token": tokens["admin"]}
    csrf = _csrf(client.get(f"{PREFIX}/conflicts/{conflict_id}", cookies=cookies).text)
    client.post(
        f"{PREFIX}/conflicts/{conflict_id}/resolve",
        data={"choice": "value", "value": "Acme Group", "csrf_token": csrf},
        cookies=cookies,
    )
    resolved = store.get_conflict(conflict_id)
    assert resolved is not None and resolved.resolved_value == "Acme Group"


def test_resolving_without_a_valid_csrf_token_is_refused(
    client: TestClient, tokens: dict[str, str], conflict_id: int, store: Store
) -> None:
    cookies = {"_token": tokens["admin"]}
    for data in ({"choice": "erp"}, {"choice": "erp", "csrf_token": make_token(SECRET, "someone-else")}):
        response = client.post(f"{PREFIX}/conflicts/{conflict_id}/resolve", data=data, cookies=cookies)
        assert response.status_code == 403
    conflict = store.get_conflict(conflict_id)
    assert conflict is not None and conflict.status == "open"


def test_a_viewer_may_look_but_not_resolve(
    client: TestClient, tokens: dict[str, str], conflict_id: int, store: Store
) -> None:
    cookies = {"_token": tokens["viewer"]}
    page = client.get(f"{PREFIX}/conflicts/{conflict_id}", cookies=cookies)
    assert page.status_code == 200
    assert "Take ERP value" not in page.text
    response = client.post(
        f"{PREFIX}/conflicts/{conflict_id}/resolve",
        data={"choice": "erp", "csrf_token": make_token(SECRET, "viewer")},
        cookies=cookies,
    )
    assert response.status_code == 403
    conflict = store.get_conflict(conflict_id)
    assert conflict is not None and conflict.status == "open"


def test_runs_page_shows_counts_per_system(client: TestClient, tokens: dict[str, str], store: Store) -> None:
    run = store.start_run("customers")
    counts: dict[str, Any] = {
        "systems": {"crm": {"role": "crm", "read": 7, "created": 3, "updated": 2, "deleted": 0, "failed": 1}},
        "conflicts": 4,
        "dead_letters": 1,
        "deferred": 0,
    }
    store.finish_run(run, status="partial", counts=counts)
    page = client.get(f"{PREFIX}/runs", cookies={"_token": tokens["admin"]})
    assert "crm: 7 / 3 / 2 / 0 / 1" in page.text
    assert "partial" in page.text


def test_dead_letters_show_their_reason_and_retry_marks_them(
    client: TestClient, tokens: dict[str, str], store: Store
) -> None:
    dead = store.add_dead_letter(
        flow="customers",
        entity="customer",
        system="crm",
        external_id="C9",
        stage="write",
        reason="tax id rejected: checksum",
        field="tax_id",
    )
    cookies = {"_token": tokens["admin"]}
    page = client.get(f"{PREFIX}/dead-letters", cookies=cookies)
    assert "tax id rejected: checksum" in page.text
    response = client.post(
        f"{PREFIX}/dead-letters/{dead}/retry",
        data={"csrf_token": _csrf(page.text)},
        cookies=cookies,
        follow_redirects=False,
    )
    assert response.status_code == 303
    letter = store.get_dead_letter(dead)
    assert letter is not None and letter.status == "retrying"


def test_csrf_tokens_expire_and_are_bound_to_their_user() -> None:
    token = make_token(SECRET, "admin", now=1_000_000)
    assert check_token(SECRET, "admin", token, now=1_000_060)
    assert not check_token(SECRET, "viewer", token, now=1_000_060)
    assert not check_token(SECRET, "admin", token, now=1_000_000 + 13 * 3600)
    assert not check_token("other-secret", "admin", token, now=1_000_060)
