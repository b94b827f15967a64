"""One authenticated simple-salesforce client with the habits a long sync needs.

- every request is bounded by the connection's ``timeout_seconds`` (simple-salesforce sets none, so a
  hung org would hang the run);
- a lost session (401 INVALID_SESSION_ID) is refreshed once with a new token, then the call repeats;
- 429 and REQUEST_LIMIT_EXCEEDED are retried with backoff (honouring Retry-After), then reported
  as :class:`TransientError`; 5xx and timeouts are transient at once (the engine retries them);
  the daily limit (403 REQUEST_LIMIT_EXCEEDED) stops the run (``errors.py``);
- every response's ``Sforce-Limit-Info`` updates the known API usage, and :meth:`guard` refuses to
  start new work above the configured share of the daily allowance.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import requests
from requests.adapters import BaseAdapter
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError, SalesforceExpiredSession

from connectors.base import PermanentError, TransientError
from connectors.salesforce.auth import Token, fetch_token
from connectors.salesforce.errors import (
    ApiBudgetExceeded,
    DailyLimitReached,
    classify,
    error_code,
    error_text,
    is_daily_limit,
)
from connectors.salesforce.settings import SalesforceSettings

__all__ = ["SalesforceClient"]

T = TypeVar("T")


class _Bounded(BaseAdapter):
    """Wraps a session's transport so that a request without a timeout gets the connection's."""

    def __init__(self, inner: BaseAdapter, seconds: float) -> None:
        super().__init__()
        self.inner, self.seconds = inner, seconds

    def send(
        self, request: requests.PreparedRequest, timeout: Any = None, **kwargs: Any
    ) -> requests.Response:
        return self.inner.send(request, timeout=self.seconds if timeout is None else timeout, **kwargs)

    def close(self) -> None:
        self.inner.close()


def _bound(session: requests.Session, seconds: float) -> None:
    adapters: Mapping[str, BaseAdapter] = dict(session.adapters)
    for prefix, adapter in adapters.items():
        if not isinstance(adapter, _Bounded):
            session.mount(prefix, _Bounded(adapter, seconds))


class SalesforceClient:
    def __init__(self, settings: SalesforceSettings, session: requests.Session | None = None) -> None:
        self.settings = settings
        self.session = session or requests.Session()
        _bound(self.session, settings.timeout_seconds)
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
                return fn(self.sf)
            except SalesforceExpiredSession as exc:
                if error_code(exc) != "INVALID_SESSION_ID" or refreshed:
                    raise classify(exc, what) from None
                if self.settings.auth == "session":
                    raise PermanentError(
                        f"salesforce: {what}: the session id has expired; put a new one in the connection, "
                        "or use auth=client_credentials or auth=jwt so SyncHub can log in again by itself"
                    ) from None
                refreshed = True
                self._sf = None  # log in again on the next attempt
            except SalesforceError as exc:
                if is_daily_limit(exc):
                    # G4: the org's daily allowance is used up; retrying only burns more.
                    stop = classify(exc, what)
                    self.limit_reached = str(stop)
                    raise stop from None
                if exc.status == 429 or error_code(exc) == "REQUEST_LIMIT_EXCEEDED":
                    wait = self._retry_after()
                    if attempt < self.settings.max_retries:
                        attempt += 1
                        time.sleep(
                            wait if wait is not None else self.settings.backoff_seconds * 2 ** (attempt - 1)
                        )
                        continue
                    raise TransientError(
                        f"salesforce: {what}: rate limited ({error_text(exc)}) after {attempt} retries",
                        retry_after=wait,
                    ) from None
                raise classify(exc, what) from None
            except (requests.RequestException, ValueError) as exc:
                raise classify(exc, what) from None

    def _retry_after(self) -> float | None:
        try:
            return float(self._last_retry_after) if self._last_retry_after else None
        except ValueError:
            return None

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
