"""The data of one emulated Salesforce org: objects, records, the delete log, the clock, API usage.

Only the fields SyncHub uses exist (plus the documented custom fields); writing an unknown field is
an ``INVALID_FIELD`` error, a missing required one ``REQUIRED_FIELD_MISSING``, as on Salesforce.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = ["SCHEMA", "ApiError", "Org", "RecordError", "sf_timestamp"]


def sf_timestamp(when: datetime) -> str:
    """Salesforce's JSON form of a dateTime: ``2026-01-31T12:00:00.000+0000``.

    dateTime fields keep whole seconds (the milliseconds always read .000), so many records changed
    within one second share one ``SystemModstamp``: that is what the compound cursor is for.
    """
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


@dataclass(frozen=True)
class SObjectType:
    prefix: str
    fields: frozenset[str]
    required: frozenset[str] = frozenset()
    read_only: frozenset[str] = frozenset()
    external_ids: frozenset[str] = frozenset({"SyncHub_Id__c"})
    autonumber: str | None = None


_SYSTEM = frozenset(
    {"Id", "IsDeleted", "CreatedDate", "LastModifiedDate", "SystemModstamp", "LastModifiedById"}
)


def _type(prefix: str, fields: str, required: str = "", read_only: str = "", **kw: Any) -> SObjectType:
    names = frozenset(fields.split()) | _SYSTEM | {"SyncHub_Id__c"}
    return SObjectType(
        prefix, names, frozenset(required.split()), frozenset(read_only.split()) | _SYSTEM, **kw
    )


_ADDRESS = " ".join(
    f"{kind}{part}"
    for kind in ("Billing", "Shipping")
    for part in ("Street", "City", "PostalCode", "State", "Country")
)
SCHEMA: dict[str, SObjectType] = {
    "Account": _type(
        "001",
        f"Name AccountNumber Phone Website Type CurrencyIsoCode {_ADDRESS} SyncHub_Tax_Id__c "
        "SyncHub_Legal_Form__c SyncHub_Credit_Limit__c SyncHub_Payment_Terms__c SyncHub_Active__c",
        "Name",
    ),
    "Contact": _type("003", "AccountId FirstName LastName Email Phone Title", "LastName"),
    "Product2": _type(
        "01t",
        "Name ProductCode Description IsActive QuantityUnitOfMeasure CurrencyIsoCode SyncHub_Cost__c "
        "SyncHub_Cost_Method__c SyncHub_Cost_Date__c SyncHub_Cost_Id__c",
        "Name",
        external_ids=frozenset({"SyncHub_Id__c", "SyncHub_Cost_Id__c"}),
    ),
    "Pricebook2": _type("01s", "Name IsActive IsStandard", "Name", "IsStandard"),
    "PricebookEntry": _type(
        "01u",
        "Pricebook2Id Product2Id UnitPrice IsActive CurrencyIsoCode",
        "Pricebook2Id Product2Id UnitPrice",
    ),
    "Quote": _type(
        "0Q0",
        "Name QuoteNumber Status ExpirationDate AccountId OpportunityId Pricebook2Id GrandTotal "
        "CurrencyIsoCode",
        "Name",
        "QuoteNumber GrandTotal",
        autonumber="QuoteNumber",
    ),
    "QuoteLineItem": _type(
        "0QL",
        "QuoteId Product2Id PricebookEntryId Description Quantity UnitPrice Discount",
        "QuoteId Quantity UnitPrice",
    ),
    "Order": _type(
        "801",
        "OrderNumber AccountId QuoteId Pricebook2Id Status EffectiveDate TotalAmount CurrencyIsoCode "
        "SyncHub_Quote_Number__c SyncHub_Delivery_Status__c SyncHub_Invoice_Status__c",
        "AccountId Status EffectiveDate",
        "OrderNumber TotalAmount",
        autonumber="OrderNumber",
    ),
    "OrderItem": _type(
        "802",
        "OrderId Product2Id PricebookEntryId Description Quantity UnitPrice SyncHub_Delivered_Quantity__c",
        "OrderId Quantity UnitPrice",
    ),
    "Case": _type(
        "500",
        "CaseNumber Subject Description Status Priority AccountId SyncHub_Order__c SyncHub_Order_Number__c "
        "SyncHub_Resolution__c",
        "",
        "CaseNumber",
        autonumber="CaseNumber",
    ),
    "User": _type("005", "Name Username", "Name"),
}


class ApiError(Exception):
    """A whole request fails: rendered as ``[{"message", "errorCode", "fields"}]`` with ``status``."""

    def __init__(self, status: int, code: str, message: str, fields: list[str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or []

    def body(self) -> list[dict[str, Any]]:
        return [{"message": self.message, "errorCode": self.code, "fields": self.fields}]


class RecordError(Exception):
    """One record of a collection or bulk job fails; the others go on."""

    def __init__(self, code: str, message: str, fields: list[str] | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.fields = code, message, fields or []

    def as_result(self) -> dict[str, Any]:
        return {"statusCode": self.code, "message": self.message, "fields": self.fields}


@dataclass
class Org:
    """Records by object and id; every write stamps ``SystemModstamp`` from ``clock``."""

    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    api_limit: int = 15000
    api_used: int = 0
    integration_user: str = "005000000000000001"
    records: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    deleted: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    _counters: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in SCHEMA:
            self.records.setdefault(name, {})
            self.deleted.setdefault(name, {})
        self.records["User"][self.integration_user] = self._system_fields(
            "User", self.integration_user, {"Name": "SyncHub Integration", "Username": "synchub@example.com"}
        )
        self.standard_pricebook = self.insert(
            "Pricebook2", {"Name": "Standard Price Book", "IsActive": True}, force={"IsStandard": True}
        )

    # -- schema checks ---------------------------------------------------------------------------
    def sobject(self, name: str) -> SObjectType:
        try:
            return SCHEMA[name]
        except KeyError:
            raise ApiError(
                404, "NOT_FOUND", f"The requested resource does not exist: sObject type '{name}'"
            ) from None

    def check_fields(self, name: str, data: dict[str, Any], *, creating: bool) -> None:
        kind = self.sobject(name)
        for key in data:
            if key not in kind.fields:
                raise RecordError("INVALID_FIELD", f"No such column '{key}' on sobject of type {name}", [key])
            if key in kind.read_only:
                raise RecordError(
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                    f"Unable to create/update fields: {key}. Check the security settings of this field.",
                    [key],
                )
        if creating:
            missing = sorted(f for f in kind.required if data.get(f) in (None, ""))
        else:
            missing = sorted(f for f in kind.required if f in data and data[f] in (None, ""))
        if missing:
            raise RecordError(
                "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]", missing
            )

    # -- writes ------------------------------------------------------------------------------------
    def new_id(self, name: str) -> str:
        number = self._counters.get(name, 0) + 1
        self._counters[name] = number
        return f"{SCHEMA[name].prefix}{number:015d}"

    def _system_fields(self, name: str, record_id: str, data: dict[str, Any]) -> dict[str, Any]:
        stamp = sf_timestamp(self.clock())
        return {
            **data,
            "Id": record_id,
            "IsDeleted": False,
            "CreatedDate": stamp,
            "LastModifiedDate": stamp,
            "SystemModstamp": stamp,
            "LastModifiedById": self.integration_user,
        }

    def insert(
        self, name: str, data: dict[str, Any], *, user: str | None = None, force: dict[str, Any] | None = None
    ) -> str:
        """Create a record (checked like the API does); ``force`` sets read-only fields (setup data)."""
        with self.lock:
            self.check_fields(name, data, creating=True)
            kind = SCHEMA[name]
            entry = self.records["PricebookEntry"].get(str(data.get("PricebookEntryId")))
            if entry is not None and "Product2Id" in kind.fields:
                # Line items take their product from the price book entry, as on Salesforce.
                data = {**data, "Product2Id": entry["Product2Id"]}
            record_id = self.new_id(name)
            record = self._system_fields(
                name, record_id, {f: None for f in kind.fields} | data | (force or {})
            )
            if kind.autonumber:
                record[kind.autonumber] = f"{self._counters[name]:08d}"
            record["LastModifiedById"] = user or self.integration_user
            self.records[name][record_id] = record
            return record_id

    def update(self, name: str, record_id: str, data: dict[str, Any], *, user: str | None = None) -> None:
        with self.lock:
            record = self.get(name, record_id)
            self.check_fields(name, data, creating=False)
            stamp = sf_timestamp(self.clock())
            record.update(data)
            record.update(
                LastModifiedDate=stamp, SystemModstamp=stamp, LastModifiedById=user or self.integration_user
            )

    def upsert(
        self, name: str, field_name: str, value: str, data: dict[str, Any], *, user: str | None = None
    ) -> tuple[str, bool]:
        """Create or update by external id; returns (id, created). Several matches -> 300."""
        with self.lock:
            kind = self.sobject(name)
            if field_name not in kind.external_ids:
                raise RecordError(
                    "INVALID_FIELD",
                    f"Field {field_name} is not an External ID or Id field of {name}",
                    [field_name],
                )
            matches = [rid for rid, rec in self.records[name].items() if rec.get(field_name) == value]
            if len(matches) > 1:
                raise RecordError(
                    "DUPLICATE_EXTERNAL_ID",
                    f"{field_name}: more than one record found for external id",
                    [field_name],
                )
            body = {k: v for k, v in data.items() if k != "attributes"}
            if body.get(field_name, value) != value:
                raise RecordError(
                    "INVALID_FIELD", f"{field_name} in the body differs from the URL", [field_name]
                )
            body[field_name] = value
            if matches:
                self.update(name, matches[0], body, user=user)
                return matches[0], False
            return self.insert(name, body, user=user), True

    def delete(self, name: str, record_id: str) -> None:
        with self.lock:
            self.sobject(name)
            record = self.records[name].pop(record_id, None)
            if record is None:
                raise RecordError("ENTITY_IS_DELETED", "entity is deleted", [])
            stamp = sf_timestamp(self.clock())
            record.update(IsDeleted=True, SystemModstamp=stamp, LastModifiedDate=stamp)
            self.deleted[name][record_id] = record

    def purge_deleted(self, older_than: timedelta) -> None:
        """Empty the recycle bin of deletions older than ``older_than`` (as Salesforce does after 15 days)."""
        from .soql import parse_datetime

        limit = self.clock() - older_than
        with self.lock:
            for bin_ in self.deleted.values():
                for record_id in [
                    r for r, rec in bin_.items() if parse_datetime(rec["SystemModstamp"]) < limit
                ]:
                    del bin_[record_id]

    # -- reads -------------------------------------------------------------------------------------
    def get(self, name: str, record_id: str) -> dict[str, Any]:
        self.sobject(name)
        record = self.records[name].get(record_id)
        if record is None:
            raise ApiError(404, "NOT_FOUND", f"The requested resource does not exist: {name} {record_id}")
        return record

    def find(self, record_id: str) -> str | None:
        """The object name of a live record id, from its key prefix."""
        for sobject, kind in SCHEMA.items():
            if record_id.startswith(kind.prefix) and record_id in self.records[sobject]:
                return sobject
        return None
