"""One authenticated simple-salesforce client with the habits a long sync needs.

- a lost session (401 INVALID_SESSION_ID) is refreshed once with a new token, then the call repeats;
- 429 and REQUEST_LIMIT_EXCEEDED are retried with backoff (honouring Retry-After), then reported
  as :class:`TransientError`; 5xx and timeouts are transient at once (the engine retries them);
- every response's ``Sforce-Limit-Info`` updates the known API usage, and :meth:`guard` refuses to
  start new work above the configured share of the daily allowance.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError, SalesforceExpiredSession

from connectors.base import PermanentError, TransientError
from connectors.salesforce.auth import Token, fetch_token
from connectors.salesforce.settings import SalesforceSettings

__all__ = ["ApiBudgetExceeded", "DailyLimitReached", "SalesforceClient"]

T = TypeVar("T")


class ApiBudgetExceeded(PermanentError):
    """The org's daily API usage is above the share SyncHub may use; no new work starts."""


class DailyLimitReached(ApiBudgetExceeded):
    """The org answered 403 REQUEST_LIMIT_EXCEEDED: its daily allowance is used up. Not retried."""


def _error_code(exc: SalesforceError) -> str:
    content = exc.content
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return str(content[0].get("errorCode", ""))
    return ""


def _error_text(exc: SalesforceError) -> str:
    content = exc.content
    if isinstance(content, list) and content and isinstance(content[0], dict):
        first = content[0]
        fields = f" (fields: {', '.join(first['fields'])})" if first.get("fields") else ""
        return f"{first.get('errorCode', 'ERROR')}: {first.get('message', '')}{fields}"
    return str(content)[:300]


class SalesforceClient:
    def __init__(self, settings: SalesforceSettings, session: requests.Session | None = None) -> None:
        self.settings = settings
        self.session = session or requests.Session()
        self.usage: tuple[int, int] | None = None
        """(used, allowed) daily API requests, from the last ``Sforce-Limit-Info`` seen."""
        self.token: Token | None = None
        self._sf: Salesforce | None = None
        self._last_retry_after: str | None = None
        self.clock: tuple[datetime, float] | None = None
        """(the org's time from the last response's Date header, our monotonic time then)."""
        self.limit_reached: str | None = None
        """Set once the org says its daily limit is reached: every later call is refused at once."""
        self.session.hooks["response"].append(self._remember_headers)

    def _remember_headers(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        # simple-salesforce's exceptions keep the body, not the headers: note Retry-After here, and
        # the usage of every response (Bulk 2.0 polls too, which bypass simple-salesforce's counter).
        self._last_retry_after = response.headers.get("Retry-After")
        stamp = response.headers.get("Date")
        if stamp:
            with contextlib.suppress(TypeError, ValueError):
                self.clock = (parsedate_to_datetime(stamp).astimezone(UTC), time.monotonic())
        info = response.headers.get("Sforce-Limit-Info", "")
        if info.startswith("api-usage="):
            used, _, allowed = info.removeprefix("api-usage=").partition("/")
            if used.isdigit() and allowed.isdigit():
                self.usage = (int(used), int(allowed))

    # -- session -----------------------------------------------------------------------------------
    @property
    def sf(self) -> Salesforce:
        if self._sf is None:
            self._login()
        assert self._sf is not None
        return self._sf

    @property
    def user_id(self) -> str | None:
        """The integration user (for echo suppression), once logged in."""
        if self.token is None:
            self._login()
        return self.token.user_id if self.token else None

    def _login(self) -> None:
        self.token = fetch_token(self.settings, self.session)
        self._sf = Salesforce(
            instance_url=self.token.instance_url,
            session_id=self.token.access_token,
            session=self.session,
            version=self.settings.api_version,
        )

    # -- calls ---------------------------------------------------------------------------------------
    def guard(self, what: str) -> None:
        """Refuse to start ``what`` when the API usage is above the allowed share."""
        if self.limit_reached:
            raise DailyLimitReached(self.limit_reached)
        if self.usage is None:
            return
        used, allowed = self.usage
        if allowed and used >= allowed * self.settings.limit_share:
            raise ApiBudgetExceeded(
                f"salesforce: not starting {what}: the org has used {used:,} of its {allowed:,} daily API "
                f"requests ({used / allowed:.0%}), above the {self.settings.limit_share:.0%} SyncHub may "
                "use; "
                "the run resumes once usage falls (rolling 24 hours), or raise the connection's limit_share"
            )

    def call(self, what: str, fn: Callable[[Salesforce], T]) -> T:
        """Run ``fn`` with the client; sessions, rate limits and transport errors handled as above."""
        if self.limit_reached:
            raise DailyLimitReached(self.limit_reached)
        refreshed = False
        attempt = 0
        while True:
            try:
                result = fn(self.sf)
                self._note_usage()
                return result
            except SalesforceExpiredSession as exc:
                self._note_usage()
                if _error_code(exc) != "INVALID_SESSION_ID" or refreshed:
                    raise PermanentError(f"salesforce: {what}: not authorised: {_error_text(exc)}") from None
                if self.settings.auth == "session":
                    raise PermanentError(
                        f"salesforce: {what}: the session id has expired; put a new one in the connection, "
                        "or use auth=client_credentials or auth=jwt so SyncHub can log in again by itself"
                    ) from None
                refreshed = True
                self._sf = None  # log in again on the next attempt
            except SalesforceError as exc:
                self._note_usage()
                if exc.status == 403 and _error_code(exc) == "REQUEST_LIMIT_EXCEEDED":
                    # G4: the org's daily allowance is used up; retrying only burns more.
                    self.limit_reached = (
                        f"salesforce: {what}: the org's daily API request limit is reached "
                        f"({_error_text(exc)}); SyncHub stops this run and starts no new work until the "
                        "rolling 24-hour usage falls (see Setup > Company Information > API Requests)"
                    )
                    raise DailyLimitReached(self.limit_reached) from None
                if exc.status == 429 or _error_code(exc) == "REQUEST_LIMIT_EXCEEDED":
                    wait = self._retry_after(exc)
                    if attempt < self.settings.max_retries:
                        attempt += 1
                        time.sleep(
                            wait if wait is not None else self.settings.backoff_seconds * 2 ** (attempt - 1)
                        )
                        continue
                    raise TransientError(
                        f"salesforce: {what}: rate limited ({_error_text(exc)}) after {attempt} retries",
                        retry_after=wait,
                    ) from None
                if exc.status >= 500:
                    raise TransientError(
                        f"salesforce: {what}: HTTP {exc.status}: {_error_text(exc)}"
                    ) from None
                raise PermanentError(f"salesforce: {what}: HTTP {exc.status}: {_error_text(exc)}") from None
            except requests.Timeout:
                raise TransientError(f"salesforce: {what}: timed out") from None
            except requests.ConnectionError as exc:
                raise TransientError(
                    f"salesforce: {what}: connection failed ({type(exc).__name__})"
                ) from None
            except requests.RequestException as exc:
                raise TransientError(f"salesforce: {what}: {type(exc).__name__}") from None
            except ValueError as exc:
                # A body that is not the JSON the call expects (a proxy's HTML page, a cut answer).
                raise TransientError(f"salesforce: {what}: unreadable answer ({exc})") from None

    def _retry_after(self, exc: SalesforceError) -> float | None:
        try:
            return float(self._last_retry_after) if self._last_retry_after else None
        except ValueError:
            return None

    def _note_usage(self) -> None:
        pass  # the response hook keeps ``usage`` from every response

    # -- helpers -------------------------------------------------------------------------------------
    def query_pages(
        self, what: str, soql: str, *, include_deleted: bool = False
    ) -> Iterator[list[dict[str, Any]]]:
        """The query's result pages, following ``nextRecordsUrl``."""
        page = self.call(what, lambda sf: sf.query(soql, include_deleted=include_deleted))
        while True:
            yield [_plain(r) for r in page.get("records", [])]
            next_url = page.get("nextRecordsUrl")
            if page.get("done", True) or not next_url:
                return
            page = self.call(what, lambda sf, url=next_url: sf.query_more(url, identifier_is_url=True))

    def query_all(self, what: str, soql: str) -> list[dict[str, Any]]:
        return [record for page in self.query_pages(what, soql) for record in page]

    def rest(
        self, what: str, path: str, method: str, body: Any = None, params: dict[str, str] | None = None
    ) -> Any:
        return self.call(what, lambda sf: sf.restful(path, params=params, method=method, json=body))


def _plain(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "attributes"}
