"""Product costs: custom fields on the product's own Product2 (``SyncHub_Cost__c``, method, date).

A cost is not a record of its own in Salesforce: "creating" one fills the cost fields of the product
the native record names (``Id``) and stamps ``SyncHub_Cost_Id__c`` with the cost's SyncHub id; a
create whose SyncHub id a product already carries goes to that product (a create retried after a
crash). Deleting a cost clears those fields and never deletes the product; so the org reports no
tombstone for it, and deletions are found by comparing ids (``deletes_reported`` is off).
Per-order actual costs are not stored in Salesforce.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from connectors.base import WriteRequest, WriteResult
from connectors.salesforce.batches import COLLECTION_SIZE, Outcome, send_records
from connectors.salesforce.entity import Items, SObjectEntity
from connectors.salesforce.soql import quote

__all__ = ["ProductCosts"]


class ProductCosts(SObjectEntity):
    name = "product_cost"
    native = "Product2"
    fields = ("SyncHub_Cost__c", "SyncHub_Cost_Method__c", "SyncHub_Cost_Date__c")
    external_id = "SyncHub_Cost_Id__c"
    where = "SyncHub_Cost__c != null"
    deletes_reported = False

    def prepare(
        self, upserts: Items, updates: Items
    ) -> tuple[Items, Items, dict[int, dict[str, Any]], dict[int, WriteResult]]:
        holders = self._holders([r.ref for _, r in upserts])
        refused: dict[int, WriteResult] = {}
        moved: Items = []
        for index, request in upserts:
            target = holders.get(request.ref) or request.data.get("Id")
            if not target:
                refused[index] = self.refused(
                    request,
                    "a product cost needs its product's Salesforce id (field Id); fix: sync the product "
                    "(products flow) first",
                    "Id",
                )
                continue
            moved.append((index, replace(request, id=str(target))))
        return [], [*updates, *moved], {}, refused

    def _holders(self, refs: list[str]) -> dict[str, str]:
        """Cost SyncHub id -> the product that already carries it."""
        found: dict[str, str] = {}
        for start in range(0, len(refs), COLLECTION_SIZE):
            chunk = refs[start : start + COLLECTION_SIZE]
            if not chunk:
                continue
            soql = (
                f"SELECT Id, {self.external_id} FROM {self.native} "
                f"WHERE {self.external_id} IN ({', '.join(quote(r) for r in chunk)})"
            )
            rows = self.client.query_all("finding product costs written before", soql)
            found.update((r[self.external_id], r["Id"]) for r in rows)
        return found

    def delete_requests(self, deletes: Items) -> dict[int, WriteResult]:
        cleared = [{"Id": r.id, **dict.fromkeys((*self.fields, self.external_id))} for _, r in deletes]
        outcomes = send_records(
            self.client, "clearing product costs", "composite/sobjects", "PATCH", self.native, cleared
        )
        out: dict[int, WriteResult] = {}
        for (index, request), outcome in zip(deletes, outcomes, strict=True):
            if outcome.code == "ENTITY_IS_DELETED":  # the product is gone, and its cost with it
                outcome = Outcome(True, request.id)
            out[index] = self.result(request, outcome)
        return out

    def row(self, request: WriteRequest, mode: str) -> dict[str, Any]:
        return super().row(request, "update")
