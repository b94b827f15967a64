"""Complaints: Cases (their ``Status`` values Resolved and Rejected are the org's setup, see the docs)."""

from __future__ import annotations

from connectors.salesforce.entity import SObjectEntity

__all__ = ["Complaints"]


class Complaints(SObjectEntity):
    name = "complaint"
    native = "Case"
    fields = (
        "Subject",
        "Description",
        "Status",
        "Priority",
        "AccountId",
        "SyncHub_Order__c",
        "SyncHub_Order_Number__c",
        "SyncHub_Resolution__c",
    )
    read_only = ("CaseNumber", "CreatedDate")
