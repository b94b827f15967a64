"""Odoo's errors, whatever the transport, as ``connectors.base`` errors.

- ``OdooFault`` (a ``PermanentError``): Odoo refused what the call asked of its records - a
  validation, a business rule, missing access, a deleted record, a value it cannot take. It carries
  Odoo's own message (never the server traceback), so a caller turns it into that record's failed
  ``WriteResult`` (``to_result``) and carries on with the others.
- ``OdooAuthError``: the credentials are refused (bad password, unknown or expired API key).
- ``OdooCallError``: the call itself is wrong (unknown model or method, bad parameters): a bug or a
  missing Odoo module, not a record problem.
- ``TransientError``: timeouts, lost connections, HTTP 429/5xx without an Odoo error, database
  serialization failures and locks: worth retrying.

Classification goes by the exception's class name (``odoo.exceptions.ValidationError``), which
JSON-2 and JSON-RPC send as ``name`` and an XML-RPC fault 1 ends its traceback with; XML-RPC's
fault codes 2/3/4 say the rest.
"""

from __future__ import annotations

import re
from typing import Literal

from connectors.base import ConnectorError, PermanentError, TransientError, WriteResult

__all__ = [
    "FaultKind",
    "OdooAuthError",
    "OdooCallError",
    "OdooFault",
    "classify",
    "classify_fault",
    "classify_traceback",
    "field_named_in",
]

FaultKind = Literal["validation", "user", "access", "missing", "value"]

_BY_NAME: dict[str, FaultKind] = {
    "odoo.exceptions.ValidationError": "validation",
    "odoo.exceptions.UserError": "user",
    "odoo.exceptions.RedirectWarning": "user",
    "odoo.exceptions.Warning": "user",
    "odoo.exceptions.AccessError": "access",
    "odoo.exceptions.MissingError": "missing",
    "builtins.ValueError": "value",
}
_TRANSIENT_NAMES = (
    "odoo.exceptions.LockError",
    "odoo.exceptions.ConcurrencyError",
    "odoo.http.SessionExpiredException",
)
_CALL_ERRORS = (
    "werkzeug.exceptions.NotFound",
    "werkzeug.exceptions.BadRequest",
    "werkzeug.exceptions.MethodNotAllowed",
    "werkzeug.exceptions.UnprocessableEntity",
    "builtins.TypeError",
    "builtins.AttributeError",
    "builtins.KeyError",
    "builtins.IndexError",
    "builtins.NameError",
)
_UNKNOWN_MODEL = re.compile(r"^Object \S+ doesn't exist$")
_MISSING_TEXT = re.compile(r"does not exist or has been deleted|has already been deleted", re.I)
_FIELD_PATTERNS = (
    re.compile(r"Field: [^\n]*\((?P<field>[a-z_][a-z0-9_]*)\)"),
    re.compile(r"Wrong value for [a-z0-9_.]+\.(?P<field>[a-z_][a-z0-9_]*):"),
    re.compile(r"Invalid field '(?P<field>[a-z_][a-z0-9_]*)'"),
    re.compile(r"for the field '[^']*' \((?P<field>[a-z_][a-z0-9_]*)\)"),
)
_LAST_LINE = re.compile(
    r"^(?P<name>[A-Za-z_][\w.]*(?:Error|Exception|Warning|Denied|Exit|Interrupt)): ?(?P<msg>.*)$"
)


def field_named_in(message: str) -> str | None:
    """The technical field name an Odoo message points at, when it names one."""
    for pattern in _FIELD_PATTERNS:
        match = pattern.search(message)
        if match:
            return match.group("field")
    return None


class OdooFault(PermanentError):
    """Odoo refused the records of this call; ``message`` is Odoo's text for a person."""

    def __init__(self, kind: FaultKind, message: str, *, exception: str, model: str, method: str) -> None:
        super().__init__(f"odoo: {model}.{method} refused ({exception}): {message}")
        self.kind: FaultKind = kind
        self.message = message
        self.exception = exception
        self.model = model
        self.method = method

    @property
    def field(self) -> str | None:
        return field_named_in(self.message)

    def to_result(self, ref: str) -> WriteResult:
        return WriteResult(ref=ref, ok=False, error=self.message, field=self.field, transient=False)


class OdooAuthError(PermanentError):
    """Odoo refused the credentials."""


class OdooCallError(PermanentError):
    """The call is wrong for this server (unknown model or method, bad parameters)."""


def _clean(message: str) -> str:
    return message.strip() or "(no message)"


def classify(name: str, message: str, *, model: str, method: str) -> ConnectorError:
    """An Odoo exception (qualified class name + message) as the error the connector raises."""
    message = _clean(message)
    where = f"{model}.{method}"
    if name in _BY_NAME:
        kind = _BY_NAME[name]
        if kind == "user" and _MISSING_TEXT.search(message):
            kind = "missing"
        return OdooFault(kind, message, exception=name, model=model, method=method)
    if name in ("odoo.exceptions.AccessDenied", "werkzeug.exceptions.Unauthorized"):
        return OdooAuthError(
            f"odoo: {where}: the server refused the credentials ({message}); check the connection's "
            "login and password, or rotate the API key (Odoo 19 keys last at most three months)"
        )
    if name in _TRANSIENT_NAMES:
        return TransientError(f"odoo: {where}: {name}: {message}")
    if name in _CALL_ERRORS:
        return OdooCallError(
            f"odoo: {where} is not a valid call on this server ({name}: {message}); check the model, "
            "method and parameters, and that the Odoo module providing them is installed"
        )
    if name.startswith("psycopg2.") and "does not exist" in message:
        return PermanentError(f"odoo: {where}: {message}; check the database name of the connection")
    return TransientError(f"odoo: {where} failed on the server ({name}): {message}")


def classify_traceback(traceback_text: str, *, model: str, method: str) -> ConnectorError:
    """XML-RPC fault 1 sends the server's traceback; its last line names the exception."""
    lines = traceback_text.strip().splitlines()
    for index in range(len(lines) - 1, -1, -1):
        match = _LAST_LINE.match(lines[index].strip())
        if match:
            name = match.group("name")
            if "." not in name:
                name = f"builtins.{name}"
            message = "\n".join([match.group("msg"), *lines[index + 1 :]])
            return classify(name, message, model=model, method=method)
    return TransientError(f"odoo: {model}.{method} failed on the server (no exception named in the fault)")


def classify_fault(code: object, text: str, *, model: str, method: str) -> ConnectorError:
    """An ``/xmlrpc/2`` fault: 1 = any other exception (its traceback), 2 = the ``UserError`` family
    (validation, business rule, deleted record: one code for all), 3 = ``AccessDenied``, 4 =
    ``AccessError``."""
    if code == 1:
        return classify_traceback(text, model=model, method=method)
    if code == 2 and _UNKNOWN_MODEL.match(text.strip()):
        return OdooCallError(
            f"odoo: {text.strip()} (calling {model}.{method}); is the Odoo module providing it installed?"
        )
    if code == 2:
        kind: FaultKind = "missing" if _MISSING_TEXT.search(text) else "user"
        return OdooFault(
            kind, _clean(text), exception="odoo.exceptions.UserError", model=model, method=method
        )
    if code == 3:
        return classify("odoo.exceptions.AccessDenied", text, model=model, method=method)
    if code == 4:
        return OdooFault(
            "access", _clean(text), exception="odoo.exceptions.AccessError", model=model, method=method
        )
    return OdooCallError(f"odoo: {model}.{method} failed with XML-RPC fault {code!r}: {text[:300]}")
