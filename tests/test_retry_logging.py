"""Retries are logged with what the server answered (its HTTP status), never with the credentials."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from connectors.base import ConnectionSettings
from connectors.bottlecrm.client import BottleCrmClient
from sync_engine.retrying import RetryPolicy

TOKEN = "bcrm_pat_do-not-log-me-4711"


@pytest.fixture
def flaky_server() -> Iterator[ThreadingHTTPServer]:
    """Answers 503 to the first request and 200 with a JSON body after that."""
    served = {"n": 0}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            served["n"] += 1
            status, body = (503, b"busy") if served["n"] == 1 else (200, json.dumps({"ok": True}).encode())
            self.send_response(status)
            self.send_header("Content-Type", "application/json" if status == 200 else "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_a_retry_is_logged_with_the_http_status_and_without_the_token(
    flaky_server: ThreadingHTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    settings = ConnectionSettings(
        "bottlecrm", host="127.0.0.1", port=flaky_server.server_address[1], password=TOKEN,
        extra={"scheme": "http"},
    )  # fmt: skip
    client = BottleCrmClient(settings)
    policy = RetryPolicy(attempts=3, initial_wait=0.01, max_wait=0.05)

    with caplog.at_level(logging.WARNING, logger="synchub.retry"):
        answer = policy.call(lambda: client.get("accounts/"))

    assert answer == {"ok": True}
    (line,) = [r.getMessage() for r in caplog.records if r.name == "synchub.retry"]
    assert "attempt 1 failed" in line and "answered 503" in line and "accounts/" in line, line
    assert TOKEN not in caplog.text
