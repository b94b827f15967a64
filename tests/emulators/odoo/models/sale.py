"""``sale``: quotations and orders (one ``sale.order`` moving through its states) and their lines.

The state machine and its refusals follow Odoo 17-19 ``addons/sale``: ``action_confirm`` only from
draft/sent and only when every accountable line has a product; ``action_cancel`` refuses a locked
order and answers with the cancel wizard's action for sent/confirmed orders unless the context says
``disable_cancel_warning``; ``action_draft`` only moves cancelled or sent orders; only draft or
cancelled orders may be deleted; lines of a confirmed order cannot be deleted, a locked order's
lines refuse changes to their protected fields. Order numbers come from a sequence (S00001...).
Line prices come from the product unless ``price_unit`` is written; up to 17 a later change of
quantity, unit or product recomputes a manual price, from 18 a manual price is kept.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar

from tests.emulators.odoo.exceptions import UserError
from tests.emulators.odoo.fields import Field, renamed
from tests.emulators.odoo.orm import BaseModel

__all__ = ["MODELS"]

STATES = (
    ("draft", "Quotation"),
    ("sent", "Quotation Sent"),
    ("sale", "Sales Order"),
    ("cancel", "Cancelled"),
)
CANCEL_WIZARD_VIEW_ID = 1489


def _money(value: float) -> float:
    return float(Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _now(model: BaseModel) -> Any:
    return model.env.now


class SaleOrder(BaseModel):
    _module = "sale"
    _name = "sale.order"
    _description = "Sales Order"
    _order = "date_order desc, id desc"
    _declared: ClassVar[dict[str, Field]] = {
        "name": Field("char", "Order Reference", required=True, readonly=True, default="New"),
        "state": Field("selection", "Status", selection=STATES, readonly=True, default="draft"),
        "locked": Field("boolean", "Locked", default=False),
        "partner_id": Field(
            "many2one", "Customer", relation="res.partner", required=True, ondelete="restrict"
        ),
        "partner_invoice_id": Field(
            "many2one",
            "Invoice Address",
            relation="res.partner",
            required=True,
            readonly=False,
            compute="_compute_partner_invoice_id",
            depends=("partner_id",),
        ),
        "partner_shipping_id": Field(
            "many2one",
            "Delivery Address",
            relation="res.partner",
            required=True,
            readonly=False,
            compute="_compute_partner_shipping_id",
            depends=("partner_id",),
        ),
        "date_order": Field("datetime", "Order Date", required=True, default=_now),
        "validity_date": Field("date", "Expiration"),
        "client_order_ref": Field("char", "Customer Reference"),
        "origin": Field("char", "Source Document"),
        "note": Field("html", "Terms and conditions"),
        "company_id": Field("many2one", "Company", relation="res.company", required=True, default=1),
        "user_id": Field("many2one", "Salesperson", relation="res.users"),
        "pricelist_id": Field(
            "many2one",
            "Pricelist",
            relation="product.pricelist",
            readonly=False,
            compute="_compute_pricelist_id",
            depends=("partner_id",),
        ),
        "currency_id": Field(
            "many2one",
            "Currency",
            relation="res.currency",
            compute="_compute_currency_id",
            depends=("pricelist_id",),
        ),
        "payment_term_id": Field(
            "many2one",
            "Payment Terms",
            relation="account.payment.term",
            readonly=False,
            compute="_compute_payment_term_id",
            depends=("partner_id",),
        ),
        "order_line": Field("one2many", "Order Lines", relation="sale.order.line", inverse_name="order_id"),
        "amount_untaxed": Field(
            "monetary",
            "Untaxed Amount",
            compute="_compute_amount_untaxed",
            depends=("order_line.price_subtotal",),
        ),
        "amount_tax": Field(
            "monetary", "Taxes", compute="_compute_amount_tax", depends=("order_line.price_tax",)
        ),
        "amount_total": Field(
            "monetary", "Total", compute="_compute_amount_total", depends=("order_line.price_total",)
        ),
        "invoice_status": Field(
            "selection",
            "Invoice Status",
            selection=(
                ("upselling", "Upselling Opportunity"),
                ("invoiced", "Fully Invoiced"),
                ("to invoice", "To Invoice"),
                ("no", "Nothing to Invoice"),
            ),
            compute="_compute_invoice_status",
            depends=("state", "order_line.qty_invoiced"),
        ),
    }

    # -- computes ---------------------------------------------------------------------------------
    def _address(self, i: int, kind: str) -> int | None:
        partner = self._row(i).get("partner_id")
        if not partner:
            return None
        partners = self.env["res.partner"]
        commercial = partners._value(partner, "commercial_partner_id") or partner
        for child in partners._children(commercial, "child_ids", active_only=True):
            if partners._value(child, "type") == kind:
                return child
        return partner

    def _compute_partner_invoice_id(self, i: int) -> int | None:
        return self._address(i, "invoice")

    def _compute_partner_shipping_id(self, i: int) -> int | None:
        return self._address(i, "delivery")

    def _compute_pricelist_id(self, i: int) -> int | None:
        partner = self._row(i).get("partner_id")
        own = self.env["res.partner"]._value(partner, "property_product_pricelist") if partner else None
        return own or 1

    def _compute_currency_id(self, i: int) -> int | None:
        pricelist = self._row(i).get("pricelist_id")
        return self.env["product.pricelist"]._value(pricelist, "currency_id") if pricelist else 1

    def _compute_payment_term_id(self, i: int) -> int | None:
        partner = self._row(i).get("partner_id")
        return self.env["res.partner"]._value(partner, "property_payment_term_id") if partner else None

    def _line_sum(self, i: int, fname: str) -> float:
        lines = self.env["sale.order.line"]
        return _money(
            sum(lines._value(c, fname) or 0.0 for c in self._children(i, "order_line", active_only=False))
        )

    def _compute_amount_untaxed(self, i: int) -> float:
        return self._line_sum(i, "price_subtotal")

    def _compute_amount_tax(self, i: int) -> float:
        return self._line_sum(i, "price_tax")

    def _compute_amount_total(self, i: int) -> float:
        return self._line_sum(i, "price_total")

    def _compute_invoice_status(self, i: int) -> str:
        if self._row(i).get("state") != "sale":
            return "no"
        lines = self.env["sale.order.line"]
        pending = [
            c
            for c in self._children(i, "order_line", active_only=False)
            if not lines._value(c, "display_type")
            and (lines._value(c, "qty_invoiced") or 0) < (lines._value(c, "product_uom_qty") or 0)
        ]
        return "to invoice" if pending else "invoiced"

    # -- create / write / unlink ------------------------------------------------------------------
    def _create_one(self, vals: dict[str, Any]) -> int:
        if vals.get("name", "New") in ("New", False, None):
            vals["name"] = f"S{self._db.next_number('sale.order'):05d}"
        return super()._create_one(vals)

    def write(self, vals: dict[str, Any]) -> bool:
        self._check_write_exists()
        if "pricelist_id" in vals and any(self._row(i).get("state") == "sale" for i in self.ids):
            raise UserError("You cannot change the pricelist of a confirmed order !")
        return super().write(vals)

    def _unlink_checks(self) -> None:
        for i in self.ids:
            if self._row(i).get("state") not in ("draft", "cancel"):
                raise UserError(
                    "You can not delete a sent quotation or a confirmed sales order. "
                    "You must first cancel it."
                )

    # -- actions ----------------------------------------------------------------------------------
    def _confirmation_error_message(self, i: int) -> str | None:
        if self._row(i).get("state") not in ("draft", "sent"):
            return "Some orders are not in a state requiring confirmation."
        lines = self.env["sale.order.line"]
        for line in self._children(i, "order_line", active_only=False):
            if not lines._value(line, "display_type") and not lines._value(line, "product_id"):
                return "A line on these orders missing a product, you cannot confirm it."
        return None

    def action_confirm(self) -> bool:
        self._ensure_exist()
        for i in self.ids:
            message = self._confirmation_error_message(i)
            if message:
                raise UserError(message)
        self.write({"state": "sale", "date_order": self.env.now})
        if self.env.registry.settings.get("lock_confirmed_orders"):
            self.action_lock()
        return True

    def action_quotation_sent(self) -> bool:
        self._ensure_exist()
        if any(self._row(i).get("state") != "draft" for i in self.ids):
            raise UserError("Only draft orders can be marked as sent directly.")
        return self.write({"state": "sent"})

    def action_cancel(self) -> Any:
        self._ensure_exist()
        if any(self._row(i).get("locked") for i in self.ids):
            raise UserError(
                "You cannot cancel a locked order. Please unlock it first if you want to cancel it."
            )
        warn = not self.env.context.get("disable_cancel_warning") and any(
            self._row(i).get("state") in ("sent", "sale") for i in self.ids
        )
        if warn:
            return {
                "name": "Cancel Sales Order",
                "view_mode": "form",
                "res_model": "sale.order.cancel",
                "view_id": CANCEL_WIZARD_VIEW_ID,
                "type": "ir.actions.act_window",
                "context": {"default_order_id": self.ids[0]},
                "target": "new",
            }
        return self.write({"state": "cancel"})

    def action_draft(self) -> bool:
        self._ensure_exist()
        movable = [i for i in self.ids if self._row(i).get("state") in ("cancel", "sent")]
        return self._browse(movable).write({"state": "draft"})

    def action_lock(self) -> bool:
        self._ensure_exist()
        return self.write({"locked": True})

    def action_unlock(self) -> bool:
        self._ensure_exist()
        return self.write({"locked": False})


def _line_uom(version: int) -> str:
    return "product_uom_id" if version >= 19 else "product_uom"


def _line_taxes(version: int) -> str:
    return "tax_ids" if version >= 19 else "tax_id"


class SaleOrderLine(BaseModel):
    _module = "sale"
    _name = "sale.order.line"
    _description = "Sales Order Line"
    _order = "order_id, sequence, id"
    _rec_name = "name"
    _declared: ClassVar[dict[str, Field]] = {
        "order_id": Field(
            "many2one", "Order Reference", relation="sale.order", required=True, ondelete="cascade"
        ),
        "sequence": Field("integer", "Sequence", default=10),
        "display_type": Field(
            "selection", "Display Type", selection=(("line_section", "Section"), ("line_note", "Note"))
        ),
        "product_id": Field("many2one", "Product", relation="product.product", ondelete="restrict"),
        "name": Field(
            "text",
            "Description",
            required=True,
            readonly=False,
            compute="_compute_name",
            depends=("product_id",),
        ),
        "product_uom_qty": Field(
            "float",
            "Quantity",
            digits=2,
            readonly=False,
            compute="_compute_product_uom_qty",
            depends=("display_type",),
        ),
        **renamed(
            "product_uom",
            "product_uom_id",
            Field(
                "many2one",
                "Unit of Measure",
                relation="uom.uom",
                readonly=False,
                compute="_compute_product_uom",
                depends=("product_id",),
            ),
            version=19,
            string="Unit",
        ),
        "price_unit": Field(
            "float",
            "Unit Price",
            digits=2,
            readonly=False,
            compute="_compute_price_unit",
            depends=("product_id", "product_uom_qty", "product_uom", "product_uom_id"),
        ),
        "technical_price_unit": Field("float", "Technical Price Unit", digits=2, since=18),
        "discount": Field("float", "Discount (%)", digits=2),
        **renamed(
            "tax_id",
            "tax_ids",
            Field(
                "many2many",
                "Taxes",
                relation="account.tax",
                readonly=False,
                compute="_compute_tax_id",
                depends=("product_id",),
            ),
            version=19,
        ),
        "price_subtotal": Field(
            "monetary",
            "Subtotal",
            compute="_compute_price_subtotal",
            depends=("product_uom_qty", "discount", "price_unit"),
        ),
        "price_tax": Field(
            "monetary",
            "Total Tax",
            compute="_compute_price_tax",
            depends=("price_subtotal", "tax_id", "tax_ids"),
        ),
        "price_total": Field(
            "monetary", "Total", compute="_compute_price_total", depends=("price_subtotal", "price_tax")
        ),
        "qty_delivered": Field("float", "Delivery Quantity", digits=2),
        "qty_invoiced": Field("float", "Invoiced Quantity", digits=2),
        "state": Field(
            "selection",
            "Order Status",
            selection=STATES,
            compute="_compute_state",
            depends=("order_id.state",),
        ),
        "currency_id": Field(
            "many2one",
            "Currency",
            relation="res.currency",
            compute="_compute_currency_id",
            depends=("order_id.currency_id",),
        ),
        "product_updatable": Field(
            "boolean", "Can Edit Product", compute="_compute_product_updatable", store=False
        ),
    }
    _sql_constraints: ClassVar[list[tuple[str, str]]] = [
        ("_accountable_required_fields", "Missing required fields on accountable sale order line."),
        ("_non_accountable_null_fields", "Forbidden values on non-accountable sale order line"),
    ]

    @property
    def _uom_field(self) -> str:
        return _line_uom(self._version)

    @property
    def _tax_field(self) -> str:
        return _line_taxes(self._version)

    def _accountable_required_fields(self, row: dict[str, Any]) -> bool:
        return bool(row.get("display_type")) or bool(row.get("product_id") and row.get(self._uom_field))

    def _non_accountable_null_fields(self, row: dict[str, Any]) -> bool:
        if not row.get("display_type"):
            return True
        return not row.get("product_id") and not row.get("price_unit") and not row.get("product_uom_qty")

    # -- computes ---------------------------------------------------------------------------------
    def _product(self, i: int) -> int | None:
        return self._row(i).get("product_id")

    def _compute_name(self, i: int) -> str | None:
        product = self._product(i)
        if not product:
            return self._row(i).get("name")
        products = self.env["product.product"]
        name = products._display_name_of(product)
        extra = products._value(product, "description_sale")
        return f"{name}\n{extra}" if extra else name

    def _compute_product_uom_qty(self, i: int) -> float:
        return 0.0 if self._row(i).get("display_type") else 1.0

    def _compute_product_uom(self, i: int) -> int | None:
        product = self._product(i)
        return self.env["product.product"]._value(product, "uom_id") if product else None

    def _compute_price_unit(self, i: int) -> float:
        row = self._row(i)
        if self._version >= 18 and row.get("technical_price_unit") != row.get("price_unit"):
            return float(row.get("price_unit") or 0.0)  # a manual price survives (18+)
        product = self._product(i)
        price = float(self.env["product.product"]._value(product, "lst_price") or 0.0) if product else 0.0
        if self._version >= 18:
            self._db.update(self._name, i, {"technical_price_unit": price})
        return price

    def _compute_tax_id(self, i: int) -> tuple[int, ...]:
        product = self._product(i)
        if not product:
            return ()
        field = "tax_ids" if self._version >= 19 else "taxes_id"
        return tuple(self.env["product.product"]._value(product, field) or ())

    def _compute_price_subtotal(self, i: int) -> float:
        row = self._row(i)
        qty, price, discount = (
            row.get("product_uom_qty") or 0.0,
            row.get("price_unit") or 0.0,
            row.get("discount") or 0.0,
        )
        return _money(qty * price * (1 - discount / 100.0))

    def _compute_price_tax(self, i: int) -> float:
        row = self._row(i)
        taxes = self.env["account.tax"]
        rate = sum(taxes._value(t, "amount") or 0.0 for t in row.get(self._tax_field) or ())
        return _money((row.get("price_subtotal") or 0.0) * rate / 100.0)

    def _compute_price_total(self, i: int) -> float:
        row = self._row(i)
        return _money((row.get("price_subtotal") or 0.0) + (row.get("price_tax") or 0.0))

    def _compute_state(self, i: int) -> str | None:
        order = self._row(i).get("order_id")
        return self.env["sale.order"]._value(order, "state") if order else None

    def _compute_currency_id(self, i: int) -> int | None:
        order = self._row(i).get("order_id")
        return self.env["sale.order"]._value(order, "currency_id") if order else None

    def _compute_product_updatable(self, i: int) -> bool:
        row = self._row(i)
        order_locked = self.env["sale.order"]._value(row["order_id"], "locked")
        if row.get("state") == "cancel":
            return False
        busy = (row.get("qty_invoiced") or 0) > 0 or (row.get("qty_delivered") or 0) > 0
        return not (row.get("state") == "sale" and (order_locked or busy))

    # -- write / unlink ---------------------------------------------------------------------------
    def _create_one(self, vals: dict[str, Any]) -> int:
        i = super()._create_one(vals)
        if self._version >= 18 and "price_unit" not in vals:
            self._db.update(self._name, i, {"technical_price_unit": self._row(i).get("price_unit")})
        return i

    def _protected_fields(self) -> list[str]:
        return ["product_id", "name", "price_unit", self._uom_field, "product_uom_qty", self._tax_field]

    def write(self, vals: dict[str, Any]) -> bool:
        self._check_write_exists()
        if "display_type" in vals and any(
            self._row(i).get("display_type") != vals["display_type"] for i in self.ids
        ):
            raise UserError(
                "You cannot change the type of a sale order line. Instead you should delete the current "
                "line and create a new line of the proper type."
            )
        if "product_id" in vals and any(
            self._row(i).get("product_id") != vals["product_id"] and not self._compute_product_updatable(i)
            for i in self.ids
        ):
            raise UserError("You cannot modify the product of this order line.")
        orders = self.env["sale.order"]
        if any(orders._value(self._row(i)["order_id"], "locked") for i in self.ids):
            touched = [f for f in self._protected_fields() if f in vals]
            if touched:
                labels = "\n".join(self._fields[f].string for f in touched)
                raise UserError(
                    f"It is forbidden to modify the following fields in a locked order:\n{labels}"
                )
        return super().write(vals)

    def _unlink_checks(self) -> None:
        for i in self.ids:
            row = self._row(i)
            if row.get("state") == "sale" and not row.get("display_type"):
                raise UserError(
                    "Once a sales order is confirmed, you can't remove one of its lines (we need to track "
                    "if something gets invoiced or delivered).\nSet the quantity to 0 instead."
                )


MODELS: list[type[BaseModel]] = [SaleOrder, SaleOrderLine]
