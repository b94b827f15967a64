"""The records of one emulated SAP service, typed per the metadata, with SAP's own bookkeeping fields.

Change stamps as S/4HANA keeps them: ``Edm.DateTimeOffset`` stamps (``LastChangeDateTime``) are
instants in UTC; date and time fields (``CreationDate`` + ``CreationTime``, the business partner's
``LastChangeDate`` + ``LastChangeTime``, ``PriceLastChangeDate``) hold the wall clock of the
system's time zone, without an offset.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.emulators.sap.errors import SapError
from tests.emulators.sap.metadata import EntitySet, EntityType, ServiceModel
from tests.emulators.sap.values import from_json

__all__ = ["Clock", "Key", "Record", "ServiceData", "not_found"]

Clock = Callable[[], datetime]
Record = dict[str, Any]
Key = tuple[Any, ...]


def _day(local: datetime) -> datetime:
    """A date-only value as Gateway carries it: midnight UTC of the (local) day."""
    return datetime(local.year, local.month, local.day, tzinfo=UTC)


def _time_of_day(local: datetime) -> timedelta:
    return timedelta(hours=local.hour, minutes=local.minute, seconds=local.second)


def not_found(entity_set: EntitySet, key: Key) -> SapError:
    return SapError(
        404,
        "/IWBEP/CM_MGW_RT/025",
        f"Resource not found for segment '{entity_set.type.name}' with key {'/'.join(map(str, key))}",
        kind="protocol",
    )


def items_of(value: Any) -> list[Any]:
    """Deep-insert data of a navigation: a list, ``{"results": [...]}`` or one object."""
    items = value.get("results", value) if isinstance(value, dict) else value
    if isinstance(items, dict):
        return [items]
    return list(items or [])


class ServiceData:
    """Records of every entity set of one service; keys are tuples in the type's key order."""

    def __init__(self, model: ServiceModel, clock: Clock, lock: threading.RLock, zone: ZoneInfo) -> None:
        self.model = model
        self.clock = clock
        self.lock = lock
        self.zone = zone
        self.rows: dict[str, dict[Key, Record]] = {name: {} for name in model.sets}
        self._numbers: dict[str, int] = {}

    # -- keys and etags -------------------------------------------------------------------------
    def key_of(self, etype: EntityType, record: Record) -> Key:
        return tuple(record.get(k) for k in etype.keys)

    def etag(self, entity_set: EntitySet, record: Record) -> str | None:
        """The ETag is the concurrency property's value; types that declare none have no ETag."""
        field = entity_set.type.etag_property
        if field is None:
            return None
        value = record.get(field)
        if isinstance(value, datetime):
            return f"W/\"datetimeoffset'{value.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S.%f')}Z'\""
        return f"W/\"'{value}'\""

    def _next_number(self, set_name: str, start: int) -> str:
        number = self._numbers.get(set_name, start)
        self._numbers[set_name] = number + 1
        return str(number)

    # -- create ---------------------------------------------------------------------------------
    def typed(self, etype: EntityType, body: Record) -> tuple[Record, dict[str, Any]]:
        """Body split into typed properties and deep (navigation) data. Names were checked against
        the metadata before (``contract.check_body``); values are checked here."""
        values: Record = {}
        deep: dict[str, Any] = {}
        for name, value in body.items():
            if name == "__metadata":
                continue
            if name in etype.navs:
                deep[name] = value
            elif name in etype.properties:
                values[name] = from_json(etype.properties[name], value)
        return values, deep

    def check_values(self, etype: EntityType, body: Record) -> None:
        """Every value of a (deep) body against its property's facets, before anything is saved."""
        _, deep = self.typed(etype, body)
        for nav_name, children in deep.items():
            target = self.model.types[etype.navs[nav_name].target_type]
            for child in items_of(children):
                if isinstance(child, dict):
                    self.check_values(target, child)

    def create(
        self,
        entity_set: EntitySet,
        body: Record,
        parent: Record | None = None,
        parent_type: EntityType | None = None,
    ) -> tuple[Record, list[tuple[str, Key]]]:
        """Insert a record and, deep, its children (``to_Item: [...]``); all or nothing.
        Returns the record and every (set, key) created, parents first."""
        with self.lock:
            created: list[tuple[str, Key]] = []
            try:
                record = self._create(entity_set, body, parent, created, parent_type)
            except Exception:
                for set_name, key in created:
                    self.rows[set_name].pop(key, None)
                raise
            return record, created

    def _assign_keys(
        self, entity_set: EntitySet, values: Record, parent: Record | None, parent_type: EntityType | None
    ) -> None:
        """Keys SAP fills itself: parent keys of a child, the number range of a document or master
        record, item numbers 10, 20, ... within their parent, a 1:1 child's parent number."""
        etype = entity_set.type
        if parent is not None:
            for name in etype.keys:
                if values.get(name) is None and name in parent:
                    values[name] = parent[name]
        missing = [k for k in etype.keys if values.get(k) is None]
        if not missing:
            return
        trailing = list(etype.keys[len(etype.keys) - len(missing) :]) == missing
        if not trailing or any(etype.properties[k].type != "Edm.String" for k in missing):
            raise SapError(
                400,
                "/IWBEP/CM_MGW_RT/021",
                f"Key property '{missing[0]}' is required",
                missing[0],
                kind="value",
            )
        if len(etype.keys) == 1:
            if parent is not None and parent_type is not None:  # 1:1 child: the parent's number
                values[missing[0]] = parent[parent_type.keys[0]]
            else:  # a document or master record: the next number of its range
                values[missing[0]] = self._next_number(entity_set.name, 1000001)
            return
        prefix = tuple(values[k] for k in etype.keys[: len(etype.keys) - len(missing)])
        count = sum(1 for k in self.rows[entity_set.name] if k[: len(prefix)] == prefix)
        if len(missing) == 1:
            values[missing[0]] = str(10 * (count + 1))  # items: 10, 20, ...
            return
        for name in missing[:-1]:  # a pricing element's step, then its counter
            values[name] = "1"
        values[missing[-1]] = str(count + 1)

    def _create(
        self,
        entity_set: EntitySet,
        body: Record,
        parent: Record | None,
        created: list[tuple[str, Key]],
        parent_type: EntityType | None,
    ) -> Record:
        etype = entity_set.type
        values, deep = self.typed(etype, body)
        self._assign_keys(entity_set, values, parent, parent_type)
        self.stamp_creation(etype, values)
        key = self.key_of(etype, values)
        if key in self.rows[entity_set.name]:
            raise SapError(
                400,
                "/IWBEP/CM_MGW_RT/023",
                f"{etype.name.removesuffix('Type')} {'/'.join(map(str, key))} already exists",
                kind="business",
            )
        self.rows[entity_set.name][key] = values
        created.append((entity_set.name, key))
        for nav_name, children in deep.items():
            nav = etype.navs[nav_name]
            target = self.model.set_of_type(nav.target_type)
            for child in items_of(children):
                made = self._create(target, child, values, created, etype)
                if not nav.many:  # the parent points at its 1:1 child (A_BusinessPartner.Customer)
                    for k in target.type.keys:
                        if k in etype.properties and values.get(k) is None:
                            values[k] = made[k]
        return values

    def stamp_creation(self, etype: EntityType, values: Record) -> None:
        props = etype.properties
        now = self.clock()
        local = now.astimezone(self.zone)
        if "CreationDate" in props:
            values["CreationDate"] = _day(local)
        if "CreationTime" in props:
            values["CreationTime"] = _time_of_day(local)
        if "LastChangeDateTime" in props:
            values["LastChangeDateTime"] = now
        if "PriceLastChangeDate" in props:
            values["PriceLastChangeDate"] = _day(local)
        # A business partner's LastChangeDate/LastChangeTime stay null until its first change.
        if "LastChangeDate" in props and "LastChangeTime" not in props:
            values["LastChangeDate"] = _day(local)

    # -- change ---------------------------------------------------------------------------------
    def update(self, entity_set: EntitySet, key: Key, values: Record) -> Record:
        """Apply typed values (keys left alone) and SAP's change bookkeeping."""
        etype = entity_set.type
        with self.lock:
            record = self.rows[entity_set.name].get(key)
            if record is None:
                raise not_found(entity_set, key)
            record.update({k: v for k, v in values.items() if k not in etype.keys})
            self.touch(entity_set, record)
            return record

    def touch(self, entity_set: EntitySet, record: Record) -> None:
        """SAP's change bookkeeping after a write."""
        props = entity_set.type.properties
        now = self.clock()
        local = now.astimezone(self.zone)
        if "LastChangeDateTime" in props:
            previous = record.get("LastChangeDateTime")
            # Two changes within one clock tick still get distinct stamps (and ETags).
            record["LastChangeDateTime"] = (
                now if previous is None or now > previous else previous + timedelta(microseconds=1)
            )
        if "LastChangeDate" in props:
            record["LastChangeDate"] = _day(local)
        if "LastChangeTime" in props:
            record["LastChangeTime"] = _time_of_day(local)
        if "PriceLastChangeDate" in props:
            record["PriceLastChangeDate"] = _day(local)

    def delete(self, entity_set: EntitySet, key: Key) -> None:
        """Remove a record and the children it is composed of (a document's items, their elements)."""
        with self.lock:
            record = self.rows[entity_set.name].pop(key, None)
            if record is None:
                raise not_found(entity_set, key)
            for nav_name, nav in entity_set.type.navs.items():
                target = self.model.set_of_type(nav.target_type)
                if nav.many and set(entity_set.type.keys) <= set(target.type.keys):
                    for child in self.children(entity_set, record, nav_name):
                        self.delete(target, self.key_of(target.type, child))

    def children(self, entity_set: EntitySet, record: Record, nav_name: str) -> list[Record]:
        """Records reached through a navigation property: matched on the shared key fields."""
        nav = entity_set.type.navs[nav_name]
        target = self.model.set_of_type(nav.target_type)
        shared = [k for k in target.type.keys if k in entity_set.type.keys]
        if not shared:  # 1:1 by the child's key held in the parent (A_BusinessPartner.Customer)
            shared_child = [k for k in target.type.keys if k in entity_set.type.properties]
            if not shared_child:
                return []
            wanted = tuple(record.get(k) for k in shared_child)
            row = self.rows[target.name].get(wanted) if len(shared_child) == len(target.type.keys) else None
            return [row] if row is not None else []
        return [r for r in self.rows[target.name].values() if all(r.get(k) == record.get(k) for k in shared)]
