"""Links to records in BottleCRM's web app (a site of its own, named by the ``web_url`` option)."""

from __future__ import annotations

from connectors.base import ConnectionSettings
from connectors.bottlecrm import BottleCrmConnector

URI = "bottlecrm://:bcrm_pat_x@crm-api.internal:8001/?scheme=https"


def test_accounts_cases_and_products_link_to_their_pages_in_the_web_app() -> None:
    crm = BottleCrmConnector(ConnectionSettings.from_uri(URI), {"web_url": "https://crm.example.com/"})
    assert crm.record_url("customer", "4f2a-9") == "https://crm.example.com/accounts/4f2a-9"
    assert crm.record_url("complaint", "c/1") == "https://crm.example.com/cases/c%2F1"
    assert crm.record_url("product_cost", "p1") == "https://crm.example.com/invoices/products/p1/edit"
    assert crm.record_url("sales_order", "e1") is None  # estimates have no page of their own


def test_without_a_web_app_address_there_are_no_links() -> None:
    assert BottleCrmConnector(ConnectionSettings.from_uri(URI)).record_url("customer", "a1") is None
    from_extra = BottleCrmConnector(ConnectionSettings.from_uri(URI + "&web_url=http://crm.local:5173"))
    assert from_extra.record_url("customer", "a1") == "http://crm.local:5173/accounts/a1"
