"""Odoo's exception classes as the RPC layers see them, and how each transport reports them.

The class names matter: JSON-RPC and JSON-2 send ``module.ClassName`` in ``name`` (clients classify
by it), XML-RPC picks its integer fault code from the class, JSON-2 its HTTP status (``http_status``
of ``UserError`` and subclasses, 500 for anything else). Facts from Odoo 17-19 ``odoo/exceptions.py``,
``addons/rpc/controllers/xmlrpc.py`` and the JSON-2 dispatcher.
"""

from __future__ import annotations

import traceback
from typing import Any, ClassVar

__all__ = [
    "AccessDenied",
    "AccessError",
    "BadRequest",
    "HttpError",
    "MethodNotAllowed",
    "MissingError",
    "NotFound",
    "OperationalError",
    "Unauthorized",
    "UnprocessableEntity",
    "UserError",
    "ValidationError",
    "exception_name",
    "serialize",
    "xmlrpc_fault_code",
    "xmlrpc_fault_string",
    "xmlrpc_legacy_fault",
]


class UserError(Exception):
    """A refusal the user can act on (JSON-2: 422, XML-RPC: fault 2)."""

    http_status: ClassVar[int] = 422


class ValidationError(UserError):
    """A constraint refused the values (python constraints, SQL constraints, NOT NULL)."""


class AccessError(UserError):
    """No access right or record rule allows the operation (JSON-2: 403, XML-RPC: fault 4)."""

    http_status = 403


class AccessDenied(UserError):
    """Bad credentials on an object call (JSON-2: 403, XML-RPC: fault 3). No traceback."""

    http_status = 403

    def __init__(self, message: str = "Access Denied") -> None:
        super().__init__(message)


class MissingError(UserError):
    """The record was deleted (JSON-2: 404, XML-RPC: fault 2)."""

    http_status = 404


class OperationalError(Exception):
    """psycopg2's error for a database that cannot be reached (or does not exist): fault 1 / 500."""


OperationalError.__module__ = "psycopg2"


class HttpError(Exception):
    """werkzeug's HTTP exceptions raised by Odoo's controllers: status and description."""

    code: ClassVar[int] = 500

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class BadRequest(HttpError):
    code = 400


class Unauthorized(HttpError):
    code = 401


class NotFound(HttpError):
    code = 404


class MethodNotAllowed(HttpError):
    code = 405


class UnprocessableEntity(HttpError):
    code = 422


_WERKZEUG = (BadRequest, Unauthorized, NotFound, MethodNotAllowed, UnprocessableEntity)
_ODOO = (UserError, ValidationError, AccessError, AccessDenied, MissingError)


def exception_name(exc: BaseException) -> str:
    """The qualified class name Odoo sends: ``odoo.exceptions.UserError``, ``builtins.ValueError``."""
    cls = type(exc)
    if cls in _ODOO:
        return f"odoo.exceptions.{cls.__name__}"
    if cls in _WERKZEUG:
        return f"werkzeug.exceptions.{cls.__name__}"
    module = cls.__module__
    return f"{module}.{cls.__qualname__}" if module else cls.__qualname__


def _traceback(exc: BaseException) -> str:
    if isinstance(exc, AccessDenied):  # Odoo suppresses it: no server internals for a wrong password
        return ""
    return "".join(traceback.format_exception(exc))


def serialize(exc: BaseException) -> dict[str, Any]:
    """The error object of JSON-RPC (``error.data``) and of JSON-2 (the whole body)."""
    if isinstance(exc, HttpError):
        message, arguments = exc.description, [exc.description, exc.code]
    else:
        message, arguments = str(exc), [str(a) if not isinstance(a, int | float) else a for a in exc.args]
    return {
        "name": exception_name(exc),
        "message": message,
        "arguments": arguments,
        "context": {},
        "debug": _traceback(exc),
    }


def xmlrpc_fault_code(exc: BaseException) -> int:
    """``/xmlrpc/2`` fault codes, tested in Odoo's order (AccessError before AccessDenied)."""
    if isinstance(exc, AccessError):
        return 4
    if isinstance(exc, AccessDenied):
        return 3
    if isinstance(exc, UserError):
        return 2
    return 1


def xmlrpc_fault_string(exc: BaseException) -> str:
    """The message for Odoo's own exceptions, the full traceback for anything else."""
    if isinstance(exc, UserError):
        return str(exc)
    return _traceback(exc)


def xmlrpc_legacy_fault(exc: BaseException) -> tuple[str, str]:
    """(faultCode, faultString) of the historic ``/xmlrpc/<service>`` endpoints: string codes."""
    if isinstance(exc, MissingError):
        return f"warning -- MissingError\n\n{exc}", ""
    if isinstance(exc, AccessError):
        return f"warning -- AccessError\n\n{exc}", ""
    if isinstance(exc, AccessDenied):
        return "AccessDenied", str(exc)
    if isinstance(exc, UserError):
        return f"warning -- UserError\n\n{exc}", ""
    return str(exc), _traceback(exc)
