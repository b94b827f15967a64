"""The records of one emulated SAP system, typed per the metadata, with SAP's own bookkeeping fields."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from tests.emulators.sap.metadata import EntitySet, EntityType, ServiceModel
from tests.emulators.sap.values import ValueError_, from_json

__all__ = ["Clock", "SapError", "ServiceData"]

Clock = Callable[[], datetime]
Record = dict[str, Any]
Key = tuple[Any, ...]


class SapError(Exception):
    """An error SAP Gateway answers with: HTTP status, SAP message code and text, the property."""

    def __init__(self, status: int, code: str, message: str, target: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.target = target


def _midnight(when: datetime) -> datetime:
    return when.replace(hour=0, minute=0, second=0, microsecond=0)


def _time_of_day(when: datetime) -> timedelta:
    return timedelta(hours=when.hour, minutes=when.minute, seconds=when.second)


class ServiceData:
    """Records of every entity set of one service; keys are tuples in the type's key order."""

    def __init__(self, model: ServiceModel, clock: Clock, lock: threading.RLock) -> None:
        self.model = model
        self.clock = clock
        self.lock = lock
        self.rows: dict[str, dict[Key, Record]] = {name: {} for name in model.sets}
        self.versions: dict[tuple[str, Key], int] = {}
        self._numbers: dict[str, int] = {}

    # -- keys and etags -------------------------------------------------------------------------
    def key_of(self, etype: EntityType, record: Record) -> Key:
        return tuple(record.get(k) for k in etype.keys)

    def etag(self, entity_set: EntitySet, record: Record) -> str:
        etype = entity_set.type
        field = etype.etag_property
        if field is not None and isinstance(record.get(field), datetime):
            stamp = record[field].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
            return f"W/\"datetimeoffset'{stamp}Z'\""
        version = self.versions.get((entity_set.name, self.key_of(etype, record)), 0)
        digest = hashlib.sha1(
            repr((entity_set.name, self.key_of(etype, record), version)).encode()
        ).hexdigest()[:16]
        return f"W/\"'{digest}'\""

    def _next_number(self, set_name: str, start: int) -> str:
        number = self._numbers.get(set_name, start)
        self._numbers[set_name] = number + 1
        return str(number)

    # -- create ---------------------------------------------------------------------------------
    def typed(self, etype: EntityType, body: Record) -> tuple[Record, dict[str, Any]]:
        """Body split into typed properties and deep (navigation) data; unknown names are refused."""
        values: Record = {}
        deep: dict[str, Any] = {}
        for name, value in body.items():
            if name == "__metadata":
                continue
            if name in etype.navs:
                deep[name] = value
                continue
            prop = etype.properties.get(name)
            if prop is None:
                raise SapError(
                    400,
                    "/IWBEP/CM_MGW_RT/020",
                    f"Property '{name}' is invalid: it is not defined for entity type '{etype.name}'",
                    name,
                )
            try:
                values[name] = from_json(prop, value)
            except ValueError_ as exc:
                raise SapError(400, "/IWBEP/CM_MGW_RT/022", str(exc), name) from None
        return values, deep

    def create(self, entity_set: EntitySet, body: Record, parent: Record | None = None) -> Record:
        """Insert a record and, deep, its children (``to_Item: [...]``); all or nothing."""
        with self.lock:
            created: list[tuple[str, Key]] = []
            try:
                record = self._create(entity_set, body, parent, created, None)
                self._as_sap_saves_it(entity_set, record, created)
                return record
            except Exception:
                for set_name, key in created:
                    self.rows[set_name].pop(key, None)
                raise

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
        now = self.clock()
        if parent is not None:
            for name in etype.keys:
                if values.get(name) is None and name in parent:
                    values[name] = parent[name]
        missing = [k for k in etype.keys if values.get(k) is None]
        if len(missing) == 1 and etype.properties[missing[0]].type == "Edm.String":
            siblings = self.rows[entity_set.name]
            if parent is not None and len(etype.keys) > 1:  # item numbers count 10, 20, ... per parent
                prefix = self.key_of(etype, values)[:-1]
                count = sum(1 for k in siblings if k[:-1] == prefix)
                values[missing[0]] = str(10 * (count + 1))
            elif parent is not None and parent_type is not None:  # 1:1 child: the parent's own number
                values[missing[0]] = parent[parent_type.keys[0]]
            else:
                values[missing[0]] = self._next_number(entity_set.name, 1000001)
        elif missing:
            raise SapError(400, "/IWBEP/CM_MGW_RT/021", f"Key property '{missing[0]}' is required")
        self._stamp_creation(etype, values, now)
        key = self.key_of(etype, values)
        if key in self.rows[entity_set.name]:
            raise SapError(
                400,
                "/IWBEP/CM_MGW_RT/023",
                f"{etype.name.removesuffix('Type')} {'/'.join(key)} already exists",
            )
        self.rows[entity_set.name][key] = values
        created.append((entity_set.name, key))
        for nav_name, children in deep.items():
            nav = etype.navs[nav_name]
            target = self.model.set_of_type(nav.target_type)
            items = children.get("results", children) if isinstance(children, dict) else children
            if isinstance(items, dict):
                items = [items]
            for child in items or []:
                made = self._create(target, child, values, created, etype)
                if not nav.many:  # the parent points at its 1:1 child (A_BusinessPartner.Customer)
                    for k in target.type.keys:
                        if k in etype.properties and values.get(k) is None:
                            values[k] = made[k]
        return values

    def _as_sap_saves_it(self, entity_set: EntitySet, record: Record, created: list[tuple[str, Key]]) -> None:
        """What S/4HANA fills in when it saves a sales document: open SD statuses ("A": not yet
        processed, nothing delivered) and the net total of its items."""
        props = entity_set.type.properties
        for status in ("OverallSDProcessStatus", "OverallTotalDeliveryStatus"):
            if status in props and record.get(status) is None:
                record[status] = "A"
        if "TotalNetAmount" in props and record.get("TotalNetAmount") is None:
            amounts = [
                self.rows[set_name][key].get("NetAmount")
                for set_name, key in created
                if set_name != entity_set.name and "NetAmount" in self.rows[set_name][key]
            ]
            if amounts:
                record["TotalNetAmount"] = sum(
                    (Decimal(str(a)) for a in amounts if a is not None), Decimal(0)
                )

    @staticmethod
    def _stamp_creation(etype: EntityType, values: Record, now: datetime) -> None:
        props = etype.properties
        if "CreationDate" in props:
            values["CreationDate"] = _midnight(now)
        if "CreationTime" in props:
            values["CreationTime"] = _time_of_day(now)
        if "LastChangeDateTime" in props:
            values["LastChangeDateTime"] = now
        if "PriceLastChangeDate" in props:
            values["PriceLastChangeDate"] = _midnight(now)
        # LastChangeDate/LastChangeTime of business partners stay null until the first change.
        if "LastChangeDate" in props and "LastChangeTime" not in props:
            values["LastChangeDate"] = _midnight(now)

    # -- change ---------------------------------------------------------------------------------
    def update(self, entity_set: EntitySet, key: Key, body: Record) -> Record:
        etype = entity_set.type
        with self.lock:
            record = self.rows[entity_set.name].get(key)
            if record is None:
                raise not_found(entity_set, key)
            values, deep = self.typed(etype, body)
            if deep:
                raise SapError(
                    400, "/IWBEP/CM_MGW_RT/024", "Navigation properties cannot be changed with PATCH/MERGE"
                )
            values = {k: v for k, v in values.items() if k not in etype.keys}
            record.update(values)
            self.touch(entity_set, record)
            return record

    def touch(self, entity_set: EntitySet, record: Record) -> None:
        """SAP's change bookkeeping after a write."""
        etype = entity_set.type
        now = self.clock()
        props = etype.properties
        if "LastChangeDateTime" in props:
            previous = record.get("LastChangeDateTime")
            # Two changes within one clock tick still get distinct ETags.
            record["LastChangeDateTime"] = (
                now if previous is None or now > previous else previous + timedelta(microseconds=1)
            )
        if "LastChangeDate" in props:
            record["LastChangeDate"] = _midnight(now)
        if "LastChangeTime" in props:
            record["LastChangeTime"] = _time_of_day(now)
        if "PriceLastChangeDate" in props:
            record["PriceLastChangeDate"] = _midnight(now)
        version_key = (entity_set.name, self.key_of(etype, record))
        self.versions[version_key] = self.versions.get(version_key, 0) + 1

    def delete(self, entity_set: EntitySet, key: Key) -> None:
        with self.lock:
            if self.rows[entity_set.name].pop(key, None) is None:
                raise not_found(entity_set, key)

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


def not_found(entity_set: EntitySet, key: Key) -> SapError:
    return SapError(
        404,
        "/IWBEP/CM_MGW_RT/025",
        f"Resource not found for segment '{entity_set.type.name}' with key {'/'.join(map(str, key))}",
    )
