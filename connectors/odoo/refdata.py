"""Reference data the entities name by code instead of id: countries, currencies, payment terms,
units, task stages. Read once per connector (a run), matched exactly, never created."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connectors.odoo.domains import Domain

__all__ = ["KINDS", "ReferenceData", "UnknownCode"]

# kind -> (model, field that names a record)
KINDS: dict[str, tuple[str, str]] = {
    "country": ("res.country", "code"),
    "currency": ("res.currency", "name"),
    "payment_term": ("account.payment.term", "name"),
    "uom": ("uom.uom", "name"),
    "stage": ("project.task.type", "name"),
}


class UnknownCode(LookupError):
    """A code with no record in Odoo: the record naming it is refused, naming the field."""


class ReferenceData:
    """``code <-> id`` of small reference models, one ``search_read`` per kind."""

    def __init__(self, call: Callable[..., Any]) -> None:
        self._call = call
        self._ids: dict[str, dict[str, int]] = {}
        self._codes: dict[str, dict[int, str]] = {}

    def _load(self, kind: str, domain: Domain | None = None) -> None:
        if kind in self._ids:
            return
        model, field = KINDS[kind]
        rows = self._call(
            model, "search_read", domain=domain or [], fields=[field], order="id asc",
            context={"active_test": False},
        )  # fmt: skip
        self._ids[kind] = {}
        self._codes[kind] = {}
        for row in rows:
            code = row.get(field)
            if code:
                self._ids[kind].setdefault(str(code), int(row["id"]))
                self._codes[kind][int(row["id"])] = str(code)

    def id_of(self, kind: str, code: Any) -> int | None:
        """The id of the record called ``code``; ``None`` for no code; :class:`UnknownCode` otherwise."""
        if code in (None, ""):
            return None
        self._load(kind)
        found = self._ids[kind].get(str(code))
        if found is None:
            model, field = KINDS[kind]
            known = ", ".join(sorted(self._ids[kind])[:12]) or "none"
            raise UnknownCode(f"no {model} with {field} {code!r} in Odoo (known: {known})")
        return found

    def code_of(self, kind: str, value: Any) -> str | None:
        """The code of a many2one value as read (``[id, name]``, an id, or ``False``)."""
        if isinstance(value, list | tuple):
            value = value[0] if value else None
        if not value:
            return None
        self._load(kind)
        return self._codes[kind].get(int(value))
