"""Retry policy for connector calls: transient errors are retried with bounded, jittered backoff."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from connectors.base import TransientError

T = TypeVar("T")
log = logging.getLogger("synchub.retry")


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    pause = state.next_action.sleep if state.next_action else 0.0
    log.warning("attempt %d failed (%s: %s); retrying in %.1f s", state.attempt_number,
                type(exc).__name__, exc, pause)  # fmt: skip


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try before giving up on a transient error (timeouts, 429, 5xx)."""

    attempts: int = 5
    initial_wait: float = 0.5
    max_wait: float = 30.0

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        backoff = wait_random_exponential(multiplier=self.initial_wait, max=self.max_wait)(state)
        # A server that says when to come back (HTTP 429 Retry-After) knows better than our backoff.
        if isinstance(exc, TransientError) and exc.retry_after is not None:
            return min(max(exc.retry_after, backoff), self.max_wait)
        return backoff

    def pause(self, attempt: int, exc: BaseException | None = None) -> float:
        """Seconds to wait before attempt ``attempt + 1`` when the caller drives the loop itself."""
        if isinstance(exc, TransientError) and exc.retry_after is not None:
            return min(exc.retry_after, self.max_wait)
        return min(self.initial_wait * 2 ** (attempt - 1) * (0.5 + random.random() / 2), self.max_wait)

    def call(self, fn: Callable[[], T]) -> T:
        """Call ``fn``; retry it on :class:`TransientError`; re-raise the last error when out of attempts."""
        retrying = Retrying(
            retry=retry_if_exception_type(TransientError),
            stop=stop_after_attempt(self.attempts),
            wait=self._wait,
            before_sleep=_log_retry,
            reraise=True,
        )
        return retrying(fn)


NO_RETRY = RetryPolicy(attempts=1)
