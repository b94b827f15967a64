"""Links to records in the SAP Fiori launchpad (intent-based navigation)."""

from __future__ import annotations

from connectors.base import ConnectionSettings
from connectors.sap_s4hana import SapS4HanaConnector

URI = "sap-s4hana://USER:secret@my-s4.example.com:443"


def test_records_link_to_their_objects_display_intent_in_the_launchpad() -> None:
    sap = SapS4HanaConnector(ConnectionSettings.from_uri(URI))
    flp = "https://my-s4.example.com:443/sap/bc/ui2/flp"
    assert sap.record_url("sales_order", "4711") == f"{flp}#SalesOrder-displayFactSheet?SalesOrder=4711"
    assert sap.record_url("customer", "17100001") == (
        f"{flp}#BusinessPartner-displayFactSheet?BusinessPartner=17100001"
    )
    # a many-key record names its product in the intent; odd characters are escaped
    cost = "Product='TG 11',ValuationArea='1010',ValuationType=''"
    assert sap.record_url("product_cost", cost) == f"{flp}#Product-displayFactSheet?Product=TG+11"
    assert sap.record_url("product_cost", "not a key") is None


def test_the_launchpad_address_and_intents_can_be_set() -> None:
    sap = SapS4HanaConnector(
        ConnectionSettings.from_uri(URI),
        {
            "fiori_url": "https://launchpad.example.com/ui",
            "fiori_intents": {"customer": "BusinessPartner-manage"},
        },
    )
    assert (
        sap.record_url("customer", "C1")
        == "https://launchpad.example.com/ui#BusinessPartner-manage?BusinessPartner=C1"
    )
    assert sap.record_url("quote", "1") is None  # SAP holds no quotes for SyncHub
