"""``quote`` and ``sales_order``: both are SuiteCRM AOS_Quotes.

A quote's lines are AOS_Products_Quotes (``parent_type=AOS_Quotes``) in one AOS_Line_Item_Groups
group, as SuiteCRM's own editor makes them. The editor computes totals in the browser, not the
server, so the connector writes the line totals, the group's and the quote's (no discounts or tax:
the ERP prices the order). Lines are written by position, with ids derived from the quote and the
position, like contacts (``accounts.py``).

``sales_order`` is every quote in stage "Closed Accepted": SuiteCRM has no orders module, so an
accepted quote is the order the ERP makes exactly one sale of, and the ERP's order number and
statuses come back into the package's ``synchub_*`` fields of that quote - the only fields a
sales order write may change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from connectors.base import RecordError
from connectors.suitecrm.client import Filter, Record
from connectors.suitecrm.custom_fields import DROPDOWNS
from connectors.suitecrm.entity import CurrencyMixin, positional_id, record_id_for
from connectors.suitecrm.errors import RecordExists
from connectors.suitecrm.fields import Spec, encode, plain_decimal
from connectors.suitecrm.values import format_decimal

__all__ = ["ACCEPTED", "ERP_FIELDS", "Quotes", "SalesOrders", "line_id"]

ACCEPTED = "Closed Accepted"
STAGES = ("Draft", "Negotiation", "Delivered", "On Hold", "Confirmed", ACCEPTED, "Closed Lost", "Closed Dead")
QUOTE_SPECS: dict[str, Spec] = {
    "name": Spec(max_length=255, required=True),
    "stage": Spec("enum", options=STAGES, required=True),
    "expiration": Spec("date"),
    "term": Spec("enum", options=("Net 15", "Net 30")),
    "billing_account_id": Spec("id"),
    "description": Spec("text"),
}
LINE_SPECS: dict[str, Spec] = {
    "product_id": Spec("id"),
    "name": Spec(max_length=255, required=True),
    "product_qty": Spec("decimal", scale=4, required=True),
    "product_unit_price": Spec("decimal", required=True),
}
ERP_FIELDS: dict[str, Spec] = {
    "synchub_order_number_c": Spec(max_length=64),
    **{
        f"synchub_{kind}_status_c": Spec(
            "enum", options=tuple(k for k in DROPDOWNS[f"synchub_{kind}_status_list"] if k)
        )
        for kind in ("order", "delivery", "invoice")
    },
}
READ_ONLY = ("number", "total_amount")
CENT = Decimal("0.01")
LINE_PAGE = 200


def line_id(quote_id: str, position: int) -> str:
    """The id of the quote line SyncHub writes at ``position`` (id order = position)."""
    return positional_id(quote_id, "line", position)


def _amount(value: Decimal) -> str:
    return format_decimal(value.quantize(CENT))


class Quotes(CurrencyMixin):
    name = "quote"
    native = "AOS_Quotes"
    specs = QUOTE_SPECS
    read_fields = (*QUOTE_SPECS, *READ_ONLY)
    decimals = ("total_amount",)
    dates = ("expiration",)

    def child_fields(self) -> tuple[str, ...]:
        return ("lines", *READ_ONLY)

    def with_children(self, datas: list[dict[str, Any]], rows: Sequence[Record]) -> list[dict[str, Any]]:
        for data, row in zip(datas, rows, strict=True):
            data["lines"] = [_line(r) for r in self.lines_of(row.id)]
        return datas

    def lines_of(self, quote_id: str) -> list[Record]:
        where = [Filter("parent_type", "eq", "AOS_Quotes"), Filter("parent_id", "eq", quote_id)]
        rows = list(self.client.scan("AOS_Products_Quotes", fields=[*LINE_SPECS, "number"], filters=where))
        return sorted(rows, key=lambda r: (int(r.attributes.get("number") or 0), r.id))

    def attributes(self, data: Mapping[str, Any], *, creating: bool) -> dict[str, str]:
        attributes = super().attributes(data, creating=creating)
        if creating:
            attributes.setdefault("currency_id", "-99")  # SuiteCRM's system currency
        if "lines" in data:
            total = sum((qty * price for qty, price, _ in self._lines(data)), Decimal(0))
            for name in ("total_amt", "subtotal_amount", "total_amount"):
                attributes[name] = _amount(total)
            attributes["discount_amount"] = attributes["tax_amount"] = "0"
        return attributes

    def _lines(self, data: Mapping[str, Any]) -> list[tuple[Decimal, Decimal, dict[str, str]]]:
        out = []
        for position, line in enumerate(data.get("lines") or []):
            if not isinstance(line, Mapping):
                raise RecordError(f"lines[{position}] is not a record: {line!r}", field="lines")
            try:
                wire = encode(LINE_SPECS, line, "AOS_Products_Quotes")
            except RecordError as exc:
                raise RecordError(f"lines[{position}]: {exc}", field=f"lines.{exc.field}") from None
            out.append((Decimal(wire["product_qty"]), Decimal(wire["product_unit_price"]), wire))
        return out

    def write_children(self, record_id: str, data: Mapping[str, Any], *, created: bool) -> None:
        if "lines" not in data:
            return
        lines = self._lines(data)
        total = sum((qty * price for qty, price, _ in lines), Decimal(0))
        group = record_id_for(record_id, "group")
        group_fields = {
            "name": "SyncHub",
            "parent_type": "AOS_Quotes",
            "parent_id": record_id,
            "number": "1",
            "currency_id": "-99",
            **{k: _amount(total) for k in ("total_amt", "subtotal_amount", "total_amount")},
            **dict.fromkeys(("discount_amount", "tax_amount"), "0"),
        }
        self._put("AOS_Line_Item_Groups", group, group_fields)
        current = {} if created else {r.id: r for r in self.lines_of(record_id)}
        wanted = set()
        for position, (qty, price, wire) in enumerate(lines):
            chosen = line_id(record_id, position)
            wanted.add(chosen)
            fields = {
                **wire,
                "parent_type": "AOS_Quotes",
                "parent_id": record_id,
                "group_id": group,
                "number": str(position + 1),
                "product_list_price": wire["product_unit_price"],
                "product_total_price": _amount(qty * price),
                "product_discount": "0",
                "discount": "Percentage",
                "vat": "0.0",
                "vat_amt": "0",
                "currency_id": "-99",
            }
            have = current.get(chosen)
            if have is None:
                self._put("AOS_Products_Quotes", chosen, fields)
            elif any(
                plain_decimal(have.attributes.get(k)) != plain_decimal(wire[k])
                for k in ("product_qty", "product_unit_price")
            ) or any((have.attributes.get(k) or "") != wire[k] for k in ("product_id", "name")):
                self.client.update("AOS_Products_Quotes", chosen, fields)
        for stale in set(current) - wanted:
            self.client.delete("AOS_Products_Quotes", stale)

    def _put(self, module: str, record_id: str, fields: dict[str, str]) -> None:
        """Create with a chosen id, or update the record a crashed earlier try created."""
        try:
            self.client.create(module, fields, record_id=record_id)
        except RecordExists:
            self.client.update(module, record_id, fields)


class SalesOrders(Quotes):
    """Accepted quotes; a write carries back only what the ERP knows (``synchub_*`` fields)."""

    name = "sales_order"
    native = "AOS_Quotes"
    can_create = False
    can_delete = False  # accepted: reject or re-stage it in SuiteCRM instead
    read_fields = (*QUOTE_SPECS, *READ_ONLY, *ERP_FIELDS, "date_entered")
    filters = (Filter("stage", "eq", ACCEPTED),)

    def shape(self, row: Record) -> dict[str, Any]:
        """Plus ``order_date``: the day the quote was entered (UTC), the only date SuiteCRM knows of it."""
        data = super().shape(row)
        entered = data.pop("date_entered", None)
        data["order_date"] = entered[:10] if entered else None
        return data

    def attributes(self, data: Mapping[str, Any], *, creating: bool) -> dict[str, str]:
        others = sorted(k for k in data if k not in ERP_FIELDS)
        if others:
            raise RecordError(
                f"field {others[0]!r}: an accepted SuiteCRM quote is what the customer agreed to; SyncHub "
                f"writes back only the ERP's order fields ({', '.join(ERP_FIELDS)}), not {', '.join(others)}",
                field=others[0],
            )
        return encode(ERP_FIELDS, data, "AOS_Quotes")

    def write_children(self, record_id: str, data: Mapping[str, Any], *, created: bool) -> None:
        return None


def _line(row: Record) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name in LINE_SPECS:
        raw = row.attributes.get(name, "")
        data[name] = plain_decimal(raw) if name in ("product_qty", "product_unit_price") else (raw or None)
    return data
