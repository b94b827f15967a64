"""One Odoo database: its version's models, dependency triggers, deletes and x2many commands.

Deletes run as PostgreSQL's foreign keys do: ``ondelete='cascade'`` rows go too (without their own
ORM checks), ``'restrict'`` refuses with Odoo's rendering of the foreign-key violation, ``'set null'``
empties the reference without touching ``write_date``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tests.emulators.odoo.database import Database
from tests.emulators.odoo.exceptions import ValidationError
from tests.emulators.odoo.fields import Field
from tests.emulators.odoo.orm import BaseModel, Environment, name_search_v17, name_search_v18

__all__ = ["MAGIC_FIELDS", "Registry", "Trigger"]

MAGIC_FIELDS = {
    "id": Field("integer", "ID", readonly=True),
    "display_name": Field("char", "Display Name", compute="_compute_display_name", store=False),
    "create_date": Field("datetime", "Created on", readonly=True),
    "create_uid": Field("many2one", "Created by", relation="res.users", readonly=True),
    "write_date": Field("datetime", "Last Updated on", readonly=True),
    "write_uid": Field("many2one", "Last Updated by", relation="res.users", readonly=True),
}


@dataclass(frozen=True)
class Trigger:
    """A change of (source model, field) recomputes ``target_field`` on ``target_model`` records:
    the same ids (``self``), the records the changed rows point to through ``via`` (``parent``), or
    the rows of the target whose ``via`` points to the changed ids (``children``)."""

    target_model: str
    target_field: str
    how: str
    via: str = ""


def _table(name: str) -> str:
    return name.replace(".", "_")


class Registry:
    def __init__(
        self,
        model_classes: Iterable[type[BaseModel]],
        *,
        version: int,
        modules: Iterable[str],
        settings: dict[str, Any] | None = None,
    ) -> None:
        self.version = version
        self.modules = frozenset(modules)
        self.settings: dict[str, Any] = dict(settings or {})
        self.db = Database()
        self.denied: dict[tuple[str, str], str] = {}
        """(model, operation) -> the group that would allow it; such calls raise AccessError."""
        self.managers: set[int] = {1, 2}
        """Users with every right (OdooBot, the administrator): ``denied`` does not apply to them."""
        self.models: dict[str, type[BaseModel]] = {}
        name_search = name_search_v17 if version <= 17 else name_search_v18
        for cls in model_classes:
            if cls._module not in self.modules:
                continue
            fields = {
                n: f
                for n, f in cls._declared.items()
                if f.since <= version <= f.until and (f.module is None or f.module in self.modules)
            }
            fields = {**fields, **{n: f for n, f in MAGIC_FIELDS.items() if n not in fields}}
            attributes = {"_fields": fields, "name_search": name_search}
            self.models[cls._name] = type(cls.__name__, (cls,), attributes)
        self.triggers = self._build_triggers()

    # -- dependencies -----------------------------------------------------------------------------
    def _build_triggers(self) -> dict[tuple[str, str], list[Trigger]]:
        triggers: dict[tuple[str, str], list[Trigger]] = {}

        def add(key: tuple[str, str], trigger: Trigger) -> None:
            triggers.setdefault(key, []).append(trigger)

        for model_name, cls in self.models.items():
            for fname, field in cls._fields.items():
                if not (field.compute and field.stored):
                    continue
                for path in field.depends:
                    head, _, rest = path.partition(".")
                    add((model_name, head), Trigger(model_name, fname, "self"))
                    if not rest:
                        continue
                    link = cls._fields.get(head)
                    if link is None or link.relation is None:
                        continue
                    if link.type == "one2many":
                        inverse = link.inverse_name or ""
                        add((link.relation, rest), Trigger(model_name, fname, "parent", inverse))
                        add((link.relation, inverse), Trigger(model_name, fname, "parent", inverse))
                    elif link.type == "many2one":
                        add((link.relation, rest), Trigger(model_name, fname, "children", head))
        return triggers

    def triggered(
        self, env: Environment, model: str, ids: list[int], names: set[str]
    ) -> dict[tuple[str, str], set[int]]:
        """Which stored computed fields of which records depend on these changes."""
        todo: dict[tuple[str, str], set[int]] = {}
        for name in names:
            for trigger in self.triggers.get((model, name), ()):
                key = (trigger.target_model, trigger.target_field)
                if trigger.how == "self":
                    targets = set(ids)
                elif trigger.how == "parent":
                    rows = self.db.tables[model]
                    targets = {rows[i][trigger.via] for i in ids if i in rows and rows[i].get(trigger.via)}
                else:
                    wanted = set(ids)
                    rows = self.db.tables[trigger.target_model]
                    targets = {i for i, row in rows.items() if row.get(trigger.via) in wanted}
                if targets:
                    todo.setdefault(key, set()).update(targets)
        return todo

    # -- references -------------------------------------------------------------------------------
    def check_foreign_key(self, records: BaseModel, name: str, field: Field, value: int) -> None:
        if not self.db.exists(field.relation or "", value):
            raise ValidationError(
                "The operation cannot be completed: another model requires the record being deleted. "
                "If possible, archive it instead.\n\n"
                f"Model: {records._description} ({records._name})\n"
                f"Constraint: {_table(records._name)}_{name}_fkey\n"
            )

    def _references(self, target: str) -> list[tuple[str, str, Field]]:
        return [
            (model_name, fname, field)
            for model_name, cls in self.models.items()
            for fname, field in cls._fields.items()
            if field.relation == target and field.type in ("many2one", "many2many") and field.stored
        ]

    def delete(self, env: Environment, model: str, ids: set[int]) -> None:
        """Delete rows with their cascades, after checking every restricting reference."""
        doomed: dict[str, set[int]] = {}
        pending = [(model, set(ids))]
        while pending:
            name, batch = pending.pop()
            batch = batch - doomed.get(name, set())
            if not batch:
                continue
            doomed.setdefault(name, set()).update(batch)
            for ref_model, fname, field in self._references(name):
                if field.type == "many2one" and field.ondelete == "cascade":
                    rows = self.db.tables[ref_model]
                    pending.append((ref_model, {i for i, row in rows.items() if row.get(fname) in batch}))
        for name, batch in doomed.items():
            for ref_model, fname, field in self._references(name):
                if field.type != "many2one" or field.ondelete != "restrict":
                    continue
                rows = self.db.tables[ref_model]
                blocking = {i for i, row in rows.items() if row.get(fname) in batch}
                if blocking - doomed.get(ref_model, set()):
                    ref = self.models[ref_model]
                    raise ValidationError(
                        "The operation cannot be completed: another model requires the record being "
                        "deleted. If possible, archive it instead.\n\n"
                        f"Model: {ref._description} ({ref_model})\n"
                        f"Constraint: {_table(ref_model)}_{fname}_fkey\n"
                    )
        for name, batch in doomed.items():
            for ref_model, fname, field in self._references(name):
                for i, row in list(self.db.tables[ref_model].items()):
                    if i in doomed.get(ref_model, set()):
                        continue
                    if field.type == "many2one" and row.get(fname) in batch:
                        self.db.update(ref_model, i, {fname: None})
                    elif field.type == "many2many" and set(row.get(fname) or ()) & batch:
                        kept = tuple(x for x in row[fname] if x not in batch)
                        self.db.update(ref_model, i, {fname: kept})
            for i in batch:
                self.db.delete(name, i)

    # -- x2many commands --------------------------------------------------------------------------
    def apply_commands(self, records: BaseModel, i: int, name: str, field: Field, commands: Any) -> None:
        """Odoo's x2many commands ``[0, 0, vals]`` ... ``[6, 0, ids]`` on one record's field."""
        label = records._label(name)
        if commands is False or commands is None:
            commands = [[5, 0, 0]]
        if not isinstance(commands, list | tuple):
            raise ValueError(f"Wrong value for {label}: {commands!r}")
        comodel = records.env[field.relation or ""]
        for command in commands:
            if not isinstance(command, list | tuple) or not command or type(command[0]) is not int:
                raise ValueError(f"Wrong value for {label}: {command!r}")
            code = command[0]
            arg1 = command[1] if len(command) > 1 else 0
            arg2 = command[2] if len(command) > 2 else 0
            if code == 0:
                vals = dict(arg2 or {})
                if field.type == "one2many":
                    vals[field.inverse_name or ""] = i
                    comodel.create([vals])
                else:
                    new = comodel.create([vals]).ids[0]
                    self._set_links(records, i, name, (*records._value(i, name), new))
            elif code == 1:
                comodel._browse([arg1]).write(dict(arg2 or {}))
            elif code == 2:
                comodel._browse([arg1]).unlink()
            elif code in (3, 5):
                current = set(records._value(i, name))
                targets = current if code == 5 else {arg1} & current
                self._unlink_links(records, i, name, field, comodel, targets)
            elif code == 4:
                self._link(records, i, name, field, comodel, {arg1})
            elif code == 6:
                wanted = set(arg2 or ())
                current = set(records._value(i, name))
                self._unlink_links(records, i, name, field, comodel, current - wanted)
                self._link(records, i, name, field, comodel, wanted - current)
            else:
                raise ValueError(f"Wrong value for {label}: {command!r}")

    def _set_links(self, records: BaseModel, i: int, name: str, ids: Iterable[int]) -> None:
        self.db.update(records._name, i, {name: tuple(sorted(set(ids)))})

    def _link(
        self, records: BaseModel, i: int, name: str, field: Field, comodel: BaseModel, ids: set[int]
    ) -> None:
        for target in ids:
            if not self.db.exists(comodel._name, target):
                raise ValidationError(
                    "The operation cannot be completed: another model requires the record being "
                    f"deleted. If possible, archive it instead.\n\nModel: {records._description} "
                    f"({records._name})\nConstraint: {_table(records._name)}_{name}_fkey\n"
                )
        if field.type == "one2many":
            if ids:
                comodel._browse(sorted(ids)).write({field.inverse_name or "": i})
        else:
            self._set_links(records, i, name, (*records._value(i, name), *ids))

    def _unlink_links(
        self, records: BaseModel, i: int, name: str, field: Field, comodel: BaseModel, ids: set[int]
    ) -> None:
        if not ids:
            return
        if field.type == "one2many":
            inverse = comodel._fields[field.inverse_name or ""]
            children = comodel._browse(sorted(ids))
            if inverse.ondelete == "cascade":
                children.unlink()
            else:
                children.write({field.inverse_name or "": False})
        else:
            self._set_links(records, i, name, [x for x in records._value(i, name) if x not in ids])

    def env(self, uid: int, context: dict[str, Any], call: Any) -> Environment:
        return Environment(self, uid, context, call)
