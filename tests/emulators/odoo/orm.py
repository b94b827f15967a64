"""The ORM behaviour a client observes: ``create``/``write``/``unlink``/``read``/``search`` and friends.

A model instance is a recordset (``env``, ``ids``). Public methods (no leading underscore) are what
the RPC layers may call, with Odoo's signatures; ``@model_api`` marks ``@api.model`` methods (called
without ids) and ``@create_api`` ``@api.model_create_multi``. Behaviour follows Odoo 17-19
``odoo/models.py``:

- ``write`` always stamps ``write_date``/``write_uid`` (one timestamp per transaction, whole seconds);
  ``id`` and the log-access fields are silently dropped from values.
- A computed field without inverse: ignored on create (recomputed), stored as given on write until a
  dependency changes, lost on write when not stored. Plain ``readonly`` fields are written: read-only
  is a view attribute.
- Stored computed fields are recomputed when a dependency changes; a recomputed value that differs
  re-stamps the record (Odoo's ``_write`` sets ``write_date`` for computed fields too).
- ``read`` skips deleted ids silently; ``write`` on a deleted id raises ``MissingError``.
- NOT NULL, foreign keys and SQL constraints fail as Odoo reports PostgreSQL's errors: a
  ``ValidationError`` "The operation cannot be completed: ...".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Self

from tests.emulators.odoo.domain import compile_domain, parse_order, sort_ids
from tests.emulators.odoo.exceptions import AccessError, MissingError, ValidationError
from tests.emulators.odoo.fields import X2MANY, Field, empty_value, to_cache, to_read

if TYPE_CHECKING:
    from tests.emulators.odoo.registry import Registry

__all__ = [
    "BaseModel",
    "CallState",
    "Environment",
    "create_api",
    "get_api",
    "model_api",
    "name_search_v17",
    "name_search_v18",
]

LOG_ACCESS = ("create_date", "create_uid", "write_date", "write_uid")
BAD_NAMES = frozenset({"id", "parent_path", *LOG_ACCESS})
_VERBS = {"read": "access", "write": "modify", "create": "create", "unlink": "delete"}


def model_api(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn._api = "model"  # type: ignore[attr-defined]
    return fn


def create_api(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn._api = "model_create"  # type: ignore[attr-defined]
    return fn


def get_api(cls: type, name: str) -> str | None:
    """The api kind of a method, inherited by overrides as Odoo's metaclass propagates it."""
    for klass in cls.__mro__:
        fn = klass.__dict__.get(name)
        if fn is not None and hasattr(fn, "_api"):
            return str(fn._api)
    return None


class CallState:
    """What one RPC call shares: its timestamp and the fields protected from recomputation."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.protected: set[tuple[str, str, int]] = set()


class Environment:
    def __init__(self, registry: Registry, uid: int, context: dict[str, Any], call: CallState) -> None:
        self.registry = registry
        self.uid = uid
        self.context = dict(context)
        self.call = call

    @property
    def now(self) -> datetime:
        return self.call.now

    def __getitem__(self, name: str) -> BaseModel:
        return self.registry.models[name](self, ())

    def __contains__(self, name: str) -> bool:
        return name in self.registry.models

    def with_context(self, **values: Any) -> Environment:
        return Environment(self.registry, self.uid, {**self.context, **values}, self.call)


class BaseModel:
    _module: ClassVar[str] = "base"
    _name: ClassVar[str] = ""
    _description: ClassVar[str] = ""
    _order: ClassVar[str] = "id"
    _rec_name: ClassVar[str | None] = "name"
    _parent_name: ClassVar[str | None] = None
    _inherits: ClassVar[dict[str, str]] = {}
    _declared: ClassVar[dict[str, Field]] = {}
    """Fields as a model module declares them (all versions)."""
    _fields: ClassVar[dict[str, Field]] = {}
    """Fields of this database's version, plus the magic ones (set by the registry)."""
    _sql_constraints: ClassVar[list[tuple[str, str]]] = []
    """(method returning True when a row is valid, message)."""
    _constraints: ClassVar[list[tuple[tuple[str, ...], str]]] = []
    """(fields that trigger it, method raising ValidationError) - Odoo's ``@api.constrains``."""

    def __init__(self, env: Environment, ids: Sequence[int]) -> None:
        self.env = env
        self.ids = list(ids)

    # -- recordset basics -------------------------------------------------------------------------
    def __iter__(self) -> Iterator[Self]:
        for i in self.ids:
            yield self._browse([i])

    def __len__(self) -> int:
        return len(self.ids)

    def __bool__(self) -> bool:
        return bool(self.ids)

    def _browse(self, ids: Any) -> Self:
        if ids is None or ids is False:
            ids = []
        elif isinstance(ids, int):
            ids = [ids]
        return type(self)(self.env, list(ids))

    def _with_context(self, **values: Any) -> Self:
        return type(self)(self.env.with_context(**values), self.ids)

    @property
    def _db(self) -> Any:
        return self.env.registry.db

    @property
    def _version(self) -> int:
        return self.env.registry.version

    @property
    def _rec_name_field(self) -> str:
        return self._rec_name or "display_name"

    def _active_test(self) -> bool:
        return "active" in self._fields and self.env.context.get("active_test", True) is not False

    # -- fields -----------------------------------------------------------------------------------
    def _field_or_none(self, name: str) -> Field | None:
        if name in self._fields:
            return self._fields[name]
        for parent, _link in self._inherits.items():
            field = self.env[parent]._field_or_none(name)
            if field is not None and name not in LOG_ACCESS and name != "id":
                return field
        return None

    def _delegate(self, name: str) -> tuple[str, str] | None:
        """(parent model, link field) when ``name`` lives on an ``_inherits`` parent."""
        if name in self._fields:
            return None
        for parent, link in self._inherits.items():
            if self.env[parent]._field_or_none(name) is not None:
                return parent, link
        return None

    def _all_field_names(self) -> list[str]:
        names = list(self._fields)
        for parent in self._inherits:
            names += [n for n in self.env[parent]._all_field_names() if n not in names]
        return names

    def _label(self, name: str) -> str:
        return f"{self._name}.{name}"

    def _check_field_names(self, names: Sequence[str]) -> None:
        for name in names:
            if not isinstance(name, str) or self._field_or_none(name) is None:
                raise ValueError(f"Invalid field {name!r} on model {self._name!r}")

    # -- values -----------------------------------------------------------------------------------
    def _row(self, i: int) -> dict[str, Any]:
        row = self._db.row(self._name, i)
        if row is None:
            raise MissingError(
                "Record does not exist or has been deleted.\n"
                f"(Record: {self._name}({i},), User: {self.env.uid})"
            )
        return row

    def _value(self, i: int, name: str) -> Any:
        """The current (cache-format) value of one field of one record."""
        if name == "id":
            return i
        delegate = self._delegate(name)
        if delegate is not None:
            parent, link = delegate
            return self.env[parent]._value(self._row(i)[link], name)
        field = self._fields[name]
        if field.type == "one2many":
            return tuple(self._children(i, name, active_only=False))
        if field.compute and not field.store:
            return getattr(self, field.compute)(i)
        return self._row(i).get(name)

    def _children(self, i: int, name: str, *, active_only: bool) -> list[int]:
        field = self._fields[name]
        comodel = self.env[field.relation or ""]
        inverse = field.inverse_name or ""
        ids = [c for c, row in self._db.tables[comodel._name].items() if row.get(inverse) == i]
        if active_only and "active" in comodel._fields:
            ids = [c for c in ids if self._db.tables[comodel._name][c].get("active")]
        return sorted(ids)

    def _related_ids(self, i: int, name: str) -> set[int]:
        if name == "id":
            return {i}
        value = self._value(i, name)
        field = self._field_or_none(name)
        assert field is not None
        if field.type == "many2one":
            return {value} if value else set()
        return set(value or ())

    def _display_name_of(self, i: int) -> str:
        return str(self._value(i, "display_name") or "")

    def _compute_display_name(self, i: int) -> str:
        if self._rec_name and self._field_or_none(self._rec_name):
            return str(self._value(i, self._rec_name) or "")
        return f"{self._description},{i}"

    def _hierarchy(self, roots: set[int], *, down: bool) -> set[int]:
        """``child_of`` (down) or ``parent_of`` (up) closure over ``_parent_name``."""
        parent = self._parent_name
        found = {r for r in roots if self._db.exists(self._name, r)}
        if parent is None:
            return found
        frontier = set(found)
        rows = self._db.tables[self._name]
        while frontier:
            if down:
                nxt = {i for i, row in rows.items() if row.get(parent) in frontier} - found
            else:
                nxt = {rows[i][parent] for i in frontier if rows[i].get(parent)} - found
            found |= nxt
            frontier = nxt
        return found

    # -- access -----------------------------------------------------------------------------------
    def _check_access(self, operation: str) -> None:
        if self.env.uid in self.env.registry.managers:
            return
        group = self.env.registry.denied.get((self._name, operation))
        if group is not None:
            raise AccessError(
                f"You are not allowed to {_VERBS[operation]} '{self._description}' ({self._name}) "
                f"records.\n\nThis operation is allowed for the following groups:\n\t- {group}\n\n"
                "Contact your administrator to request access if necessary."
            )

    def _existing(self) -> list[int]:
        return [i for i in self.ids if self._db.exists(self._name, i)]

    def _check_write_exists(self) -> None:
        missing = [i for i in self.ids if not self._db.exists(self._name, i)]
        if missing:
            raise MissingError(
                f"One of the records you are trying to modify has already been deleted (Document type: "
                f"{self._description}).\n\n(Records: {missing[:6]}, User: {self.env.uid})"
            )

    def _ensure_exist(self) -> None:
        missing = [i for i in self.ids if not self._db.exists(self._name, i)]
        if missing:
            raise MissingError(
                f"Record does not exist or has been deleted.\n(Record: {self._name}"
                f"({', '.join(map(str, missing))},), User: {self.env.uid})"
            )

    # -- public ORM methods (reachable over RPC) --------------------------------------------------
    @model_api
    def search(
        self, domain: Any, offset: int = 0, limit: int | None = None, order: str | None = None
    ) -> Self:
        return self._browse(self._search_ids(domain, offset, limit, order))

    @model_api
    def search_count(self, domain: Any, limit: int | None = None) -> int:
        return len(self._search_ids(domain, 0, limit, None))

    @model_api
    def search_read(
        self,
        domain: Any = None,
        fields: list[str] | None = None,
        offset: int = 0,
        limit: int | None = None,
        order: str | None = None,
        **read_kwargs: Any,
    ) -> list[dict[str, Any]]:
        records = self.search(domain or [], offset=offset, limit=limit, order=order)
        if not records:
            return []
        return records.read(fields, **read_kwargs)

    def read(
        self, fields: list[str] | None = None, load: str | None = "_classic_read"
    ) -> list[dict[str, Any]]:
        self._check_access("read")
        names = list(fields) if fields else self._all_field_names()
        self._check_field_names(names)
        result = []
        for i in self._existing():
            record: dict[str, Any] = {"id": i}
            for name in names:
                if name != "id":
                    record[name] = self._read_value(i, name, load)
            result.append(record)
        return result

    def _read_value(self, i: int, name: str, load: str | None) -> Any:
        field = self._field_or_none(name)
        assert field is not None
        value = self._value(i, name)
        if field.type == "many2one":
            if not value:
                return False
            if load == "_classic_read":
                return [value, self.env[field.relation or ""]._display_name_of(value)]
            return value
        if field.type in X2MANY:
            comodel = self.env[field.relation or ""]
            ids = sorted(value or ())
            if comodel._active_test() and self._active_test():
                ids = [c for c in ids if comodel._value(c, "active")]
            return ids
        return to_read(field, value)

    @create_api
    def create(self, vals_list: Any) -> Self:
        self._check_access("create")
        batch = [vals_list] if isinstance(vals_list, dict) else list(vals_list)
        ids = [self._create_one(dict(vals)) for vals in batch]
        records = self._browse(ids)
        records._validate(set(self._fields))
        return records

    def write(self, vals: dict[str, Any]) -> bool:
        if not self.ids:
            return True
        self._check_access("write")
        self._check_write_exists()
        vals = dict(vals)
        self._check_field_names(list(vals))
        for name in BAD_NAMES & set(vals):
            vals.pop(name)
        for parent, link in self._inherits.items():
            parent_vals = {k: vals.pop(k) for k in list(vals) if self._delegate(k) == (parent, link)}
            if parent_vals:
                self.env[parent]._browse({self._row(i)[link] for i in self.ids}).write(parent_vals)
        for i in self.ids:
            self._stamp(i)
        self._apply(vals, creating=False)
        self._validate(set(vals))
        self._modified(self.ids, set(vals))
        return True

    def unlink(self) -> bool:
        if not self.ids:
            return True
        self._check_access("unlink")
        self._ensure_exist()
        self._unlink_checks()
        parents = self._dependents_before_unlink()
        self.env.registry.delete(self.env, self._name, set(self.ids))
        self._recompute(parents)
        return True

    def exists(self) -> Self:
        return self._browse(self._existing())

    @model_api
    def fields_get(
        self, allfields: list[str] | None = None, attributes: list[str] | None = None
    ) -> dict[str, dict[str, Any]]:
        result = {}
        for name in self._all_field_names():
            if allfields and name not in allfields:
                continue
            field = self._field_or_none(name)
            assert field is not None
            description: dict[str, Any] = {
                "name": name,
                "type": field.type,
                "string": field.string,
                "help": field.help,
                "required": field.required,
                "readonly": field.is_readonly,
                "store": field.stored,
                "searchable": field.stored or name in ("id", "display_name"),
                "sortable": field.stored,
                "company_dependent": field.company_dependent,
            }
            if field.relation:
                description["relation"] = field.relation
            if field.inverse_name:
                description["relation_field"] = field.inverse_name
            if field.type == "selection":
                description["selection"] = field.selection_pairs(self)
            if attributes:
                description = {k: v for k, v in description.items() if k in attributes}
            result[name] = description
        return result

    def _name_search_ids(self, name: str, domain: Any, operator: str, limit: int | None) -> list[list[Any]]:
        leaf = [[self._rec_name_field, operator, name]] if name else []
        ids = self._search_ids(list(domain or []) + leaf, 0, limit, None)
        return [[i, self._display_name_of(i)] for i in ids]

    # -- search -----------------------------------------------------------------------------------
    def _search_ids(
        self, domain: Any, offset: int = 0, limit: int | None = None, order: str | None = None
    ) -> list[int]:
        self._check_access("read")
        domain = list(domain or [])
        if self._active_test() and not any(
            isinstance(item, list | tuple) and item and item[0] == "active" for item in domain
        ):
            domain = [["active", "=", True], *domain]
        predicate = compile_domain(self, domain)
        terms = parse_order(self, order) if order else parse_order(self, self._order)
        ids = sort_ids(self, [i for i in self._db.ids(self._name) if predicate(i)], terms)
        offset = int(offset or 0)
        ids = ids[offset:]
        if limit:
            ids = ids[: int(limit)]
        return ids

    # -- create / write machinery -----------------------------------------------------------------
    def _stamp(self, i: int) -> None:
        self._db.update(self._name, i, {"write_date": self.env.now, "write_uid": self.env.uid})

    def _defaults(self, vals: dict[str, Any]) -> None:
        for name, field in self._fields.items():
            if name in vals or field.default is None or name in BAD_NAMES:
                continue
            vals[name] = field.default(self) if callable(field.default) else field.default

    def _create_one(self, vals: dict[str, Any]) -> int:
        self._check_field_names(list(vals))
        for name in BAD_NAMES & set(vals):
            vals.pop(name)
        for parent, link in self._inherits.items():
            parent_vals = {k: vals.pop(k) for k in list(vals) if self._delegate(k) == (parent, link)}
            if not vals.get(link):
                parent_model = self.env[parent]._with_context(create_product_product=False)
                vals[link] = parent_model.create(parent_vals).ids[0]
            elif parent_vals:
                self.env[parent]._browse(vals[link]).write(parent_vals)
        self._defaults(vals)
        i = self._db.next_id(self._name)
        row = {name: empty_value(f) for name, f in self._fields.items() if f.stored}
        row.update(
            {
                "create_date": self.env.now,
                "write_date": self.env.now,
                "create_uid": self.env.uid,
                "write_uid": self.env.uid,
            }
        )
        self._db.insert(self._name, i, row)
        record = self._browse([i])
        record._apply(vals, creating=True)
        record._compute_stored(creating=True)
        self._modified([i], set(self._fields))
        return i

    def _apply(self, vals: dict[str, Any], *, creating: bool) -> None:
        """Write converted values on every record of ``self``; x2many commands; inverses."""
        inverses: list[tuple[Field, Any]] = []
        for name, value in vals.items():
            field = self._fields[name]
            if field.type in X2MANY:
                for i in self.ids:
                    self.env.registry.apply_commands(self, i, name, field, value)
                continue
            ignored = field.compute and field.inverse is None and field.is_readonly
            if ignored and (creating or not field.store):
                continue  # recomputed (create) or lost (not stored): Odoo ignores the value
            stored = to_cache(field, self._label(name), value, self)
            if field.type == "many2one" and stored is not None:
                self.env.registry.check_foreign_key(self, name, field, stored)
            if field.stored:
                for i in self.ids:
                    self._db.update(self._name, i, {name: stored})
            if field.compute and (field.inverse or not field.is_readonly):
                self.env.call.protected.update((self._name, name, i) for i in self.ids)
            if field.inverse:
                inverses.append((field, stored))
        for field, stored in inverses:
            getattr(self, field.inverse or "")(self.ids, stored)

    def _compute_stored(self, *, creating: bool) -> None:
        for name, field in self._fields.items():
            if not (field.compute and field.stored):
                continue
            for i in self.ids:
                if (self._name, name, i) in self.env.call.protected:
                    continue
                self._db.update(self._name, i, {name: getattr(self, field.compute)(i)})

    def _modified(self, ids: Sequence[int], names: set[str]) -> None:
        self._recompute(self.env.registry.triggered(self.env, self._name, list(ids), names))

    def _dependents_before_unlink(self) -> dict[tuple[str, str], set[int]]:
        return self.env.registry.triggered(self.env, self._name, self.ids, set(self._fields))

    def _recompute(self, todo: dict[tuple[str, str], set[int]]) -> None:
        """Recompute stored computed fields until nothing changes; changed rows are re-stamped."""
        rounds = 0
        while todo:
            rounds += 1
            if rounds > 50:
                raise RuntimeError("emulator: recomputation does not settle")
            nxt: dict[tuple[str, str], set[int]] = {}
            for (model_name, fname), ids in todo.items():
                model = self.env[model_name]
                field = model._fields[fname]
                changed = []
                for i in sorted(ids):
                    if (
                        not self._db.exists(model_name, i)
                        or (model_name, fname, i) in self.env.call.protected
                    ):
                        continue
                    value = getattr(model, field.compute or "")(i)
                    if value != self._db.row(model_name, i).get(fname):
                        self._db.update(model_name, i, {fname: value})
                        model._stamp(i)
                        changed.append(i)
                if changed:
                    for key, more in self.env.registry.triggered(
                        self.env, model_name, changed, {fname}
                    ).items():
                        nxt.setdefault(key, set()).update(more)
            todo = nxt

    # -- checks -----------------------------------------------------------------------------------
    def _validate(self, names: set[str]) -> None:
        """NOT NULL, SQL constraints, then python constraints, as PostgreSQL and Odoo would."""
        for i in self._existing():
            row = self._row(i)
            for fname, field in self._fields.items():
                if field.required and field.stored and field.type != "boolean" and row.get(fname) is None:
                    raise ValidationError(
                        "The operation cannot be completed:\n"
                        "- Create/update: a mandatory field is not set.\n"
                        "- Delete: another model requires the record being deleted. If possible, "
                        "archive it instead.\n\n"
                        f"Model: {self._description} ({self._name})\n"
                        f"Field: {field.string} ({fname})\n"
                    )
            for method, message in self._sql_constraints:
                if not getattr(self, method)(row):
                    raise ValidationError(f"The operation cannot be completed: {message}")
        for triggers, method in self._constraints:
            if names & set(triggers):
                getattr(self._browse(self._existing()), method)()

    def _unlink_checks(self) -> None:
        """Odoo's ``@api.ondelete`` hooks: refuse with a ``UserError``."""


@model_api
def name_search_v17(
    self: BaseModel, name: str = "", args: Any = None, operator: str = "ilike", limit: int | None = 100
) -> list[list[Any]]:
    """``name_search`` up to 17: the extra domain is called ``args``."""
    return self._name_search_ids(name, args, operator, limit)


@model_api
def name_search_v18(
    self: BaseModel, name: str = "", domain: Any = None, operator: str = "ilike", limit: int | None = 100
) -> list[list[Any]]:
    """``name_search`` from 18: the extra domain is called ``domain``."""
    return self._name_search_ids(name, domain, operator, limit)
