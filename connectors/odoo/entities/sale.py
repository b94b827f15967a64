"""quote and sales_order = ``sale.order``: a quotation (draft, sent) becomes an order by ``action_confirm``.

Native shape::

    {"name": "S00012" (Odoo's number), "client_order_ref", "partner_id": "7", "state": "draft"|"sent"|
     "sale"|"cancel", "currency": "EUR", "date_order": date, "validity_date": date,
     "invoice_status": "no"|"to invoice"|"invoiced"|"upselling",
     "lines": [{"product_id": "5", "name", "product_uom_qty": Decimal, "price_unit": Decimal}],
     "amount_untaxed": Decimal, "amount_total": Decimal}

Every ``sale.order`` is a quote; sales orders are the confirmed ones (``state = sale``). An order is
created with its lines in one call, then confirmed in a second. **Idempotency**: a create carrying
``client_order_ref`` (the CRM quote's number) first looks for a live order with exactly that
reference and, if found, only moves it on (confirming it if it is still a quotation): a create
retried after a crash between the two calls, or after a lost answer, never makes a second order.
Lines are written as ``order_line`` commands, position by position, only where they differ, and
always with ``price_unit`` beside a quantity (Odoo 17 recomputes a manual price on a quantity change).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from connectors.base import RecordError
from connectors.odoo.domains import Domain, all_of, equals, leaf
from connectors.odoo.entities.base import OdooEntity, as_decimal, m2o_id, ref_id, text

LINE_FIELDS = ("product_id", "name", "product_uom_qty", "price_unit", "display_type", "sequence")
PLAIN = ("client_order_ref", "validity_date")
NO_WARNING = {"disable_cancel_warning": True}


class Quote(OdooEntity):
    name = "quote"
    native = "sale.order"
    batch_create = False  # each create is followed by its action
    fields: ClassVar[tuple[str, ...]] = (
        "name",
        "client_order_ref",
        "partner_id",
        "state",
        "currency_id",
        "date_order",
        "validity_date",
        "invoice_status",
        "order_line",
        "amount_untaxed",
        "amount_total",
    )
    field_hints = (("sale_order_line_", "lines"), ("sale_order_partner_id", "partner_id"))
    default_state = "draft"

    def shape(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        line_ids = [line for row in rows for line in row["order_line"]]
        lines: dict[int, dict[str, Any]] = {}
        if line_ids:
            found = self.call("read", line_ids, model="sale.order.line", fields=list(LINE_FIELDS))
            lines = {r["id"]: r for r in found}
        return [
            {
                "name": row["name"],
                "client_order_ref": text(row["client_order_ref"]),
                "partner_id": m2o_id(row["partner_id"]),
                "state": row["state"],
                "currency": self.refs.code_of("currency", row["currency_id"]),
                "date_order": str(row["date_order"])[:10] if row["date_order"] else None,
                "validity_date": row["validity_date"] or None,
                "invoice_status": row["invoice_status"] or None,
                "lines": [_line(lines[i]) for i in _ordered(lines, row["order_line"])],
                "amount_untaxed": as_decimal(row["amount_untaxed"]),
                "amount_total": as_decimal(row["amount_total"]),
            }
            for row in rows
        ]

    # -- writes ------------------------------------------------------------------------------------
    def _values(self, data: Mapping[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {k: data[k] or False for k in PLAIN if k in data}
        if "partner_id" in data:
            values["partner_id"] = ref_id(data["partner_id"], "partner_id")
        if data.get("currency") and data["currency"] != self.connector.company["currency"]:
            raise RecordError(
                f"field 'currency': {data['currency']!r} is not the currency of Odoo's pricelist "
                f"({self.connector.company['currency']}); Odoo takes an order's currency from its pricelist",
                field="currency",
            )
        return values

    def create(self, data: dict[str, Any], ref: str) -> str:
        target = data.get("state") or self.default_state
        found = self._by_reference(data.get("client_order_ref"))
        if found is not None:  # made before (a retried create): move it on, never make a second one
            record_id, current = found
        else:
            (new_id,) = self.call("create", vals_list=[self.create_values(data)])
            record_id, current = int(new_id), "draft"
        self.move_to(record_id, current, target)
        return str(record_id)

    def create_values(self, data: Mapping[str, Any]) -> dict[str, Any]:
        values = self._values(data)
        if not values.get("partner_id"):
            raise RecordError(
                "field 'partner_id' is missing; an order needs its customer", field="partner_id"
            )
        values["order_line"] = [
            [0, 0, _line_values(line, i)] for i, line in enumerate(data.get("lines") or [])
        ]
        return values

    def _by_reference(self, reference: Any) -> tuple[int, str] | None:
        if not reference:
            return None
        domain: Domain = all_of(equals("client_order_ref", str(reference)), leaf("state", "!=", "cancel"))
        rows = self.call("search_read", domain=domain, fields=["state"], order="id asc", limit=1)
        return (int(rows[0]["id"]), rows[0]["state"]) if rows else None

    def write_values(self, record_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
        values = self._values(data)
        if "lines" in data:
            commands = self._line_commands(record_id, data["lines"] or [])
            if commands:
                values["order_line"] = commands
        return values

    def after_write(self, record_id: int, data: Mapping[str, Any]) -> None:
        if data.get("state"):
            (row,) = self.call("read", [record_id], fields=["state"])
            self.move_to(record_id, row["state"], data["state"])

    def _line_commands(self, record_id: int, wanted: list[Mapping[str, Any]]) -> list[list[Any]]:
        (row,) = self.call("read", [record_id], fields=["order_line"])
        found = []
        if row["order_line"]:
            found = self.call("read", row["order_line"], model="sale.order.line", fields=list(LINE_FIELDS))
        lines = {r["id"]: r for r in found}
        current = [lines[i] for i in _ordered(lines, row["order_line"])]
        commands: list[list[Any]] = []
        for index, line in enumerate(wanted):
            values = _line_values(line, index)
            if index >= len(current):
                commands.append([0, 0, values])
                continue
            old = _line(current[index])
            diff = {k: v for k, v in values.items() if _differs(old, k, v)}
            if "product_uom_qty" in diff:
                diff["price_unit"] = values["price_unit"]  # or Odoo 17 recomputes a manual price
            if diff:
                commands.append([1, current[index]["id"], diff])
        commands += [[2, old["id"]] for old in current[len(wanted) :]]
        return commands

    def move_to(self, record_id: int, current: str, target: str) -> None:
        """Call the actions that lead from state ``current`` to ``target``."""
        if target == current:
            return
        if current == "sale" and target in ("draft", "sent"):
            raise RecordError(
                f"order {record_id} is confirmed in Odoo and cannot become a quotation again; cancel it "
                "in Odoo first if that is really meant",
                field="state",
            )
        if target not in ("draft", "sent", "sale", "cancel"):
            raise RecordError(
                f"unknown Odoo order state {target!r} (draft, sent, sale, cancel)", field="state"
            )
        if target == "cancel":
            self.call("action_cancel", [record_id], context=NO_WARNING)
        else:
            if current == "cancel":
                self.call("action_draft", [record_id])
            if target == "sent":
                self.call("action_quotation_sent", [record_id])
            elif target == "sale":
                self.call("action_confirm", [record_id])
        (row,) = self.call("read", [record_id], fields=["state"])
        if row["state"] != target:
            raise RecordError(
                f"order {record_id} is {row['state']!r} after moving it to {target!r}", field="state"
            )

    def remove(self, record_id: int) -> None:
        (row,) = self.call("read", [record_id], fields=["state"])
        if row["state"] not in ("draft", "cancel"):
            self.move_to(record_id, row["state"], "cancel")
        self.call("unlink", [record_id])


class SalesOrder(Quote):
    """Confirmed orders; Odoo deletes an order only once cancelled, so deletes are refused."""

    name = "sales_order"
    can_delete = False
    default_state = "sale"

    def scope(self) -> Domain:
        return equals("state", "sale")


def _ordered(lines: Mapping[int, Mapping[str, Any]], ids: list[int]) -> list[int]:
    """Product lines (not sections or notes) in the order Odoo shows them."""
    kept = [i for i in ids if i in lines and not lines[i].get("display_type")]
    return sorted(kept, key=lambda i: (lines[i].get("sequence") or 0, i))


def _differs(old: Mapping[str, Any], key: str, value: Any) -> bool:
    """A line value to write differs from the line as read (ids as ints, numbers as decimals)."""
    if key == "product_id":
        return ref_id(old[key], key) != value
    if key in ("product_uom_qty", "price_unit"):
        return old[key] != as_decimal(value)
    return old[key] != value


def _line(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "product_id": m2o_id(row["product_id"]),
        "name": text(row["name"]),
        "product_uom_qty": as_decimal(row["product_uom_qty"]),
        "price_unit": as_decimal(row["price_unit"]),
    }


def _line_values(line: Mapping[str, Any], index: int) -> dict[str, Any]:
    product = ref_id(line.get("product_id"), f"lines[{index}].product_id")
    if not product:
        raise RecordError(f"line {index + 1} has no product", field=f"lines[{index}].product_id")
    if line.get("product_uom_qty") is None or line.get("price_unit") is None:
        raise RecordError(
            f"line {index + 1} needs a quantity and a unit price", field=f"lines[{index}].product_uom_qty"
        )
    values: dict[str, Any] = {
        "product_id": product,
        "product_uom_qty": line["product_uom_qty"],
        "price_unit": line["price_unit"],
    }
    if line.get("name"):
        values["name"] = line["name"]
    return values
