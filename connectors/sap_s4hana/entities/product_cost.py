"""Product costs: valuation data (API_PRODUCT_SRV, A_ProductValuation) of one valuation area.

A product is valued per valuation area (usually a plant) and, with split valuation, per valuation
type; read across areas, one product would give one cost per plant and the CRM's single cost would
flip between them. So the connection names the area (``valuation_area``, required) and the
connector reads that area's total record (``ValuationType`` empty).

Native addition: ``UnitCost`` = StandardPrice (price control S) or MovingAveragePrice (V), divided by
PriceUnitQty. Read only: costs flow ERP -> CRM, and valuations cannot be deleted in SAP.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.base import PermanentError
from connectors.sap_s4hana.entities.base import SapEntity, Stream
from connectors.sap_s4hana.stamps import LocalDay
from connectors.sap_s4hana.values import literal

__all__ = ["ProductCost"]


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


class ProductCost(SapEntity):
    name = "product_cost"
    service = "API_PRODUCT_SRV"
    entity_set = "A_ProductValuation"
    key = ("Product", "ValuationArea", "ValuationType")
    fields = (
        "Product",
        "ValuationArea",
        "ValuationType",
        "InventoryValuationProcedure",
        "StandardPrice",
        "MovingAveragePrice",
        "PriceUnitQty",
        "Currency",
        "PriceLastChangeDate",
    )
    filtered = ("ValuationArea", "ValuationType")
    lifted = ("UnitCost",)
    writable = False

    def streams(self) -> list[Stream]:
        return [Stream(None, LocalDay("PriceLastChangeDate"))]

    def scope(self) -> str:
        area = self.settings.valuation_area
        if not area:
            raise PermanentError(
                "sap_s4hana: product costs need the valuation area whose cost the CRM shows: set the "
                "connection setting valuation_area (e.g. valuation_area=1010, usually a plant)"
            )
        return f"ValuationArea eq {literal('Edm.String', area)} and ValuationType eq ''"

    def shape(self, data: dict[str, Any]) -> None:
        price = data.get("StandardPrice") if data.get("InventoryValuationProcedure") != "V" else None
        price = _decimal(price if price is not None else data.get("MovingAveragePrice"))
        per = _decimal(data.get("PriceUnitQty")) or Decimal(1)
        data["UnitCost"] = f"{(price / per).normalize():f}" if price is not None else None
