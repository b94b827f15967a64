"""What this org has: its objects' fields, read once per connector (one connector per run).

Orgs differ: ``CurrencyIsoCode`` exists only with multi-currency, ``BillingCountryCode`` only with
State/Country picklists, ``IsPersonAccount`` only with Person Accounts. The connector selects only
fields that exist and writes the ``*Code`` fields where the org has them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connectors.base import PermanentError

__all__ = ["OrgSchema"]

Describe = Callable[[str], dict[str, Any]]


class OrgSchema:
    def __init__(self, describe: Describe, currency: str | None = None) -> None:
        self._describe = describe
        self._bodies: dict[str, dict[str, Any]] = {}
        self._currency = currency

    def body(self, sobject: str) -> dict[str, Any]:
        if sobject not in self._bodies:
            self._bodies[sobject] = self._describe(sobject)
        return self._bodies[sobject]

    def fields(self, sobject: str) -> dict[str, dict[str, Any]]:
        return {f["name"]: f for f in self.body(sobject).get("fields", [])}

    def has(self, sobject: str, field: str) -> bool:
        return field in self.fields(sobject)

    def existing(self, sobject: str, names: list[str] | tuple[str, ...]) -> list[str]:
        """``names`` that the org's ``sobject`` has, in order, without repeats."""
        have = self.fields(sobject)
        return [n for n in dict.fromkeys(names) if n in have]

    @property
    def multi_currency(self) -> bool:
        return self.has("Account", "CurrencyIsoCode")

    @property
    def state_picklists(self) -> bool:
        return self.has("Account", "BillingCountryCode")

    @property
    def person_accounts(self) -> bool:
        return self.has("Account", "IsPersonAccount")

    def org_currency(self) -> str:
        """The single currency of an org without multi-currency (the connection's ``currency``)."""
        if not self._currency:
            raise PermanentError(
                "salesforce: this org has no multi-currency (no CurrencyIsoCode field), so SyncHub cannot "
                "read its currency from records; set the connection extra 'currency' to the org's "
                "currency, e.g. ?currency=EUR"
            )
        return self._currency

    def business_record_type(self) -> str | None:
        """On Person Account orgs: the record type SyncHub's new (business) accounts get."""
        if not self.person_accounts:
            return None
        infos = [
            r
            for r in self.body("Account").get("recordTypeInfos", [])
            if r.get("available") and not r.get("master") and r.get("developerName") != "PersonAccount"
        ]
        if not infos:
            raise PermanentError(
                "salesforce: this Person Account org offers the integration user no business account record "
                "type; make one available to its profile"
            )
        infos.sort(key=lambda r: not r.get("defaultRecordTypeMapping"))
        return str(infos[0]["recordTypeId"])

    def picklist(self, sobject: str, field: str) -> list[str]:
        info = self.fields(sobject).get(field) or {}
        return [p["value"] for p in info.get("picklistValues") or [] if p.get("active", True)]
