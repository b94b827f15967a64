"""A fault-injecting HTTP proxy: put it between a connector and its real server (or emulator) to
answer the next calls with a 5xx or to hang past the client's timeout, the way a real outage does.

Connector-agnostic: the connector's URL points at the proxy, its own client meets a real 503 or a
real timeout, and the conformance suite checks what the connector makes of it.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}


class FaultProxy:
    """``http://127.0.0.1:<port>`` forwarding to ``target``; ``mode`` is "pass", "5xx" or "timeout"."""

    def __init__(self, target: str, *, hang_seconds: float = 6.0) -> None:
        parts = urlsplit(target)
        self.target_host = parts.hostname or "127.0.0.1"
        self.target_port = parts.port or 80
        self.mode = "pass"
        self.hang_seconds = hang_seconds
        self.faults_served = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # small answers go out at once (46 ms -> 1 ms per request)

            def log_message(self, *args: object) -> None:  # quiet
                return

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if proxy.mode == "5xx":
                    proxy.faults_served += 1
                    payload = b"Service Unavailable (injected by the conformance suite)"
                    self.send_response(503)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(payload)))
                    self.send_header("Retry-After", "0")
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                if proxy.mode == "timeout":
                    proxy.faults_served += 1
                    time.sleep(proxy.hang_seconds)
                    self.close_connection = True
                    return
                conn = http.client.HTTPConnection(proxy.target_host, proxy.target_port, timeout=120)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                    conn.request(self.command, self.path, body=body, headers=headers)
                    answer = conn.getresponse()
                    data = answer.read()
                finally:
                    conn.close()
                self.send_response(answer.status, answer.reason)
                for key, value in answer.getheaders():
                    if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    @contextmanager
    def failing(self, mode: str) -> Iterator[None]:
        """Every call inside the block meets ``mode`` ("5xx" or "timeout")."""
        self.mode = mode
        try:
            yield
        finally:
            self.mode = "pass"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
