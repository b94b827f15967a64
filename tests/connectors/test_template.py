"""The connector template (docs/connectors/template) is working code: against a small server that
speaks its imaginary API, it passes the whole conformance suite, and its mapping validates."""

from __future__ import annotations

import itertools
import json
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from connectors.base import ConnectionSettings
from sync_engine.mapping import load_mapping
from tests.connectors.conformance.faults import FaultProxy
from tests.connectors.conformance.harness import CHECKS, Subject

TEMPLATE = Path(__file__).resolve().parents[2] / "docs" / "connectors" / "template"


class FakeMyCrm:
    """MyCRM's accounts API as the template's comments describe it, in memory, over real HTTP."""

    def __init__(self) -> None:
        self.rows: dict[int, dict[str, Any]] = {}
        self.ids = itertools.count(1)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                return

            def _answer(self, status: int, body: Any = None) -> None:
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> dict[str, Any]:
                length = int(self.headers.get("Content-Length") or 0)
                return json.loads(self.rfile.read(length)) if length else {}

            def _invalid(self, body: dict[str, Any]) -> bool:
                if "name" in body and not (isinstance(body["name"], str) and 0 < len(body["name"]) <= 100):
                    self._answer(
                        422, {"error": {"message": "name must be 1-100 characters", "field": "name"}}
                    )
                    return True
                return False

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path == "/accounts":
                    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                    rows = sorted(fake.rows.values(), key=lambda r: (r["updated_at"], r["id"]))
                    if "after_updated_at" in query:
                        mark = (query["after_updated_at"], int(query["after_id"]))
                        rows = [r for r in rows if (fake.stamp(r), r["id"]) > (fake.norm(mark[0]), mark[1])]
                    self._answer(200, {"results": rows[: int(query.get("limit", 100))]})
                    return
                row = fake.rows.get(int(parts.path.rsplit("/", 1)[1]))
                self._answer(200, row) if row else self._answer(
                    404, {"error": {"message": "no such account"}}
                )

            def do_POST(self) -> None:
                body = self._body()
                if not self._invalid({"name": body.get("name"), **body}):
                    row = {"id": next(fake.ids), **body, "updated_at": fake.now()}
                    fake.rows[row["id"]] = row
                    self._answer(201, row)

            def do_PATCH(self) -> None:
                body, key = self._body(), int(self.path.rsplit("/", 1)[1])
                if key not in fake.rows:
                    self._answer(404, {"error": {"message": "no such account"}})
                elif not self._invalid(body):
                    fake.rows[key].update(body, updated_at=fake.now())
                    self._answer(200, fake.rows[key])

            def do_DELETE(self) -> None:
                removed = fake.rows.pop(int(self.path.rsplit("/", 1)[1]), None)
                self._answer(204) if removed else self._answer(404, {"error": {"message": "no such account"}})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @staticmethod
    def now() -> str:
        return datetime.now(UTC).isoformat().replace("+00:00", "Z")

    @staticmethod
    def norm(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    def stamp(self, row: dict[str, Any]) -> datetime:
        return self.norm(row["updated_at"])


@pytest.fixture
def template_subject() -> Iterator[Subject]:
    sys.path.insert(0, str(TEMPLATE))
    try:
        from synchub_mycrm import MyCrmConnector
    finally:
        sys.path.remove(str(TEMPLATE))
    fake = FakeMyCrm()
    proxy = FaultProxy(fake.url, hang_seconds=3)
    host, port = proxy.url.removeprefix("http://").split(":")
    connector = MyCrmConnector(
        ConnectionSettings(
            "mycrm", host=host, port=int(port), password="t0ken", extra={"scheme": "http", "timeout": "1"}
        )
    )
    yield Subject(
        name="template mycrm",
        connector=connector,
        entity="customer",
        make=lambda text: {"name": text, "email": None, "vat": None, "active": True},
        edit=lambda text: {"name": text},
        text_of=lambda data: data.get("name"),
        invalid={"name": ""},
        invalid_field="name",
        faults=proxy.failing,
    )
    connector.close()
    proxy.close()
    fake.server.shutdown()


@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__.removeprefix("check_") for c in CHECKS])
def test_the_template_connector_passes_the_conformance_suite(template_subject: Subject, check) -> None:
    check(template_subject)


def test_the_templates_mapping_validates() -> None:
    mapping = load_mapping(TEMPLATE / "mappings", "mycrm", "customer")
    assert mapping.canonical_fields == {"name", "tax_id", "active"}
