"""CSRF tokens for the review forms: stateless, signed, bound to the user and expiring.

A token is ``<issued unix time>.<HMAC(secret, user|time)>``. Stateless so it works across several
api-server workers that share Airflow's ``[api] secret_key``.
"""

from __future__ import annotations

import hashlib
import hmac
import time

MAX_AGE_S = 12 * 3600


def _sign(secret: str, user: str, issued: int) -> str:
    return hmac.new(secret.encode(), f"{user}|{issued}".encode(), hashlib.sha256).hexdigest()


def make_token(secret: str, user: str, now: float | None = None) -> str:
    issued = int(time.time() if now is None else now)
    return f"{issued}.{_sign(secret, user, issued)}"


def check_token(secret: str, user: str, token: str | None, now: float | None = None) -> bool:
    """Whether ``token`` was issued by us to ``user`` within :data:`MAX_AGE_S`."""
    if not token or "." not in token:
        return False
    issued_text, signature = token.split(".", 1)
    if not issued_text.isdigit():
        return False
    issued = int(issued_text)
    age = (time.time() if now is None else now) - issued
    if age < 0 or age > MAX_AGE_S:
        return False
    return hmac.compare_digest(signature, _sign(secret, user, issued))
