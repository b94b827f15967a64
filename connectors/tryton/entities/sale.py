"""quote and sales_order = ``sale.sale``; a quote becomes an order by its ``quote`` and ``confirm`` buttons.

Native shape::

    {"number", "reference", "description", "party": "7", "state": "draft"|"quotation"|"confirmed"|
     "processing"|"done"|"cancelled", "currency": "EUR", "sale_date": date, "quotation_expire": date,
     "invoice_state", "shipment_state", "invoice_address": "3", "shipment_address": "3",
     "lines": [{"product": "5", "description", "quantity": Decimal, "unit": "u", "unit_price": Decimal,
                "actual_quantity": Decimal}],
     "untaxed_amount": Decimal, "total_amount": Decimal}

Every sale is a quote (a confirmed sale is an accepted quote); sales orders are the confirmed ones.
Raw RPC ``create`` runs no on_change logic, so addresses, units and the company are filled here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from connectors.base import ConnectorError, RecordError
from connectors.tryton.client import TrytonError
from connectors.tryton.entities.base import TrytonEntity, as_decimal, as_id, ref_id
from connectors.tryton.refdata import UnknownCode

ORDER_STATES = ("confirmed", "processing", "done")
# buttons that move a sale from one state towards another
STEPS = {
    ("draft", "quotation"): "quote",
    ("quotation", "confirmed"): "confirm",
    ("quotation", "draft"): "draft",
    ("draft", "cancelled"): "cancel",
    ("quotation", "cancelled"): "cancel",
    ("cancelled", "draft"): "draft",
}
ORDER = ("cancelled", "draft", "quotation", "confirmed")
PLAIN = ("reference", "description", "sale_date", "quotation_expire")
ANY_STATE = ("reference",)
"""What Tryton lets change in every state of a sale (the customer's reference); the rest only in drafts."""


class Quote(TrytonEntity):
    name = "quote"
    native = "sale.sale"
    children: ClassVar[Mapping[str, str]] = {"sale.line": "lines"}
    batch_create = False
    fields: ClassVar[tuple[str, ...]] = (
        "number",
        "reference",
        "description",
        "party",
        "state",
        "currency",
        "sale_date",
        "quotation_expire",
        "invoice_state",
        "shipment_state",
        "invoice_address",
        "shipment_address",
        "lines",
        "untaxed_amount",
        "total_amount",
    )
    default_state = "draft"

    def shape(self, rows: list[dict]) -> list[dict[str, Any]]:
        line_ids = [line for row in rows for line in row["lines"]]
        lines = {}
        if line_ids:
            fields = ["type", "product", "description", "quantity", "unit", "unit_price", "actual_quantity"]
            lines = {r["id"]: r for r in self.call("read", line_ids, fields, model="sale.line")}
        return [
            {
                "number": row["number"],
                "reference": row["reference"],
                "description": row["description"],
                "party": as_id(row["party"]),
                "state": row["state"],
                "currency": self.refs.code_of("currency.currency", row["currency"]),
                "sale_date": row["sale_date"],
                "quotation_expire": row["quotation_expire"],
                "invoice_state": row["invoice_state"],
                "shipment_state": row["shipment_state"],
                "invoice_address": as_id(row["invoice_address"]),
                "shipment_address": as_id(row["shipment_address"]),
                "lines": [self._line(lines[i]) for i in row["lines"] if lines[i]["type"] == "line"],
                "untaxed_amount": row["untaxed_amount"],
                "total_amount": row["total_amount"],
            }
            for row in rows
        ]

    def _line(self, row: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "product": as_id(row["product"]),
            "description": row["description"] or None,
            "quantity": as_decimal(row["quantity"]),
            "unit": self.refs.code_of("product.uom", row["unit"]),
            "unit_price": row["unit_price"],
            "actual_quantity": as_decimal(row["actual_quantity"]),
        }

    # -- writes ------------------------------------------------------------------------------------
    def _values(self, data: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
        values: dict[str, Any] = {k: data[k] for k in PLAIN if k in data}
        if "party" in data:
            values["party"] = ref_id(data["party"], "party")
        if "currency" in data:
            try:
                values["currency"] = self.refs.id_of("currency.currency", data["currency"])
            except UnknownCode as exc:
                raise RecordError(
                    f"field 'currency': {exc}; create the currency in Tryton", field="currency"
                ) from None
        for field in ("invoice_address", "shipment_address"):
            if field in data:
                values[field] = ref_id(data[field], field)
        if "lines" in data:
            values["lines"] = [
                ["create", [self._line_values(line, i) for i, line in enumerate(data["lines"])]]
            ]
        if creating:
            if not values.get("party"):
                raise RecordError(
                    "field 'party' is missing; a sale needs the customer's party id", field="party"
                )
            values.setdefault("company", self.client.context.get("company"))
            values.setdefault("invoice_method", self.options.get("invoice_method", "manual"))
            if not values.get("currency"):
                raise RecordError(
                    "field 'currency' is missing; give the sale's currency code", field="currency"
                )
            self._fill_addresses(values)
        return values

    def _line_values(self, line: Mapping[str, Any], index: int) -> dict[str, Any]:
        product = ref_id(line.get("product"), f"lines[{index}].product")
        if line.get("quantity") is None or line.get("unit_price") is None:
            raise RecordError(
                f"line {index + 1} needs a quantity and a unit_price", field=f"lines[{index}].quantity"
            )
        unit = line.get("unit")
        try:
            unit_id = self.refs.id_of("product.uom", unit) if unit else None
        except UnknownCode as exc:
            raise RecordError(f"line {index + 1}: {exc}", field=f"lines[{index}].unit") from None
        if unit_id is None and product is not None:
            (row,) = self.call("read", [product], ["sale_uom"], model="product.product")
            unit_id = row["sale_uom"]
        return {
            "type": "line",
            "product": product,
            "description": line.get("description") or "",
            "quantity": float(line["quantity"]),  # Tryton stores quantities as floats
            "unit": unit_id,
            "unit_price": as_decimal(line["unit_price"]),
        }

    def _fill_addresses(self, values: dict[str, Any]) -> None:
        """What the client's on_change would do: the party's invoice / delivery address."""
        if values.get("invoice_address") and values.get("shipment_address"):
            return
        addresses = self.call(
            "search_read", [["party", "=", values["party"]]], 0, None, [["sequence", "ASC"], ["id", "ASC"]],
            ["invoice", "delivery"], model="party.address",
        )  # fmt: skip
        if not addresses:
            raise RecordError(
                f"party {values['party']} has no address; add an invoice address to the customer in Tryton "
                "(a sale cannot be quoted without one)",
                field="invoice_address",
            )
        first = addresses[0]["id"]
        invoice = next((a["id"] for a in addresses if a["invoice"]), first)
        delivery = next((a["id"] for a in addresses if a["delivery"]), first)
        values.setdefault("invoice_address", invoice)
        values.setdefault("shipment_address", delivery)

    def create_values(self, data: Mapping[str, Any]) -> dict[str, Any]:
        return self._values(data, creating=True)

    def after_create(self, record_id: int, data: Mapping[str, Any]) -> None:
        target = data.get("state") or self.default_state
        try:
            self.move_to(record_id, "draft", target)
        except Exception:
            self._discard(record_id)  # do not leave a half-made sale behind: the retry creates it anew
            raise

    def _discard(self, record_id: int) -> None:
        try:
            (row,) = self.call("read", [record_id], ["state"])
            if row["state"] not in ("draft", "cancelled"):
                self.call("cancel", [record_id])
            self.call("delete", [record_id])
        except (TrytonError, ConnectorError):
            pass  # best effort; the per-record error already tells the user what failed

    def move_to(self, record_id: int, current: str, target: str) -> None:
        """Press the buttons that lead from ``current`` to ``target`` (accepting warnings if allowed)."""
        if target in ("processing", "done"):
            target = "confirmed"  # later states follow from shipments and invoices, not from us
        if current in ("processing", "done"):
            current = "confirmed"
        guard = 0
        while current != target:
            step = STEPS.get((current, target))
            if step is None:  # go one state at a time along draft -> quotation -> confirmed
                if target not in ORDER or current not in ORDER:
                    raise RecordError(
                        f"a sale cannot go from {current!r} to {target!r} in Tryton", field="state"
                    )
                nxt = ORDER[ORDER.index(current) + (1 if ORDER.index(target) > ORDER.index(current) else -1)]
                step = STEPS.get((current, nxt))
                if step is None:
                    raise RecordError(
                        f"a sale cannot go from {current!r} to {target!r} in Tryton", field="state"
                    )
            else:
                nxt = target
            self.press(step, record_id)
            (row,) = self.call("read", [record_id], ["state"])
            current = "confirmed" if row["state"] in ("processing", "done") else row["state"]
            guard += 1
            if guard > 4:
                raise RecordError(
                    f"sale {record_id} stays {current!r} after {step!r}; check it in Tryton", field="state"
                )

    def press(self, button: str, record_id: int) -> None:
        try:
            self.call(button, [record_id])
        except TrytonError as exc:
            if exc.kind != "UserWarning" or not self.options.get("accept_warnings"):
                raise
            # The user accepted such warnings for this connection: record it as Tryton's client does.
            self.call(
                "create", [{"user": self.client.uid, "name": exc.warning_key}], model="res.user.warning"
            )
            self.call(button, [record_id])

    def change(self, record_id: int, data: Mapping[str, Any]) -> None:
        (row,) = self.call("read", [record_id], ["state", "lines"])
        values = self._values({k: v for k, v in data.items() if k != "state"}, creating=False)
        free = {k: values.pop(k) for k in ANY_STATE if k in values}
        if values and row["state"] not in ("draft", "quotation"):
            # Tryton locks a sale once confirmed: it must be refused as exactly that, not as a state move
            changed = sorted(k for k in data if k not in ("state", *ANY_STATE))
            field = "lines" if "lines" in changed else changed[0]
            raise RecordError(
                f"sale {record_id} is {row['state']!r} in Tryton, which locks {', '.join(changed)} of a "
                "confirmed sale; Tryton changes a sale only while it is a draft or quotation: make the "
                "change in Tryton (e.g. a follow-up sale), or undo it on the other side",
                field=field,
            )
        if values:
            if row["state"] != "draft":
                self.move_to(record_id, row["state"], "draft")  # only drafts can change
            if "lines" in values and row["lines"]:
                values["lines"].insert(0, ["delete", row["lines"]])
            self.call("write", [record_id], {**values, **free})
            current = "draft"
        else:
            if free:
                self.call("write", [record_id], free)
            current = row["state"]
        target = data.get("state") or row["state"]
        self.move_to(record_id, current, target)

    def remove(self, record_id: int) -> None:
        (row,) = self.call("read", [record_id], ["state"])
        if row["state"] not in ("draft", "cancelled"):
            self.move_to(record_id, row["state"], "cancelled")
        self.call("delete", [record_id])


class SalesOrder(Quote):
    """Confirmed sales; Tryton deletes a sale only once cancelled, and a confirmed sale cannot be."""

    name = "sales_order"
    can_delete = False
    domain: ClassVar[list[Any]] = ["state", "in", list(ORDER_STATES)]
    default_state = "confirmed"
