"""``complaint``: SuiteCRM Cases.

``status`` is SuiteCRM's dynamic dropdown ``<state>_<status>`` (``Open_New``, ``Closed_Closed``, ...);
the UI keeps ``state`` (Open/Closed) in step with it and V8 does not, so the connector sets ``state``
from the status it writes. ``case_number`` is assigned by SuiteCRM. The complaint's order has no
field in SuiteCRM's Cases: it is not carried (documented in docs/connectors/suitecrm.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.suitecrm.entity import SuiteCrmEntity
from connectors.suitecrm.fields import Spec

__all__ = ["STATUSES", "Cases"]

STATUSES = (
    "Open_New",
    "Open_Assigned",
    "Open_Pending Input",
    "Closed_Closed",
    "Closed_Rejected",
    "Closed_Duplicate",
)
CASE_SPECS: dict[str, Spec] = {
    "name": Spec(max_length=255, required=True),
    "description": Spec("text"),
    "status": Spec("enum", options=STATUSES),
    "priority": Spec("enum", options=("P1", "P2", "P3")),
    "resolution": Spec("text"),
    "type": Spec("enum", options=("Administration", "Product", "User")),
    "account_id": Spec("id"),
}


class Cases(SuiteCrmEntity):
    name = "complaint"
    native = "Cases"
    specs = CASE_SPECS
    read_fields = (*CASE_SPECS, "case_number", "state", "date_entered")

    def child_fields(self) -> tuple[str, ...]:
        return ("case_number", "state", "date_entered")

    def attributes(self, data: Mapping[str, Any], *, creating: bool) -> dict[str, str]:
        attributes = super().attributes(data, creating=creating)
        if attributes.get("status"):
            attributes["state"] = attributes["status"].split("_", 1)[0]
        return attributes
