"""The transport to MyCRM's REST API: one session, bearer auth, errors as exceptions.

Keep it thin: no knowledge of entities or SyncHub's records, only HTTP and MyCRM's error shape.
"""

from __future__ import annotations

from typing import Any

import requests


class ApiError(Exception):
    """MyCRM answered with an error; ``status`` is the HTTP status, ``field`` the field it blames."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.field = field


class MyCrmClient:
    def __init__(self, base_url: str, token: str, *, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"  # never logged: not in any repr

    def call(self, method: str, path: str, *, params: dict[str, Any] | None = None, json: Any = None) -> Any:
        answer = self.session.request(
            method, f"{self.base_url}/{path.lstrip('/')}", params=params, json=json, timeout=self.timeout
        )
        if answer.status_code >= 400:
            # ADAPT: MyCRM's error body is {"error": {"message": ..., "field": ...}}
            body = (
                answer.json() if answer.headers.get("Content-Type", "").startswith("application/json") else {}
            )
            error = body.get("error") or {}
            raise ApiError(answer.status_code, error.get("message") or answer.reason, error.get("field"))
        return answer.json() if answer.content else None

    def close(self) -> None:
        self.session.close()
