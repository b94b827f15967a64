"""SAP Gateway error bodies -> the text a person can act on; HTTP status -> retry or not; the two
ways one record's write fails without failing the batch."""

from __future__ import annotations

from typing import Any

__all__ = ["Concurrent", "RecordRefused", "gateway_message", "is_transient"]


class RecordRefused(Exception):
    """The connector will not send this record: SAP's metadata or its rules forbid it. The message
    names the record's problem and the fix; ``field`` the native property concerned."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class Concurrent(Exception):
    """Someone changed the record in SAP after SyncHub read it (HTTP 412, or a newer change stamp)."""


def gateway_message(response: Any) -> tuple[str, str | None]:
    """(SAP's message text with its code and details, the property it names) from an error response."""
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError, AttributeError):
        text = getattr(response, "text", "") or ""
        return f"HTTP {getattr(response, 'status_code', '?')}: {text[:300]}", None
    code = error.get("code", "")
    message = (error.get("message") or {}).get("value", "")
    target = None
    extra: list[str] = []
    for detail in (error.get("innererror") or {}).get("errordetails") or []:
        target = target or detail.get("propertyref") or detail.get("target") or None
        if detail.get("message") and detail["message"] != message:
            extra.append(detail["message"])
    text = f"{message} [SAP {code}]" if code else message
    if extra:
        text += "; " + "; ".join(extra)
    return text, target


def is_transient(status: int) -> bool:
    """Worth retrying later: throttling, server trouble, a lock held by another user."""
    return status in (408, 423, 429) or status >= 500
