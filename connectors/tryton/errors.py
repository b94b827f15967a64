"""What Tryton's error answers mean for SyncHub: which field, what to fix, worth another try or not.

Tryton answers a failed call with ``[kind, args]``: its own exceptions carry their class name as
``kind`` (UserError, UserWarning, ConcurrencyException, LoginException); anything else that broke
on the server carries the exception's text instead and a traceback. Validation messages name the
field and model by their labels (``... for field "Name" in record "x" of "Party" ...``); a
:class:`ModelLabels` table turns them back into field names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from connectors.base import ConnectorError, PermanentError, TransientError
from connectors.tryton.client import TrytonError

__all__ = ["ModelLabels", "Refusal", "as_connector_error", "refusal"]

OWN_KINDS = ("UserError", "UserWarning", "ConcurrencyException", "LoginException")
# what a database under load says; trytond retries these itself a few times before giving up
BUSY_DATABASE = (
    "database is locked",
    "could not serialize",
    "deadlock detected",
    "could not obtain lock",
    "lock timeout",
)
_FIELD_OF_MODEL = re.compile(r'field "(?P<field>[^"]+)"(?: in record "[^"]*")? of "(?P<model>[^"]+)"')


@dataclass(frozen=True)
class ModelLabels:
    """A model's label and its fields' labels -> names, for reading Tryton's messages."""

    model: str
    fields: Mapping[str, str] = field(default_factory=dict)
    children: Mapping[str, str] = field(default_factory=dict)
    """Labels of child models -> the native field that holds them (``Address`` -> ``addresses``)."""


@dataclass(frozen=True)
class Refusal:
    field: str | None
    fix: str
    transient: bool


def refusal(exc: TrytonError, labels: ModelLabels | None) -> Refusal:
    """What one refused write means: the native field at fault where Tryton's answer tells, the fix."""
    if exc.kind == "UserWarning":
        return Refusal(None, "accept it in Tryton, or set the connection option accept_warnings: true", False)
    if exc.kind == "ConcurrencyException":
        return Refusal(None, "someone changed the record meanwhile; it is tried again next run", True)
    if exc.kind not in OWN_KINDS:
        if _busy(exc):
            return Refusal(None, "the Tryton database was busy; it is tried again next run", True)
        return Refusal(None, "Tryton failed on the server; see the Tryton server log", False)
    return Refusal(
        _field_of(exc, labels), "correct the record on the other side or in Tryton, then rerun", False
    )


def as_connector_error(exc: TrytonError) -> ConnectorError:
    """A Tryton error answered to a whole call (a read, a search) as SyncHub's error."""
    text = (
        f"Tryton answered {exc.kind}: {exc.message}"
        if exc.kind in OWN_KINDS
        else f"Tryton failed: {exc.kind}"
    )
    if exc.kind == "ConcurrencyException" or (exc.kind not in OWN_KINDS and _busy(exc)):
        return TransientError(text)
    return PermanentError(text)


def _busy(exc: TrytonError) -> bool:
    return any(marker in exc.kind.lower() for marker in BUSY_DATABASE)


def _field_of(exc: TrytonError, labels: ModelLabels | None) -> str | None:
    found = _FIELD_OF_MODEL.search(exc.message)
    if found is None or labels is None:
        return None
    if found["model"] == labels.model:
        return labels.fields.get(found["field"])
    return labels.children.get(found["model"])
