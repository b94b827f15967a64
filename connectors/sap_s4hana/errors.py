"""SAP Gateway's answers to a refused request: the text a person can act on, whether to retry, and the
one record's failure SyncHub reports for it."""

from __future__ import annotations

from typing import Any

from connectors.base import ConnectorError, PermanentError, RecordError, TransientError

__all__ = ["CHANGED_IN_SAP", "gateway_message", "is_transient", "refused", "unavailable"]

CHANGED_IN_SAP = (
    "changed in SAP after SyncHub read it (a newer ETag or change stamp); nothing was written, "
    "the next run reads it again and merges"
)


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


def unavailable(response: Any, what: str) -> TransientError | PermanentError:
    """A whole call SAP answered with an error: transient or not by its status."""
    text, _ = gateway_message(response)
    status = response.status_code
    error = TransientError if is_transient(status) else PermanentError
    return error(f"sap_s4hana: {what}: HTTP {status}: {text}")


def refused(response: Any) -> ConnectorError:
    """SAP's refusal of one record's write, with the property it blames; 412: changed since read."""
    status = response.status_code
    if status == 412:
        return RecordError(CHANGED_IN_SAP, transient=True)
    text, target = gateway_message(response)
    if is_transient(status):
        return TransientError(f"SAP answered HTTP {status}: {text}")
    return RecordError(f"SAP refused it (HTTP {status}): {text}", field=target)
