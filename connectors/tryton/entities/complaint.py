"""complaint = ``sale.complaint`` with its type and origin (the sale complained about).

Native shape::

    {"number", "reference", "description", "date": date, "state": "draft"|"waiting"|"approved"|
     "rejected"|"done"|"cancelled", "customer": "7", "type": "Sale",
     "origin": {"model": "sale.sale", "id": "12"} | None}

State changes press the complaint's buttons (wait, approve, reject, process, cancel, draft).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from connectors.base import RecordError
from connectors.tryton.entities.base import TrytonEntity, as_id, ref_id
from connectors.tryton.refdata import UnknownCode

# (from, to) -> buttons, in order
PATHS: dict[tuple[str, str], tuple[str, ...]] = {
    ("draft", "waiting"): ("wait",),
    ("draft", "approved"): ("wait", "approve"),
    ("draft", "rejected"): ("wait", "reject"),
    ("draft", "done"): ("wait", "approve", "process"),
    ("draft", "cancelled"): ("cancel",),
    ("waiting", "approved"): ("approve",),
    ("waiting", "rejected"): ("reject",),
    ("waiting", "done"): ("approve", "process"),
    ("waiting", "cancelled"): ("cancel",),
    ("waiting", "draft"): ("draft",),
    ("approved", "done"): ("process",),
    ("done", "draft"): ("draft",),
    ("cancelled", "draft"): ("draft",),
}
PLAIN = ("reference", "description", "date")


class Complaint(TrytonEntity):
    name = "complaint"
    native = "sale.complaint"
    batch_create = False
    fields: ClassVar[tuple[str, ...]] = (
        "number",
        "reference",
        "description",
        "date",
        "state",
        "customer",
        "type",
        "origin",
    )

    def shape(self, rows: list[dict]) -> list[dict[str, Any]]:
        return [
            {
                "number": row["number"],
                "reference": row["reference"],
                "description": row["description"],
                "date": row["date"],
                "state": row["state"],
                "customer": as_id(row["customer"]),
                "type": self.refs.code_of("sale.complaint.type", row["type"]),
                "origin": _origin(row["origin"]),
            }
            for row in rows
        ]

    def _values(self, data: Mapping[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {k: data[k] for k in PLAIN if k in data}
        if "customer" in data:
            values["customer"] = ref_id(data["customer"], "customer")
        if "type" in data:
            try:
                values["type"] = self.refs.id_of("sale.complaint.type", data["type"])
            except UnknownCode as exc:
                raise RecordError(
                    f"field 'type': {exc}; create the complaint type in Tryton", field="type"
                ) from None
        if "origin" in data:
            origin = data["origin"] or {}
            origin_id = ref_id(origin.get("id"), "origin.id")
            values["origin"] = f"{origin.get('model') or 'sale.sale'},{origin_id}" if origin_id else None
        return values

    def create_values(self, data: Mapping[str, Any]) -> dict[str, Any]:
        values = self._values(data)
        if not values.get("customer"):
            raise RecordError(
                "field 'customer' is missing; a complaint needs the customer's party", field="customer"
            )
        if not values.get("type"):
            values["type"] = self.refs.id_of(
                "sale.complaint.type", self.options.get("complaint_type", "Sale")
            )
        values["company"] = self.client.context.get("company")
        return values

    def after_create(self, record_id: int, data: Mapping[str, Any]) -> None:
        self.move_to(record_id, "draft", data.get("state") or "draft")

    def move_to(self, record_id: int, current: str, target: str) -> None:
        if current == target:
            return
        path = PATHS.get((current, target))
        if path is None:
            raise RecordError(
                f"a complaint cannot go from {current!r} to {target!r} in Tryton", field="state"
            )
        for button in path:
            self.call(button, [record_id])

    def change(self, record_id: int, data: Mapping[str, Any]) -> None:
        (row,) = self.call("read", [record_id], ["state"])
        values = self._values(data)
        current = row["state"]
        if values:
            if current != "draft":  # only drafts can be edited
                self.move_to(record_id, current, "draft")
                current = "draft"
            self.call("write", [record_id], values)
        self.move_to(record_id, current, data.get("state") or row["state"])


def _origin(value: str | None) -> dict[str, Any] | None:
    if not value or "," not in value:
        return None
    model, record_id = value.split(",", 1)
    return {"model": model, "id": as_id(int(record_id))} if record_id.lstrip("-").isdigit() else None
