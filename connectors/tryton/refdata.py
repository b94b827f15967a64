"""Codes <-> ids of Tryton's reference records (countries, currencies, units, payment terms, ...).

Native records carry codes (``"DE"``, ``"EUR"``, ``"kg"``) so mappings never see database ids
of reference data; each lookup table is read once per connector.
"""

from __future__ import annotations

from typing import Any

from connectors.tryton.client import TrytonClient

__all__ = ["ReferenceData", "UnknownCode"]

# model -> the field that names a record for people and mappings
KEYS = {
    "country.country": "code",
    "country.subdivision": "code",
    "currency.currency": "code",
    "product.uom": "symbol",
    "account.invoice.payment_term": "name",
    "sale.complaint.type": "name",
}


class UnknownCode(LookupError):
    def __init__(self, model: str, code: Any) -> None:
        self.model, self.code = model, code
        super().__init__(f"{model} {code!r} does not exist in this Tryton database")


class ReferenceData:
    def __init__(self, client: TrytonClient) -> None:
        self.client = client
        self._by_code: dict[str, dict[Any, int]] = {}
        self._by_id: dict[str, dict[int, Any]] = {}

    def _load(self, model: str) -> None:
        if model in self._by_code:
            return
        key = KEYS[model]
        rows = self.client.model(model, "search_read", [], 0, None, None, [key])
        self._by_code[model] = {row[key]: row["id"] for row in rows}
        self._by_id[model] = {row["id"]: row[key] for row in rows}

    def id_of(self, model: str, code: Any) -> int | None:
        """The id for ``code``; ``None`` for no code; :class:`UnknownCode` for a code not there."""
        if code in (None, ""):
            return None
        self._load(model)
        try:
            return self._by_code[model][code]
        except KeyError:
            raise UnknownCode(model, code) from None

    def code_of(self, model: str, record_id: int | None) -> Any:
        if not record_id:
            return None
        self._load(model)
        if record_id not in self._by_id[model]:
            self._by_code.pop(model)  # created since we looked: read again once
            self._load(model)
        return self._by_id[model].get(record_id)
