"""Sales orders (API_SALES_ORDER_SRV, A_SalesOrder with to_Item), created by deep insert.

Exactly one order per CRM quote: SAP does not let a client set ``ExternalDocumentID``
(``sap:creatable=false``), so an order cannot carry SyncHub's id. It carries the customer's reference
instead (``PurchaseOrderByCustomer``: creatable and filterable, mapped from ``quote_reference``);
before creating, the connector looks for an order of the same sold-to party with that reference and,
when a crashed or timed-out run already created it, returns that order instead of a second one.
A create without a reference is refused: it could not be made safe to retry.

Prices: SAP prices items from conditions; ``NetAmount`` is not creatable. With ``order_prices=crm``
(the default: the accepted quote's price is the agreed one) each item is created with a manual price
condition (``price_condition``, PPR0) holding the CRM's unit price; with ``order_prices=sap`` items go
without prices and SAP determines them. Native addition: ``NetPriceAmount`` on each item, read from
that price condition (its rate per condition quantity), else NetAmount / RequestedQuantity.

Orders declare an ETag (``LastChangeDateTime``): updates send it in ``If-Match``. The items of an
existing order are SAP's (pricing, delivery, billing follow them): a change to them is refused per
record with the reason, never dropped silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from connectors.base import WriteRequest
from connectors.sap_s4hana.entities.base import Nav, SapEntity, Stream
from connectors.sap_s4hana.errors import RecordRefused
from connectors.sap_s4hana.paging import and_
from connectors.sap_s4hana.stamps import Instant
from connectors.sap_s4hana.values import literal

__all__ = ["SalesOrder", "find_document"]

ITEM = (
    "SalesOrderItem",
    "Material",
    "SalesOrderItemText",
    "RequestedQuantity",
    "RequestedQuantityUnit",
    "NetAmount",
)
PRICE = ("ConditionType", "ConditionRateValue", "ConditionQuantity", "ConditionCurrency")


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def find_document(entity: SapEntity, **match: str | None) -> str | None:
    """The id of the one document with these values, None when there is none."""
    condition = and_(*(f"{name} eq {literal('Edm.String', value)}" for name, value in match.items()))
    fetch = entity.api.fetch(
        entity.service, entity.entity_set, select=entity.key[0], expand="", orderby=entity.key[0]
    )
    found = fetch(condition, 2).items
    if len(found) > 1:
        ids = ", ".join(str(getattr(p, entity.key[0])) for p in found)
        described = ", ".join(f"{k}={v!r}" for k, v in match.items())
        raise RecordRefused(
            f"SAP holds several {entity.entity_set} with {described} ({ids}); SyncHub cannot tell which "
            "is the one it created: merge them in SAP, then retry the dead letter"
        )
    return str(getattr(found[0], entity.key[0])) if found else None


class SalesOrder(SapEntity):
    name = "sales_order"
    service = "API_SALES_ORDER_SRV"
    entity_set = "A_SalesOrder"
    key = ("SalesOrder",)
    fields = (
        "SalesOrder",
        "SoldToParty",
        "PurchaseOrderByCustomer",
        "SalesOrderDate",
        "TransactionCurrency",
        "TotalNetAmount",
        "OverallSDProcessStatus",
        "OverallTotalDeliveryStatus",
        "LastChangeDateTime",
    )
    expand: ClassVar[Mapping[str, Nav]] = {"to_Item": Nav(ITEM, {"to_PricingElement": Nav(PRICE)})}

    def streams(self) -> list[Stream]:
        return [Stream(None, Instant("LastChangeDateTime"))]

    def shape(self, data: dict[str, Any]) -> None:
        for item in data.get("to_Item") or []:
            item["NetPriceAmount"] = self._unit_price(item)

    def _unit_price(self, item: dict[str, Any]) -> str | None:
        elements = item.pop("to_PricingElement", None) or []
        price = next((e for e in elements if e.get("ConditionType") == self.settings.price_condition), {})
        rate, per = _decimal(price.get("ConditionRateValue")), _decimal(price.get("ConditionQuantity"))
        if rate is not None:
            return str(rate / per if per is not None and per not in (0, 1) else rate)
        amount, quantity = _decimal(item.get("NetAmount")), _decimal(item.get("RequestedQuantity"))
        return str((amount / quantity).quantize(Decimal("0.01"))) if amount and quantity else None

    def create(self, request: WriteRequest) -> str:
        s = self.settings
        data = dict(request.data)
        reference = data.get("PurchaseOrderByCustomer")
        if not reference:
            raise RecordRefused(
                "an SAP order is created only with the customer's reference (PurchaseOrderByCustomer, "
                "mapped from quote_reference): it is how a retry finds the order a crashed run created; "
                "give the quote a number in the CRM",
                "PurchaseOrderByCustomer",
            )
        existing = find_document(self, SoldToParty=data.get("SoldToParty"), PurchaseOrderByCustomer=reference)
        if existing is not None:
            return existing
        items = []
        for line in data.pop("to_Item", None) or []:
            item = {k: v for k, v in line.items() if k not in ("NetPriceAmount", "SalesOrderItem")}
            price = line.get("NetPriceAmount")
            if s.order_prices == "crm" and price is not None:
                item["to_PricingElement"] = [
                    {
                        "ConditionType": s.price_condition,
                        "ConditionRateValue": str(price),
                        "ConditionCurrency": data.get("TransactionCurrency"),
                    }
                ]
            items.append(item)
        body = {"SalesOrderType": s.order_type, **s.sales_area, **data, "to_Item": items}
        return self.id_of(self.api.create(self.service, self.entity_set, body))

    def update(self, record_id: str, data: Mapping[str, Any]) -> str:
        if data.get("to_Item") is not None:
            self._refuse_item_changes(record_id, data["to_Item"])
        return super().update(record_id, {k: v for k, v in data.items() if k != "to_Item"})

    def _refuse_item_changes(self, record_id: str, wanted: list[Mapping[str, Any]]) -> None:
        read_before = self._etags.get(record_id)
        [current] = self.read_by_ids([record_id]) or [None]
        if read_before is not None:  # the header update still needs the ETag of SyncHub's own read
            self._etags[record_id] = read_before
        if current is None:
            raise RecordRefused(f"{self.entity_set} {record_id} no longer exists in SAP")

        def lines(items: list[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
            crm_prices = self.settings.order_prices == "crm"
            found = [
                (
                    str(i.get("Material")),
                    i.get("SalesOrderItemText") or None,
                    _decimal(i.get("RequestedQuantity")),
                    _decimal(i.get("NetPriceAmount")) if crm_prices else None,
                )
                for i in items
            ]
            return sorted(found, key=lambda line: (line[0], line[1] or ""))

        if lines(wanted) != lines(current.data.get("to_Item") or []):
            raise RecordRefused(
                "the items of an existing SAP order are not changed by SyncHub (SAP prices, delivers and "
                "bills them); change the order in SAP, then the CRM receives its items",
                "to_Item",
            )
