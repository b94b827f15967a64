"""The data of one emulated org: its schema (from the contract and its shape), records, the recycle
bin, the clock and the API usage. Every write is checked field by field (``values.py``) and by the
object's behaviour rules (``rules.py``) before anything is stored.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from . import rules
from .contract import FieldSpec, ObjectSpec, contracts_dir
from .errors import ApiError, RecordError
from .shape import OrgShape, build_schema
from .values import ID_PATTERN, check_write, coerce

__all__ = ["ApiError", "Org", "RecordError", "sf_timestamp"]

HARD_DELETED = {"OrderItem", "OpportunityLineItem"}
"""D1, R8, O4: these skip the recycle bin (queryAll does not return them)."""
_SYSTEM = (
    "Id",
    "IsDeleted",
    "CreatedDate",
    "CreatedById",
    "LastModifiedDate",
    "LastModifiedById",
    "SystemModstamp",
)


def sf_timestamp(when: datetime) -> str:
    """Salesforce's JSON form of a dateTime: ``2026-01-31T12:00:00.000+0000``.

    dateTime fields keep whole seconds (the milliseconds always read .000), so many records changed
    within one second share one ``SystemModstamp``: that is what the compound cursor is for.
    """
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


class Org:
    """Records by object and id; every write stamps ``SystemModstamp`` from ``clock``."""

    def __init__(
        self,
        shape: OrgShape | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        contracts: Path | None = None,
    ) -> None:
        self.shape = shape or OrgShape()
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.schema: dict[str, ObjectSpec] = build_schema(contracts or contracts_dir(), self.shape)
        self.api_limit = 15000
        self.api_used = 0
        self.integration_user = "005000000000001AAA"
        self.records: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in self.schema}
        self.deleted: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in self.schema}
        self.delete_log: dict[str, dict[str, datetime]] = {name: {} for name in self.schema}
        """What the ``deleted`` resource reports (hard deletes too) until purged."""
        self.earliest_deleted = self.clock() - timedelta(days=30)
        """``earliestDateAvailable``: the newest purged deletion (or when the org's log starts)."""
        self.lock = threading.RLock()
        self._counters: dict[str, int] = {}
        self.records["User"][self.integration_user] = self._stamped(
            "User", self.integration_user, {"Name": "SyncHub Integration", "Username": "synchub@example.com"}
        )
        self.record_types: dict[str, dict[str, Any]] = {}
        for info in self.schema["Account"].record_types:
            rid = str(info["recordTypeId"])
            self.record_types[rid] = info
            self.records["RecordType"][rid] = self._stamped(
                "RecordType", rid, {"Name": info["name"], "SobjectType": "Account"}
            )
        # P3: every org has exactly one standard price book, active, made by the platform.
        self.standard_pricebook = self.insert(
            "Pricebook2", {"Name": "Standard Price Book", "IsActive": True}, force={"IsStandard": True}
        )

    # -- schema --------------------------------------------------------------------------------------
    def sobject(self, name: str) -> ObjectSpec:
        try:
            return self.schema[name]
        except KeyError:
            raise ApiError(404, "NOT_FOUND", "The requested resource does not exist") from None

    def object_of(self, record_id: str) -> str | None:
        """The object whose key prefix the id carries."""
        for name, spec in self.schema.items():
            if record_id.startswith(spec.prefix):
                return name
        return None

    def check_reference(self, obj: str, spec: FieldSpec, value: Any) -> None:
        """M7: the id must name an existing record of an object the field may point to."""
        text = str(value)
        target = self.object_of(text) if ID_PATTERN.fullmatch(text) else None
        if target is None or target not in spec.reference_to:
            raise RecordError(
                "INVALID_CROSS_REFERENCE_KEY",
                f"invalid cross reference id: {spec.name} {text!r} is not a {'/'.join(spec.reference_to)} id",
                [spec.name],
            )
        if text in self.deleted.get(target, {}):
            raise RecordError(
                "ENTITY_IS_DELETED", f"entity is deleted: {spec.name} {text}", [spec.name]
            )  # D2
        if text not in self.records[target]:
            raise RecordError(
                "INVALID_CROSS_REFERENCE_KEY", f"invalid cross reference id: {spec.name} {text}", [spec.name]
            )

    # -- writes --------------------------------------------------------------------------------------
    def new_id(self, name: str) -> str:
        number = self._counters.get(name, 0) + 1
        self._counters[name] = number
        return f"{self.schema[name].prefix}{number:012d}AAA"

    def _stamped(
        self, name: str, record_id: str, data: dict[str, Any], user: str | None = None
    ) -> dict[str, Any]:
        stamp = sf_timestamp(self.clock())
        fields = self.schema[name].fields
        record: dict[str, Any] = {f: None for f in fields}
        for fname, spec in fields.items():
            if spec.type == "boolean":
                record[fname] = bool(spec.default) if spec.default is not None else False
            elif spec.default is not None and spec.defaulted:
                record[fname] = coerce(spec, spec.default)
        who = user or self.integration_user
        record.update(data)
        system = {
            "Id": record_id,
            "IsDeleted": False,
            "CreatedDate": stamp,
            "CreatedById": who,
            "LastModifiedDate": stamp,
            "LastModifiedById": who,
            "SystemModstamp": stamp,
        }
        record.update({k: v for k, v in system.items() if k in fields})
        if "OwnerId" in fields and not record.get("OwnerId"):
            record["OwnerId"] = who
        if "CurrencyIsoCode" in fields and not record.get("CurrencyIsoCode"):
            record["CurrencyIsoCode"] = self.shape.corporate_currency
        return record

    def insert(
        self, name: str, data: dict[str, Any], *, user: str | None = None, force: dict[str, Any] | None = None
    ) -> str:
        """Create a record as the API does; ``force`` sets read-only fields (the platform's own setup)."""
        with self.lock:
            obj = self.sobject(name)
            body = {k: v for k, v in data.items() if k != "attributes"}
            rules.before_check(self, name, body, None)
            values = check_write(self, obj, body, creating=True)
            record_id = self.new_id(name)
            record = self._stamped(name, record_id, values, user)
            record.update(force or {})
            for fname, spec in obj.fields.items():
                if spec.type == "string" and fname in rules.AUTONUMBERS.get(name, ()):
                    record[fname] = f"{self._counters[name]:08d}"
            self._unique(obj, record)
            rules.before_insert(self, name, record, values)
            self.records[name][record_id] = record
            rules.after_write(self, name, record, user)
            return record_id

    def update(self, name: str, record_id: str, data: dict[str, Any], *, user: str | None = None) -> None:
        with self.lock:
            obj = self.sobject(name)
            record = self.live(name, record_id)
            body = {k: v for k, v in data.items() if k != "attributes"}
            if body.get("Id", record_id) != record_id:
                raise RecordError(  # M2: Id is not updateable; the URL's (or the collection item's) Id rules
                    "INVALID_FIELD_FOR_INSERT_UPDATE", "Unable to create/update fields: Id.", ["Id"]
                )
            body.pop("Id", None)
            rules.before_check(self, name, body, record)
            values = check_write(self, obj, body, creating=False)
            rules.before_update(self, name, record, values)
            updated = {**record, **values}
            self._unique(obj, updated, record_id)
            stamp = sf_timestamp(self.clock())
            record.update(values)
            record.update(
                LastModifiedDate=stamp, SystemModstamp=stamp, LastModifiedById=user or self.integration_user
            )
            rules.after_write(self, name, record, user)

    def upsert(
        self, name: str, field_name: str, value: str, data: dict[str, Any], *, user: str | None = None
    ) -> tuple[str, bool]:
        """Create or update by an external id (U1, U2); returns (id, created)."""
        with self.lock:
            obj = self.sobject(name)
            spec = obj.fields.get(field_name)
            if spec is None or not (spec.external_id or spec.id_lookup):
                raise ApiError(
                    404,
                    "NOT_FOUND",
                    f"Provided external ID field does not exist or is not accessible: {field_name}",
                )
            matches = [rid for rid, rec in self.records[name].items() if rec.get(field_name) == value]
            if len(matches) > 1:
                raise RecordError(
                    "DUPLICATE_EXTERNAL_ID",
                    f"{field_name}: more than one record found for external id field: {matches}",
                    [field_name],
                    status=300,
                )
            body = {k: v for k, v in data.items() if k != "attributes"}
            if "Id" in body:
                raise RecordError("INVALID_FIELD", "Id is not allowed in an upsert body", ["Id"])
            if matches:
                body.pop(field_name, None)
                self.update(name, matches[0], body, user=user)
                return matches[0], False
            body[field_name] = value
            return self.insert(name, body, user=user), True

    def delete(self, name: str, record_id: str, *, user: str | None = None) -> None:
        with self.lock:
            record = self.live(name, record_id)
            rules.before_delete(self, name, record)
            self._remove(name, record, user)

    def _remove(self, name: str, record: dict[str, Any], user: str | None) -> None:
        record_id = record["Id"]
        for child, parent_field in rules.CASCADES.get(name, ()):
            for rec in [r for r in self.records[child].values() if r.get(parent_field) == record_id]:
                self._remove(child, rec, user)
        del self.records[name][record_id]
        now = self.clock()
        stamp = sf_timestamp(now)
        record.update(IsDeleted=True, SystemModstamp=stamp, LastModifiedById=user or self.integration_user)
        self.delete_log[name][record_id] = now
        if name not in HARD_DELETED:
            self.deleted[name][record_id] = record  # D1: the recycle bin, seen by queryAll
        rules.after_delete(self, name, record, user)

    def touch(self, name: str, record_id: str) -> None:
        """A roll-up or derived value changed: the platform moves SystemModstamp, not LastModified*."""
        record = self.records[name].get(record_id)
        if record is not None:
            record["SystemModstamp"] = sf_timestamp(self.clock())

    def _unique(self, obj: ObjectSpec, record: dict[str, Any], own_id: str | None = None) -> None:
        for spec in obj.fields.values():
            value = record.get(spec.name)
            if not spec.unique or value in (None, ""):
                continue
            for rid, other in self.records[obj.name].items():
                if rid != own_id and other.get(spec.name) == value:
                    raise RecordError(  # M9, U4
                        "DUPLICATE_VALUE",
                        f"duplicate value found: {spec.name} duplicates value on record with id: {rid}",
                        [spec.name],
                    )

    def purge_deleted(self, older_than: timedelta) -> None:
        """Empty the recycle bin and the delete log of deletions older than ``older_than``."""
        limit = self.clock() - older_than
        with self.lock:
            for name, log in self.delete_log.items():
                for record_id, when in list(log.items()):
                    if when < limit:
                        del log[record_id]
                        self.deleted[name].pop(record_id, None)
                        self.earliest_deleted = max(self.earliest_deleted, when)

    @contextmanager
    def all_or_none(self) -> Iterator[None]:
        """C4: keep the org as it was unless the block finishes."""
        with self.lock:
            saved = copy.deepcopy((self.records, self.deleted, self.delete_log, self._counters))
            try:
                yield
            except BaseException:
                self.records, self.deleted, self.delete_log, self._counters = saved
                raise

    # -- reads ---------------------------------------------------------------------------------------
    def live(self, name: str, record_id: str) -> dict[str, Any]:
        """A live record, or the errors a REST read gives (D2: deleted; G5/G6: unknown or malformed)."""
        self.sobject(name)
        record = self.records[name].get(record_id)
        if record is not None:
            return record
        if record_id in self.deleted[name] or record_id in self.delete_log[name]:
            raise RecordError("ENTITY_IS_DELETED", "entity is deleted", [], status=404)
        if not ID_PATTERN.fullmatch(record_id) or self.object_of(record_id) != name:
            raise RecordError("MALFORMED_ID", f"{name} ID: id value of incorrect type: {record_id}", ["Id"])
        raise RecordError("NOT_FOUND", "The requested resource does not exist", [], status=404)

    def get(self, name: str, record_id: str) -> dict[str, Any]:
        return self.live(name, record_id)

    def find(self, record_id: str) -> str | None:
        """The object name of a live record id."""
        name = self.object_of(record_id)
        return name if name is not None and record_id in self.records[name] else None

    def describe(self, name: str) -> dict[str, Any]:
        """The object's describe as this org answers it: the recording's envelope, this org's fields."""
        obj = self.sobject(name)
        envelope = {
            k: v for k, v in (obj.recorded or {}).items() if k not in ("fields", "childRelationships")
        }
        envelope.update(
            name=name,
            keyPrefix=obj.prefix,
            createable=True,
            updateable=True,
            deletable=True,
            queryable=True,
            fields=[f.describe() for f in obj.fields.values()],
            recordTypeInfos=list(obj.record_types),
        )
        envelope.setdefault("label", name)
        return envelope

    def system_fields(self) -> tuple[str, ...]:
        return _SYSTEM
