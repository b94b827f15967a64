"""What simple-salesforce's and requests' exceptions mean for a sync: retry, refuse, or stop the run.

- 5xx, timeouts, lost connections, unreadable answers and 429 (after the client's own retries):
  :class:`TransientError`;
- ``403 REQUEST_LIMIT_EXCEEDED``: the org's daily allowance is used up, :class:`DailyLimitReached`
  (a :class:`StopRun`: no further call of this run can succeed, retrying only burns more);
- anything else the org refuses (400, 404, 401 after a refresh): :class:`PermanentError`.
"""

from __future__ import annotations

import requests
from simple_salesforce.exceptions import SalesforceError, SalesforceExpiredSession

from connectors.base import ConnectorError, PermanentError, StopRun, TransientError

__all__ = ["ApiBudgetExceeded", "DailyLimitReached", "classify", "error_code", "error_text"]


class ApiBudgetExceeded(StopRun):
    """The org's daily API usage is above the share SyncHub may use; no new work starts this run."""


class DailyLimitReached(ApiBudgetExceeded):
    """The org answered 403 REQUEST_LIMIT_EXCEEDED: its daily allowance is used up. Not retried."""


def error_code(exc: SalesforceError) -> str:
    content = exc.content
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return str(content[0].get("errorCode", ""))
    return ""


def error_text(exc: SalesforceError) -> str:
    content = exc.content
    if isinstance(content, list) and content and isinstance(content[0], dict):
        first = content[0]
        fields = f" (fields: {', '.join(first['fields'])})" if first.get("fields") else ""
        return f"{first.get('errorCode', 'ERROR')}: {first.get('message', '')}{fields}"
    return str(content)[:300]


def is_daily_limit(exc: Exception) -> bool:
    return (
        isinstance(exc, SalesforceError) and exc.status == 403 and error_code(exc) == "REQUEST_LIMIT_EXCEEDED"
    )


def classify(exc: Exception, what: str = "a call") -> ConnectorError:
    """``exc`` (raised while doing ``what``) as SyncHub's error; a SyncHub error is returned as is."""
    if isinstance(exc, ConnectorError):
        return exc
    if isinstance(exc, SalesforceExpiredSession):
        return PermanentError(f"salesforce: {what}: not authorised: {error_text(exc)}")
    if isinstance(exc, SalesforceError):
        if is_daily_limit(exc):
            return DailyLimitReached(
                f"salesforce: {what}: the org's daily API request limit is reached ({error_text(exc)}); "
                "SyncHub stops this run and starts no new work until the rolling 24-hour usage falls "
                "(see Setup > Company Information > API Requests)"
            )
        if exc.status == 429 or error_code(exc) == "REQUEST_LIMIT_EXCEEDED":
            return TransientError(f"salesforce: {what}: rate limited ({error_text(exc)})")
        if exc.status >= 500:
            return TransientError(f"salesforce: {what}: HTTP {exc.status}: {error_text(exc)}")
        return PermanentError(f"salesforce: {what}: HTTP {exc.status}: {error_text(exc)}")
    if isinstance(exc, requests.Timeout | TimeoutError):
        return TransientError(f"salesforce: {what}: timed out")
    if isinstance(exc, requests.ConnectionError | ConnectionError):
        return TransientError(f"salesforce: {what}: connection failed ({type(exc).__name__})")
    if isinstance(exc, requests.RequestException):
        return TransientError(f"salesforce: {what}: {type(exc).__name__}")
    if isinstance(exc, ValueError):
        # A body that is not the JSON the call expects (a proxy's HTML page, a cut answer).
        return TransientError(f"salesforce: {what}: unreadable answer ({exc})")
    return PermanentError(f"salesforce: {what}: {type(exc).__name__}: {exc}")
