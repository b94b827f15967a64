"""Customers: business partners (API_BUSINESS_PARTNER, A_BusinessPartner) in a customer role.

A new partner is created in one deep insert with what SAP needs before it can sell to it: the
customer roles (FLCU00 company code, FLCU01 sales), the grouping, the company code data and the
sales area data of the connection settings. ``A_Customer`` is not creatable on its own: SAP creates
the customer when a customer role is added.

Business partners declare no ETag, so SAP offers no optimistic locking for them: before an update
the connector compares the partner's change date/time with what it read and reports a concurrent
change instead of overwriting it (a check-then-write; a change in the same second can slip by).
Their change date/time and creation date/time are the SAP system's local time (``timezone``).
Partners cannot be deleted (``sap:deletable=false``); ``deletes: archive`` blocks them instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from connectors.base import WriteRequest
from connectors.sap_s4hana.entities.base import Nav, SapEntity, Stream
from connectors.sap_s4hana.stamps import LocalMoment

__all__ = ["Customer"]

BP = "API_BUSINESS_PARTNER"
ADDRESS = ("AddressID", "StreetName", "PostalCode", "CityName", "Region", "Country")


class Customer(SapEntity):
    name = "customer"
    service = BP
    entity_set = "A_BusinessPartner"
    key = ("BusinessPartner",)
    fields = (
        "BusinessPartner",
        "BusinessPartnerCategory",
        "BusinessPartnerGrouping",
        "OrganizationBPName1",
        "LegalForm",
        "BusinessPartnerIsBlocked",
        "CreationDate",
        "CreationTime",
        "LastChangeDate",
        "LastChangeTime",
    )
    expand: ClassVar[Mapping[str, Nav]] = {
        "to_Customer": Nav(("Customer", "VATRegistration")),
        "to_BusinessPartnerAddress": Nav(ADDRESS),
    }
    filtered = ("Customer",)
    change_stamp = ("LastChangeDate", "LastChangeTime")
    archive_hint = " (a deleted customer becomes a blocked business partner: BusinessPartnerIsBlocked)"

    def streams(self) -> list[Stream]:
        # SAP leaves the change date/time empty until the first change: never-changed partners are
        # found by their creation date/time.
        return [
            Stream("LastChangeDate ne null", LocalMoment("LastChangeDate", "LastChangeTime")),
            Stream("LastChangeDate eq null", LocalMoment("CreationDate", "CreationTime")),
        ]

    def scope(self) -> str:
        return "Customer gt ''"  # partners that are customers (the number is empty, or null, otherwise)

    def create(self, request: WriteRequest) -> str:
        s = self.settings
        body = dict(request.data)
        customer = {k: v for k, v in (body.pop("to_Customer", None) or {}).items() if k != "Customer"}
        if "FLCU00" in s.customer_roles:
            company: dict[str, Any] = {"CompanyCode": s.company_code}
            if s.reconciliation_account:
                company["ReconciliationAccount"] = s.reconciliation_account
            customer["to_CustomerCompany"] = [company]
        if "FLCU01" in s.customer_roles:
            customer["to_CustomerSalesArea"] = [
                {
                    "SalesOrganization": s.sales_organization,
                    "DistributionChannel": s.distribution_channel,
                    "Division": s.division,
                    "Currency": s.sales_area_currency,
                }
            ]
        body["to_BusinessPartnerRole"] = [{"BusinessPartnerRole": role} for role in s.customer_roles]
        body["to_Customer"] = customer
        if s.bp_grouping and not body.get("BusinessPartnerGrouping"):
            body["BusinessPartnerGrouping"] = s.bp_grouping
        return self.id_of(self.api.create(self.service, self.entity_set, body))

    def update(self, record_id: str, data: Mapping[str, Any]) -> str:
        super().update(record_id, data)
        customer = {k: v for k, v in (data.get("to_Customer") or {}).items() if k != "Customer"}
        if customer:
            self._ensure_roles(record_id)
            self.api.update(BP, "A_Customer", {"Customer": record_id}, customer, None)
        if data.get("to_BusinessPartnerAddress") is not None:
            self._update_addresses(record_id, data["to_BusinessPartnerAddress"])
        return record_id

    def _ensure_roles(self, partner: str) -> None:
        """A partner without its customer roles gets them (SAP then creates its customer)."""
        current = self.api.get(
            BP, self.entity_set, {"BusinessPartner": partner}, expand="to_BusinessPartnerRole"
        )
        held = {
            r.BusinessPartnerRole for r in (current.to_BusinessPartnerRole if current is not None else [])
        }
        for role in self.settings.customer_roles:
            if role not in held:
                self.api.create(
                    BP, "A_BusinessPartnerRole", {"BusinessPartner": partner, "BusinessPartnerRole": role}
                )

    def _update_addresses(self, partner: str, addresses: list[Mapping[str, Any]]) -> None:
        """Addresses in order: the n-th replaces SAP's n-th, extra ones are added."""
        current = self.api.get(
            BP, self.entity_set, {"BusinessPartner": partner}, expand="to_BusinessPartnerAddress"
        )
        existing = [a.AddressID for a in (current.to_BusinessPartnerAddress if current is not None else [])]
        for i, address in enumerate(addresses):
            values = {k: v for k, v in address.items() if k not in ("AddressID", "BusinessPartner")}
            if i < len(existing):
                key = {"BusinessPartner": partner, "AddressID": existing[i]}
                self.api.update(BP, "A_BusinessPartnerAddress", key, values, None)
            else:
                self.api.create(BP, "A_BusinessPartnerAddress", {"BusinessPartner": partner, **values})
