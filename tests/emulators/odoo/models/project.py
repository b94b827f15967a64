"""``project`` (Community): the complaint model SyncHub uses by default, a task in a "Complaints" project.

Odoo's helpdesk is Enterprise-only, so complaints are ``project.task`` records: ``name`` required,
``description`` html, ``partner_id``, a ``stage_id`` among the project's stages (the first one by
default), ``priority`` '0'/'1', ``active`` for archiving and, from 17, the ``state`` selection.
``sale_order_id`` exists when ``sale_project`` is installed.
"""

from __future__ import annotations

from typing import ClassVar

from tests.emulators.odoo.fields import Field
from tests.emulators.odoo.orm import BaseModel

__all__ = ["MODELS"]

TASK_STATES = (
    ("01_in_progress", "In Progress"),
    ("02_changes_requested", "Changes Requested"),
    ("03_approved", "Approved"),
    ("1_done", "Done"),
    ("1_canceled", "Cancelled"),
    ("04_waiting_normal", "Waiting"),
)


class Stage(BaseModel):
    _module = "project"
    _name = "project.task.type"
    _description = "Task Stage"
    _order = "sequence, id"
    _declared: ClassVar[dict[str, Field]] = {
        "name": Field("char", "Name", required=True),
        "sequence": Field("integer", "Sequence", default=1),
        "fold": Field("boolean", "Folded in Kanban"),
        "active": Field("boolean", "Active", default=True),
        "project_ids": Field("many2many", "Projects", relation="project.project"),
    }


class Project(BaseModel):
    _module = "project"
    _name = "project.project"
    _description = "Project"
    _order = "sequence, name, id"
    _declared: ClassVar[dict[str, Field]] = {
        "name": Field("char", "Name", required=True),
        "sequence": Field("integer", "Sequence", default=10),
        "active": Field("boolean", "Active", default=True),
        "partner_id": Field("many2one", "Customer", relation="res.partner"),
        "type_ids": Field("many2many", "Tasks Stages", relation="project.task.type"),
        "task_ids": Field("one2many", "Tasks", relation="project.task", inverse_name="project_id"),
    }


class Task(BaseModel):
    _module = "project"
    _name = "project.task"
    _description = "Task"
    _order = "priority desc, sequence, id desc"
    _declared: ClassVar[dict[str, Field]] = {
        "name": Field("char", "Title", required=True),
        "description": Field("html", "Description"),
        "sequence": Field("integer", "Sequence", default=10),
        "project_id": Field("many2one", "Project", relation="project.project"),
        "partner_id": Field("many2one", "Customer", relation="res.partner"),
        "stage_id": Field(
            "many2one",
            "Stage",
            relation="project.task.type",
            readonly=False,
            compute="_compute_stage_id",
            depends=("project_id",),
        ),
        "priority": Field("selection", "Priority", selection=(("0", "Low"), ("1", "High")), default="0"),
        "state": Field("selection", "State", selection=TASK_STATES, default="01_in_progress"),
        "active": Field("boolean", "Active", default=True),
        "date_deadline": Field("datetime", "Deadline"),
        "user_ids": Field("many2many", "Assignees", relation="res.users"),
        "sale_order_id": Field("many2one", "Sales Order", relation="sale.order", module="sale_project"),
    }

    def _compute_stage_id(self, i: int) -> int | None:
        project = self._row(i).get("project_id")
        if not project:
            return None
        stages = self.env["project.task.type"]
        ids = [
            s for s in self.env["project.project"]._value(project, "type_ids") if not stages._value(s, "fold")
        ]
        ordered = stages._with_context(active_test=False)._search_ids([["id", "in", ids]])
        return ordered[0] if ordered else None


MODELS: list[type[BaseModel]] = [Stage, Project, Task]
