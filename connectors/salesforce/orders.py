"""Sales orders: an accepted Quote, and the Order SyncHub makes from it when the ERP has the order.

Record id = the Quote's id. What the salesperson sold comes from the quote (account, currency,
quote number); the ERP's number and statuses live on the quote's Order in the SyncHub_ERP_* fields.
The Order is created as real orgs require (RULES.md R1-R6): ``Draft``, with the quote's account,
opportunity, price book and currency, its products added from the quote's lines (same price book
entries, net of the line discount), and only then activated by an update that changes ``Status``
alone. Lines are the Order's products once it exists, else the quote's lines.

An activated order takes no new products and loses none (R4, ENTITY_IS_LOCKED): a write that would
add or remove lines fails that record with the rule named (no partial change, no endless retry).
Quantities and prices of existing products may still change. A sales order from the ERP with no
quote in Salesforce gets one: an opportunity, an accepted quote with its lines, then the order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from connectors.base import (
    ConnectorError,
    Cursor,
    NativeRecord,
    RecordError,
    StopRun,
    TransientError,
    WriteRequest,
    WriteResult,
)
from connectors.salesforce.batches import COLLECTION_SIZE, send_records
from connectors.salesforce.children import Child
from connectors.salesforce.entity import SObjectEntity
from connectors.salesforce.quotes import LINE_FIELDS as QUOTE_LINE_FIELDS
from connectors.salesforce.soql import quote, stamp_after

if TYPE_CHECKING:
    from connectors.salesforce.connector import SalesforceConnector

__all__ = ["SalesOrders"]

ORDER_FIELDS = (
    "Id",
    "QuoteId",
    "SyncHub_Id__c",
    "OrderNumber",
    "Status",
    "StatusCode",
    "EffectiveDate",
    "TotalAmount",
    "SyncHub_ERP_Number__c",
    "SyncHub_ERP_Status__c",
    "SyncHub_Delivery_Status__c",
    "SyncHub_Invoice_Status__c",
)
ERP_FIELDS = (
    "EffectiveDate",
    "SyncHub_ERP_Number__c",
    "SyncHub_ERP_Status__c",
    "SyncHub_Delivery_Status__c",
    "SyncHub_Invoice_Status__c",
)
ITEM_FIELDS = ("Id", "OrderId", "Product2Id", "Description", "Quantity", "UnitPrice")
LINE_FIELDS = (
    "Id",
    "QuoteId",
    "Product2Id",
    "PricebookEntryId",
    "Description",
    "Quantity",
    "UnitPrice",
    "Discount",
)
ACTIVE = {"Confirmed", "Processing", "Done"}
"""ERP statuses under which the Salesforce Order is activated."""


class SalesOrders(SObjectEntity):
    """An accepted Quote and its Order; the record id is the quote's."""

    name = "sales_order"
    native = "Quote"
    read_only = (
        "QuoteNumber",
        "Name",
        "AccountId",
        "CurrencyIsoCode",
        "Pricebook2Id",
        "OpportunityId",
        "GrandTotal",
    )
    where = "Status = 'Accepted'"
    children = (Child("QuoteLineItems", "QuoteLineItem", "QuoteId", QUOTE_LINE_FIELDS, ("Product2Id",)),)
    can_delete = False

    def finish(self, records: list[NativeRecord]) -> list[NativeRecord]:
        return _attach(self.connector, records)

    def changed_parents(self, since: Cursor, own: str | None) -> set[str]:
        return super().changed_parents(since, own) | _changed_quotes(self.connector, since)

    def write_many(self, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        if not requests:
            return []
        self.client.guard(f"writing {len(requests)} {self.name} records")
        return [self._write_one(request) for request in requests]

    def _write_one(self, request: WriteRequest) -> WriteResult:
        try:
            if request.op == "delete":
                raise RecordError(
                    "SyncHub does not delete accepted Salesforce quotes or their orders (an activated order "
                    "cannot be deleted, RULES R4); fix: set the orders flow's `deletes: ignore` (there is no "
                    "`deletes: archive` for sales orders: they have no active flag), and cancel the order "
                    "in Salesforce by hand if needed"
                )
            quote_id = request.id if request.op == "update" else _new_quote(self.connector, request)
            _bring_order(self.connector, str(quote_id), request)
            return WriteResult(request.ref, True, quote_id)
        except RecordError as exc:
            return self.refused(request, str(exc), exc.field, transient=exc.transient)
        except StopRun:
            raise
        except ConnectorError as exc:
            return self.refused(request, str(exc), None, transient=isinstance(exc, TransientError))
        except Exception as exc:  # a client exception the client did not map: this record fails
            error = self.connector.classify(exc)
            if isinstance(error, StopRun):
                raise error from exc
            return self.refused(request, str(error), None, transient=isinstance(error, TransientError))


def _in(ids: list[str]) -> str:
    return f"({', '.join(quote(i) for i in ids)})"


def _select(
    connector: SalesforceConnector, sobject: str, fields: tuple[str, ...], where: str
) -> list[dict[str, Any]]:
    names = connector.schema.existing(sobject, list(fields))
    return connector.client.query_all(
        f"reading {sobject}", f"SELECT {', '.join(names)} FROM {sobject} WHERE {where}"
    )


def _many(
    connector: SalesforceConnector, sobject: str, fields: tuple[str, ...], key: str, ids: list[str]
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for start in range(0, len(ids), COLLECTION_SIZE):
        out.extend(
            _select(connector, sobject, fields, f"{key} IN {_in(ids[start : start + COLLECTION_SIZE])}")
        )
    return out


def _net(line: dict[str, Any]) -> float:
    """A quote line's price after its discount: what the order's product costs."""
    price = Decimal(str(line.get("UnitPrice") or 0)) * (1 - Decimal(str(line.get("Discount") or 0)) / 100)
    return float(price.quantize(Decimal("0.01")))


def _attach(connector: SalesforceConnector, records: list[NativeRecord]) -> list[NativeRecord]:
    """Give each accepted quote its Order (or None) and the lines of the order, else of the quote."""
    ids = [r.id for r in records if not r.deleted]
    if not ids:
        return records
    orders = {o["QuoteId"]: o for o in _many(connector, "Order", ORDER_FIELDS, "QuoteId", ids)}
    items: dict[str, list[dict[str, Any]]] = {}
    for item in _many(connector, "OrderItem", ITEM_FIELDS, "OrderId", [o["Id"] for o in orders.values()]):
        items.setdefault(item.pop("OrderId"), []).append(item)
    for record in records:
        if record.deleted:
            continue
        data = record.data
        lines = data.pop("QuoteLineItems", None) or []
        order = orders.get(record.id)
        if order is None:
            data["Order"] = None
            data["OrderItems"] = [
                {
                    "Product2Id": ln.get("Product2Id"),
                    "Description": ln.get("Description"),
                    "Quantity": ln.get("Quantity"),
                    "UnitPrice": _net(ln),
                }
                for ln in lines
            ]
            data["TotalAmount"] = data.get("GrandTotal")
            record.ref = None
        else:
            data["Order"] = {k: v for k, v in order.items() if k != "QuoteId"}
            data["OrderItems"] = [
                {k: v for k, v in i.items() if k != "Id"} for i in items.get(order["Id"], [])
            ]
            data["TotalAmount"] = order.get("TotalAmount")
            record.ref = order.get("SyncHub_Id__c")
    return records


def _changed_quotes(connector: SalesforceConnector, since: Cursor) -> set[str]:
    """Quotes whose Order or order products changed after ``since`` (the order's own writes included:
    a roll-up keeps the order's LastModifiedById, so only the engine's snapshot tells echoes apart)."""
    after = stamp_after(since, tie_break=False)
    soql = f"SELECT Id, QuoteId FROM Order WHERE {after} AND QuoteId != null ORDER BY Id"
    found = {r["QuoteId"] for r in connector.client.query_all("reading changed orders", soql)}
    soql = f"SELECT Id, OrderId FROM OrderItem WHERE {after} ORDER BY Id"
    order_ids = sorted(
        {r["OrderId"] for r in connector.client.query_all("reading changed order products", soql)}
    )
    found.update(
        o["QuoteId"]
        for o in _many(connector, "Order", ("Id", "QuoteId"), "Id", order_ids)
        if o.get("QuoteId")
    )
    return found


def _new_quote(connector: SalesforceConnector, request: WriteRequest) -> str:
    """An ERP order with no Salesforce quote: an opportunity and an accepted quote with its lines."""
    data = request.data
    lines = [
        {
            "Product2Id": ln.get("Product2Id"),
            "Description": ln.get("Description"),
            "Quantity": ln.get("Quantity"),
            "UnitPrice": ln.get("UnitPrice"),
        }
        for ln in data.get("OrderItems") or []
    ]
    erp = data.get("Order") or {}
    quote_data = {
        "Name": f"Order {erp.get('SyncHub_ERP_Number__c') or request.ref}",
        "Status": "Accepted",
        "AccountId": data.get("AccountId"),
        "CurrencyIsoCode": data.get("CurrencyIsoCode"),
        "QuoteLineItems": lines,
    }
    [result] = connector.write_batch("quote", [WriteRequest("create", request.ref, quote_data)])
    if not result.ok or not result.id:
        raise RecordError(
            f"its quote could not be made: {result.error}", field=result.field, transient=result.transient
        )
    return result.id


def _rest(connector: SalesforceConnector, what: str, path: str, method: str, body: Any = None) -> Any:
    return connector.client.rest(what, path, method, body)


def _bring_order(connector: SalesforceConnector, quote_id: str, request: WriteRequest) -> None:
    erp = {k: v for k, v in (request.data.get("Order") or {}).items() if k in ERP_FIELDS}
    lines = request.data.get("OrderItems")
    [quote_row] = _select(
        connector,
        "Quote",
        ("Id", "QuoteNumber", "AccountId", "OpportunityId", "Pricebook2Id", "CurrencyIsoCode"),
        f"Id = {quote(quote_id)}",
    ) or [None]
    if quote_row is None:
        raise RecordError(f"quote {quote_id} no longer exists in Salesforce", field="Id")
    found = _select(connector, "Order", ORDER_FIELDS, f"QuoteId = {quote(quote_id)}")
    if not found:
        if not erp and lines is None:
            return
        order_id = _create_order(connector, quote_row, request, erp)
        status = None
    else:
        order = found[0]
        order_id, status = order["Id"], order.get("StatusCode") or order.get("Status")
        if lines is not None:
            _change_items(connector, order_id, status, lines)
        changed = {k: v for k, v in erp.items() if order.get(k) != v}
        if changed:
            _rest(connector, "updating an order's ERP status", f"sobjects/Order/{order_id}", "PATCH", changed)
    wanted = "Activated" if erp.get("SyncHub_ERP_Status__c", _current_erp(found)) in ACTIVE else None
    if wanted and status != "Activated":
        # R3: activation is an update whose only change is Status, after the products are in.
        _rest(
            connector, "activating an order", f"sobjects/Order/{order_id}", "PATCH", {"Status": "Activated"}
        )


def _current_erp(found: list[dict[str, Any]]) -> Any:
    return found[0].get("SyncHub_ERP_Status__c") if found else None


def _create_order(
    connector: SalesforceConnector, quote_row: dict[str, Any], request: WriteRequest, erp: dict[str, Any]
) -> str:
    if not quote_row.get("Pricebook2Id"):
        raise RecordError(
            "the accepted quote has no price book, so no order products can be added (RULES R5); fix: "
            "add the quote's products in Salesforce",
            field="Pricebook2Id",
        )
    row: dict[str, Any] = {
        "AccountId": quote_row["AccountId"],
        "QuoteId": quote_row["Id"],
        "OpportunityId": quote_row.get("OpportunityId"),
        "Pricebook2Id": quote_row["Pricebook2Id"],
        "Status": "Draft",  # R1
        "EffectiveDate": erp.get("EffectiveDate") or datetime.now(UTC).date().isoformat(),
        "SyncHub_Id__c": request.ref,
        "SyncHub_Quote_Number__c": quote_row.get("QuoteNumber"),
        **{k: v for k, v in erp.items() if k != "EffectiveDate"},
    }
    if connector.schema.multi_currency:
        row["CurrencyIsoCode"] = quote_row.get("CurrencyIsoCode")
    row = {k: v for k, v in row.items() if connector.schema.has("Order", k)}
    [outcome] = send_records(
        connector.client,
        "creating an order",
        "composite/sobjects/Order/SyncHub_Id__c",
        "PATCH",
        "Order",
        [{k: v for k, v in row.items()}],
    )
    if not outcome.ok or not outcome.id:
        raise RecordError(
            f"the order could not be created: {outcome.describe()}",
            field=f"Order.{outcome.fields[0]}" if outcome.fields else None,
            transient=outcome.transient,
        )
    lines = _select(
        connector, "QuoteLineItem", LINE_FIELDS, f"QuoteId = {quote(quote_row['Id'])} ORDER BY Id"
    )
    items = [
        {
            "OrderId": outcome.id,
            "PricebookEntryId": ln["PricebookEntryId"],
            "QuoteLineItemId": ln["Id"],
            "Quantity": ln["Quantity"],
            "UnitPrice": _net(ln),
            "Description": ln.get("Description"),
        }
        for ln in lines
    ]
    items = [{k: v for k, v in i.items() if connector.schema.has("OrderItem", k)} for i in items]
    for item_outcome in send_records(
        connector.client, "adding order products", "composite/sobjects", "POST", "OrderItem", items
    ):
        if not item_outcome.ok:
            raise RecordError(
                f"order {outcome.id} was created Draft but a product was refused: {item_outcome.describe()}",
                transient=item_outcome.transient,
            )
    return str(outcome.id)


def _change_items(
    connector: SalesforceConnector, order_id: str, status: Any, lines: list[dict[str, Any]]
) -> None:
    existing = {
        str(i["Product2Id"]): i
        for i in _select(connector, "OrderItem", ITEM_FIELDS, f"OrderId = {quote(order_id)}")
    }
    wanted = {str(ln.get("Product2Id")): ln for ln in lines}
    added, removed = sorted(set(wanted) - set(existing)), sorted(set(existing) - set(wanted))
    if (added or removed) and status == "Activated":
        raise RecordError(
            "Salesforce refuses to add or remove products of an activated order (RULES R4, "
            f"ENTITY_IS_LOCKED): order {order_id}, products added {added or 'none'}, removed "
            f"{removed or 'none'}; fix: change the order in Salesforce (deactivate it, or make a new "
            "order), then rerun",
            field="OrderItems",
        )
    if added:
        raise RecordError(
            f"new products for order {order_id} must come from its quote's lines ({added}); fix: add "
            "them to the quote in Salesforce",
            field="OrderItems",
        )
    updates = []
    for product, item in existing.items():
        line = wanted.get(product)
        if line is None:
            continue
        change = {
            k: line.get(k)
            for k in ("Quantity", "UnitPrice", "Description")
            if k in line and line.get(k) != item.get(k)
        }
        if change:
            updates.append({"Id": item["Id"], **change})
    for outcome in send_records(
        connector.client, "updating order products", "composite/sobjects", "PATCH", "OrderItem", updates
    ):
        if not outcome.ok:
            raise RecordError(
                f"an order product was refused: {outcome.describe()}",
                field="OrderItems",
                transient=outcome.transient,
            )
    if removed:
        for record_id in [existing[p]["Id"] for p in removed]:
            _rest(connector, "removing an order product", f"sobjects/OrderItem/{record_id}", "DELETE")
