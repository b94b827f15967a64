"""SuiteCRM's V8 refusals as exceptions that say what was refused, where, and what to do.

V8 answers errors as ``{"errors": {"status": 400, "title": null, "detail": "..."}}`` (an object, not
JSON:API's array) and uses 400 for nearly everything, "record not found" included. The detail text
is the only way to tell the cases apart; the patterns below are the texts of SuiteCRM 7.14.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from connectors.base import RecordError

__all__ = ["ApiRefusal", "RecordExists", "RecordNotFound", "refusal_from"]

_NOT_FOUND = re.compile(r"^(?P<module>\w+) module with id (?P<id>\S+) is not found")
_EXISTS = re.compile(r"^Bean (?P<module>\w+) with id (?P<id>\S+) is already exist")
_BAD_PROPERTY = re.compile(r"^Property (?P<field>\w+) in (?P<module>\w+) module is invalid")
_BAD_FILTER_FIELD = re.compile(r"^Filter field (?P<field>\w+) in (?P<module>\w+) module is not found")
_BAD_OPTION = re.compile(r'^The option "(?P<option>[^"]+)" with value (?P<value>.*) is invalid')
_NO_MODULE = re.compile(r"^Module (?:with name )?(?P<module>\S+) (?:is not found|does not exist)")
_NOT_RELATED = re.compile(r"^Module with (?P<id>\S+) id is not related to (?P<module>\w+)")


@dataclass(eq=False)
class ApiRefusal(RecordError):
    """SuiteCRM refused one request (HTTP 4xx other than 401/429); retrying it will not help.

    A :class:`RecordError`, so a refused write becomes that record's failed result with ``field``.
    """

    status: int
    detail: str
    method: str
    path: str
    field: str | None = None
    fix: str | None = None

    def __post_init__(self) -> None:
        super().__init__(str(self), field=self.field)

    def __str__(self) -> str:
        where = f" (field {self.field})" if self.field else ""
        fix = f"; {self.fix}" if self.fix else ""
        return f"SuiteCRM refused {self.method} {self.path}{where}: {self.detail} [HTTP {self.status}]{fix}"


@dataclass(eq=False)
class RecordNotFound(ApiRefusal):
    """The record does not exist or was deleted (SuiteCRM answers 400, never 404, for both)."""

    module: str = ""
    record_id: str = ""


@dataclass(eq=False)
class RecordExists(ApiRefusal):
    """A create with a client-chosen id that is taken, possibly by a deleted record."""

    module: str = ""
    record_id: str = ""


def refusal_from(status: int, detail: str, method: str, path: str) -> ApiRefusal:
    """The most specific refusal for a V8 error ``detail``."""
    at: dict[str, Any] = {"status": status, "detail": detail, "method": method, "path": path}
    if m := _NOT_FOUND.match(detail):
        fix = "it was deleted in SuiteCRM or never existed"
        return RecordNotFound(**at, fix=fix, module=m["module"], record_id=m["id"])
    if m := _EXISTS.match(detail):
        fix = "the id is taken (a deleted record keeps its id): update that record or create with a new id"
        return RecordExists(**at, fix=fix, module=m["module"], record_id=m["id"])
    if m := _BAD_PROPERTY.match(detail):
        fix = (
            f"{m['module']} has no field {m['field']}: check the mapping, or install the SyncHub fields "
            "package (docs/connectors/suitecrm.md)"
        )
        return ApiRefusal(**at, field=m["field"], fix=fix)
    if m := _BAD_FILTER_FIELD.match(detail):
        fix = f"filter on a database field of {m['module']} (GET /V8/meta/fields/<module> lists them)"
        return ApiRefusal(**at, field=m["field"], fix=fix)
    if m := _NO_MODULE.match(detail):
        fix = f"no module {m['module']} is enabled for the API user (GET /V8/meta/modules lists them)"
        return ApiRefusal(**at, fix=fix)
    if _NOT_RELATED.match(detail):
        return ApiRefusal(**at, fix="the records are not related (nothing to remove)")
    if m := _BAD_OPTION.match(detail):
        return ApiRefusal(**at, field=m["option"], fix=_option_fix(m["option"]))
    return ApiRefusal(**at)


def _option_fix(option: str) -> str:
    return {
        "id": "SuiteCRM ids are GUIDs (8-4-4-4-12 hex digits)",
        "sort": "sort takes one field, optionally with '-' for descending",
        "size": "page[size] must be a positive whole number",
        "number": "page[number] must be a positive whole number (pages count from 1)",
    }.get(option, "check the request parameters")
