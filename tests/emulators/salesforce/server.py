"""The emulator on a real local HTTP port, and a ``requests`` session that reaches it over sockets.

simple-salesforce always speaks ``https://<instance>``; a :class:`LocalRoute` keeps every URL's
path and query and sends the request over plain HTTP to a local address (the emulator, or a fault
proxy in front of it, switchable at any time), so the client meets real sockets: real 503 answers,
real read timeouts.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import requests
from requests.adapters import HTTPAdapter

from .transport import WsgiApp

__all__ = ["LocalRoute", "http_session", "serving"]


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


@contextmanager
def serving(app: WsgiApp) -> Iterator[str]:
    """``http://127.0.0.1:<port>`` answering with ``app`` until the block ends."""
    server: WSGIServer = make_server("127.0.0.1", 0, app, handler_class=_Quiet)
    # A short poll: shutdown() waits for it, once per emulator a test starts.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class LocalRoute(HTTPAdapter):
    """Sends every request to ``base`` (scheme, host and port), keeping its path and query."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = urlsplit(base)

    @contextmanager
    def through(self, base: str) -> Iterator[None]:
        """Requests inside the block go to ``base`` instead (e.g. a fault proxy)."""
        saved, self.base = self.base, urlsplit(base)
        try:
            yield
        finally:
            self.base = saved

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        parts = urlsplit(request.url or "")
        request.url = urlunsplit((self.base.scheme, self.base.netloc, parts.path, parts.query, ""))
        return super().send(request, *args, **kwargs)


def http_session(route: LocalRoute) -> requests.Session:
    """A session whose every ``https://`` and ``http://`` request takes ``route``."""
    session = requests.Session()
    session.mount("https://", route)
    session.mount("http://", route)
    return session
