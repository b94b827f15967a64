"""Complaints: customer returns (API_CUSTOMER_RETURN_SRV, A_CustomerReturn).

SAP documents that a customer return is created only by deep insert, with its items. A complaint
carries no items of its own, so the connector takes them from the complaint's sales order
(``ReferenceSDDocument``, mapped from ``order_id``): one return item per order item, with its
material, its whole ordered quantity and the return reason (the complaint's ``SDDocumentReason``,
else the connection's ``return_reason``). A complaint that names no order (BottleCRM cases never
do) is refused per record with that reason: such complaints flow SAP -> CRM only.

Before creating, the connector looks for a return of the same customer, order and reference, so a
retried create finds what a crashed run made. Returns declare an ETag: updates send ``If-Match``.

Native addition: ``Subject`` = the customer's reference (``PurchaseOrderByCustomer``, 35 characters),
else "Customer return <number>" for a return entered in SAP without one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.base import WriteRequest
from connectors.sap_s4hana.entities.base import SapEntity, Stream
from connectors.sap_s4hana.entities.sales_order import find_document
from connectors.sap_s4hana.errors import RecordRefused
from connectors.sap_s4hana.stamps import Instant

__all__ = ["Complaint"]

ORDERS = "API_SALES_ORDER_SRV"


class Complaint(SapEntity):
    name = "complaint"
    service = "API_CUSTOMER_RETURN_SRV"
    entity_set = "A_CustomerReturn"
    key = ("CustomerReturn",)
    fields = (
        "CustomerReturn",
        "SoldToParty",
        "SDDocumentReason",
        "PurchaseOrderByCustomer",
        "ReferenceSDDocument",
        "OverallSDProcessStatus",
        "CreationDate",
        "LastChangeDateTime",
    )
    lifted = ("Subject",)

    def streams(self) -> list[Stream]:
        return [Stream(None, Instant("LastChangeDateTime"))]

    def shape(self, data: dict[str, Any]) -> None:
        data["Subject"] = data.get("PurchaseOrderByCustomer") or f"Customer return {data['CustomerReturn']}"

    @staticmethod
    def _native(data: Mapping[str, Any]) -> dict[str, Any]:
        """Mapped data in SAP's properties: the subject is the customer's reference."""
        out = {k: v for k, v in data.items() if k != "Subject"}
        if "Subject" in data:
            out["PurchaseOrderByCustomer"] = data["Subject"]
        return out

    def create(self, request: WriteRequest) -> str:
        s = self.settings
        data = self._native(request.data)
        order = data.get("ReferenceSDDocument")
        if not order:
            raise RecordRefused(
                "an SAP customer return is created with its items (API_CUSTOMER_RETURN_SRV requires them), "
                "which SyncHub takes from the complaint's sales order, and this complaint names none "
                "(order_id): link it to its order in the CRM, or enter the return in SAP and make the "
                "complaints flow erp_to_crm",
                "ReferenceSDDocument",
            )
        reason = data.get("SDDocumentReason") or s.return_reason
        if not reason:
            raise RecordRefused(
                "SAP needs a return reason on every return item: set the connection setting return_reason "
                "(an SAP return reason code, e.g. return_reason=103)",
                "SDDocumentReason",
            )
        existing = find_document(
            self,
            SoldToParty=data.get("SoldToParty"),
            ReferenceSDDocument=order,
            PurchaseOrderByCustomer=data.get("PurchaseOrderByCustomer"),
        )
        if existing is not None:
            return existing
        body = {
            "CustomerReturnType": s.return_type,
            **s.sales_area,
            **data,
            "SDDocumentReason": reason,
            "to_Item": self._items_of_order(order, reason),
        }
        return self.id_of(self.api.create(self.service, self.entity_set, body))

    def _items_of_order(self, order: str, reason: str) -> list[dict[str, Any]]:
        found = self.api.get(
            ORDERS,
            "A_SalesOrder",
            {"SalesOrder": order},
            select="SalesOrder,to_Item/SalesOrderItem,to_Item/Material,to_Item/RequestedQuantity,"
            "to_Item/RequestedQuantityUnit",
            expand="to_Item",
        )
        if found is None or not found.to_Item:
            raise RecordRefused(
                f"sales order {order} {'has no items' if found is not None else 'is not in SAP'}: "
                "a customer return needs the items to take back",
                "ReferenceSDDocument",
            )
        return [
            {
                "Material": item.Material,
                "RequestedQuantity": str(item.RequestedQuantity),
                "RequestedQuantityUnit": item.RequestedQuantityUnit,
                "ReturnReason": reason,
                "ReferenceSDDocument": order,
                "ReferenceSDDocumentItem": item.SalesOrderItem,
            }
            for item in found.to_Item
        ]

    def update(self, record_id: str, data: Mapping[str, Any]) -> str:
        return super().update(record_id, self._native(data))
