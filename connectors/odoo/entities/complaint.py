"""complaint = a ``project.task`` of the "Complaints" project (option ``complaint_project``).

Native shape::

    {"name" (the subject), "description" (plain text), "partner_id": "7", "stage": "New",
     "priority": "0"|"1", "active", "sale_order_id": "12" | None}

Why a task: Odoo's helpdesk is Enterprise-only (and OCA ``helpdesk_mgmt`` reuses its model name with
other fields); ``project`` is in every Odoo, and a task has a title, a description, a customer,
stages, a priority and archiving. ``sale_order_id`` exists when ``sale_project`` is installed and is
left out otherwise. The description is an html field: plain text is written as escaped paragraphs
and read back as text, so what Odoo's sanitizer adds does not read as a change.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any, ClassVar

from connectors.base import RecordError
from connectors.odoo.domains import Domain, equals
from connectors.odoo.entities.base import OdooEntity, m2o_id, ref_id, text

_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_PARAGRAPH_END = re.compile(r"</p>\s*", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def to_html(value: str | None) -> str | bool:
    if not value:
        return False
    paragraphs = value.split("\n\n")
    return "".join(f"<p>{html.escape(p, quote=False).replace(chr(10), '<br>')}</p>" for p in paragraphs)


def from_html(value: Any) -> str | None:
    if not value:
        return None
    body = _BREAK.sub("\n", str(value))
    body = _PARAGRAPH_END.sub("\n\n", body)
    body = html.unescape(_TAG.sub("", body))
    return body.rstrip("\n") or None


class Complaint(OdooEntity):
    name = "complaint"
    native = "project.task"
    base_fields: ClassVar[tuple[str, ...]] = (
        "name",
        "description",
        "partner_id",
        "stage_id",
        "priority",
        "active",
    )
    fields: ClassVar[tuple[str, ...]] = base_fields
    _project: int | None = None
    _has_order: bool | None = None

    @property
    def has_order(self) -> bool:
        """``sale_order_id`` is there (``sale_project`` installed)."""
        if self._has_order is None:
            self._has_order = "sale_order_id" in self.call(
                "fields_get", allfields=["sale_order_id"], attributes=["type"]
            )
            if self._has_order:
                self.fields = (*self.base_fields, "sale_order_id")
        return self._has_order

    @property
    def project(self) -> int:
        if self._project is None:
            name = str(self.connector.options.get("complaint_project") or "Complaints")
            found = self.call("search", model="project.project", domain=equals("name", name), limit=1)
            if not found:
                raise RecordError(
                    f"Odoo has no project named {name!r} for complaints; create it or set the system's "
                    "option complaint_project"
                )
            self._project = int(found[0])
        return self._project

    def scope(self) -> Domain:
        self.has_order  # noqa: B018 - decides the fields read
        return equals("project_id", self.project)

    def shape(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {
                "name": text(row["name"]),
                "description": from_html(row["description"]),
                "partner_id": m2o_id(row["partner_id"]),
                "stage": self.refs.code_of("stage", row["stage_id"]),
                "priority": row["priority"] or "0",
                "active": bool(row["active"]),
                "sale_order_id": m2o_id(row.get("sale_order_id")),
            }
            for row in rows
        ]

    def _values(self, data: Mapping[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if "name" in data:
            if not data["name"]:
                raise RecordError("field 'name' is empty; an Odoo task needs a title", field="name")
            values["name"] = data["name"]
        if "description" in data:
            values["description"] = to_html(data["description"])
        if "partner_id" in data:
            values["partner_id"] = ref_id(data["partner_id"], "partner_id")
        if data.get("stage"):
            values["stage_id"] = self.code("stage", data["stage"], "stage")
        if "priority" in data:
            values["priority"] = data["priority"] or "0"
        if "active" in data:
            values["active"] = bool(data["active"])
        if "sale_order_id" in data and self.has_order:
            values["sale_order_id"] = ref_id(data["sale_order_id"], "sale_order_id")
        return values

    def create_values(self, data: Mapping[str, Any]) -> dict[str, Any]:
        values = self._values(data)
        if not values.get("name"):
            raise RecordError("field 'name' is missing; an Odoo task needs a title", field="name")
        values["project_id"] = self.project
        return values

    def write_values(self, record_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
        return self._values(data)
