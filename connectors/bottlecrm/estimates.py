"""``quote`` and ``sales_order``: both are BottleCRM estimates.

An estimate is BottleCRM's quote: lines of catalogue products, a validity date, and a status the
customer moves to ``Accepted`` from the estimate's public page. ``quote`` is every estimate;
``sales_order`` is only the accepted ones, so the ERP sees exactly what should become an order.
BottleCRM has no order object with an API (its ``orders`` app has no endpoints), so the status the
ERP sends back (order number, order, delivery and invoice status) is kept in custom fields of the
estimate (``erp_order_number``, ...), which the connector defines on first use.

Estimate lists carry no lines, so a scan reads each estimate once more for them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from connectors.bottlecrm.client import ApiRefusal
from connectors.bottlecrm.entity import BottleCrmEntity, pick, ref_id

__all__ = ["ERP_FIELDS", "Quotes", "SalesOrders"]

ESTIMATE_FIELDS = ("estimate_number", "title", "status", "currency", "issue_date", "expiry_date", "notes")
LINE_FIELDS = ("name", "description", "quantity", "unit_price", "discount_type", "discount_value")
WRITABLE = ("title", "currency", "issue_date", "expiry_date", "notes")
ERP_FIELDS = {
    "erp_order_number": "ERP order number",
    "erp_order_status": "ERP order status",
    "erp_delivery_status": "ERP delivery status",
    "erp_invoice_status": "ERP invoice status",
}


def _native(estimate: dict[str, Any]) -> dict[str, Any]:
    lines = [
        {"product": ref_id(line.get("product")), **pick(line, LINE_FIELDS)}
        for line in sorted(estimate.get("line_items") or [], key=lambda item: item.get("order") or 0)
    ]
    custom = estimate.get("custom_fields") or {}
    return {
        "id": str(estimate["id"]),
        **pick(estimate, ESTIMATE_FIELDS),
        "account": ref_id(estimate.get("account")),
        "contact": ref_id(estimate.get("contact")),
        "total_amount": estimate.get("total_amount"),
        "accepted_at": estimate.get("accepted_at"),
        "erp": {key: custom.get(key) for key in ERP_FIELDS},
        "line_items": lines,
    }


def _line_body(line: dict[str, Any], order: int) -> dict[str, Any]:
    body = {k: v for k, v in line.items() if k in (*LINE_FIELDS, "product")}
    if body.get("discount_value") not in (None, "") and not body.get("discount_type"):
        body["discount_type"] = "PERCENTAGE"  # the canonical line discount is a percentage
    if not body.get("name"):
        body["name"] = body.get("description") or "Item"
    return {**body, "order": order}


class Quotes(BottleCrmEntity):
    name = "quote"
    native = "estimate"
    status_filter: str | None = None

    def scan(self, page_size: int) -> Iterator[list[dict[str, Any]]]:
        params = {"status": self.status_filter} if self.status_filter else {}
        for rows in self._scan_list("invoices/estimates/", params, page_size):
            full = [self.fetch_one(str(row["id"])) for row in rows]
            yield [record for record in full if record is not None and self._wanted(record)]

    def _wanted(self, record: dict[str, Any]) -> bool:
        return self.status_filter is None or record.get("status") == self.status_filter

    def fetch_one(self, record_id: str) -> dict[str, Any] | None:
        body = self._get_or_none(f"invoices/estimates/{record_id}/")
        if not body:
            return None
        record = _native(body.get("estimate") or body)
        return record if self._wanted(record) else None

    def _body(self, data: dict[str, Any]) -> dict[str, Any]:
        body = {k: v for k, v in data.items() if k in WRITABLE}
        if data.get("account"):
            body["account_id"] = data["account"]
        if data.get("contact"):
            body["contact_id"] = data["contact"]
        if "line_items" in data:
            body["line_items"] = [_line_body(line, i) for i, line in enumerate(data["line_items"] or [])]
        return body

    def create(self, data: dict[str, Any], ref: str) -> str:
        body = self._body(data)
        body.setdefault("title", f"Quote {data.get('estimate_number') or ''}".strip())
        if "contact_id" not in body and body.get("account_id"):
            body["contact_id"] = self._first_contact(body["account_id"])
        reply = self.client.call("POST", "invoices/estimates/", json=body)
        estimate_id = str(reply["estimate"]["id"])
        if data.get("status") in ("Sent", "Viewed"):
            self.client.call("POST", f"invoices/estimates/{estimate_id}/send/")
        return estimate_id

    def _first_contact(self, account_id: str) -> str:
        """BottleCRM requires a contact on an estimate: the account's first one stands in."""
        body = self._get_or_none(f"accounts/{account_id}/") or {}
        contacts = body.get("contacts") or []
        if not contacts:
            raise ApiRefusal(
                400,
                f"account {account_id} has no contact, and BottleCRM needs one on every estimate; "
                "add a contact to the customer first",
                "contact",
            )
        return str(contacts[0]["id"])

    def update(self, record_id: str, data: dict[str, Any]) -> None:
        body = self._body(data)
        if body:
            self.client.call("PUT", f"invoices/estimates/{record_id}/", json=body)
        status = data.get("status")
        if status in ("Sent", "Viewed"):
            self.client.call("POST", f"invoices/estimates/{record_id}/send/")
        elif status not in (None, "Draft", "Sent", "Viewed"):
            # Accepting, declining and expiring are the customer's and BottleCRM's own moves.
            current = self.fetch_one(record_id)
            if current is not None and current.get("status") != status:
                raise ApiRefusal(
                    400,
                    f"BottleCRM sets status {status!r} itself (the customer accepts or declines on the "
                    "estimate's public page); change it there, not through SyncHub",
                    "status",
                )

    def delete(self, record_id: str) -> None:
        self._delete(f"invoices/estimates/{record_id}/")


class SalesOrders(Quotes):
    """Accepted estimates; writes carry back only what the ERP knows (``erp``: order number, statuses)."""

    name = "sales_order"
    native = "accepted estimate"
    can_delete = False  # issued: decline it in BottleCRM instead
    status_filter = "Accepted"
    _fields_ready = False
    _fields_lock = threading.Lock()  # concurrent write batches: define the fields once, not twice

    def create(self, data: dict[str, Any], ref: str) -> str:
        raise ApiRefusal(
            400,
            "BottleCRM has no sales orders of its own: an order here is an accepted estimate, so create "
            "the quote in BottleCRM and let the customer accept it (or sync this flow CRM -> ERP only)",
        )

    def update(self, record_id: str, data: dict[str, Any]) -> None:
        erp = {k: v for k, v in (data.get("erp") or {}).items() if k in ERP_FIELDS}
        others = sorted(k for k in data if k != "erp")
        if others:
            raise ApiRefusal(
                400,
                f"an accepted BottleCRM estimate is issued: its {', '.join(others)} cannot change; "
                "only the ERP status fields (erp.*) are written back",
                others[0],
            )
        if erp:
            self._ensure_custom_fields()
            self.client.call("PUT", f"invoices/estimates/{record_id}/", json={"custom_fields": erp})

    def _ensure_custom_fields(self) -> None:
        """Define the ``erp_*`` custom fields on estimates (once per org, admin rights needed)."""
        if self._fields_ready:
            return
        with self._fields_lock:
            if not self._fields_ready:
                self._define_custom_fields()

    def _define_custom_fields(self) -> None:
        body = self.client.get("custom-fields/", {"target_model": "Estimate"})
        rows = body.get("definitions") or body.get("results") or [] if isinstance(body, dict) else body
        have = {row.get("key") for row in rows if row.get("target_model") == "Estimate"}
        for order, (key, label) in enumerate(ERP_FIELDS.items()):
            if key not in have:
                self.client.call(
                    "POST",
                    "custom-fields/",
                    json={
                        "target_model": "Estimate",
                        "key": key,
                        "label": label,
                        "field_type": "text",
                        "display_order": 100 + order,
                    },
                )
        self._fields_ready = True
