"""Links to records in the Tryton web client (sao opens ``#<database>/model/<model>/<id>``)."""

from __future__ import annotations

from connectors.base import ConnectionSettings
from connectors.tryton import TrytonConnector


def connector(uri: str, **options: object) -> TrytonConnector:
    return TrytonConnector(ConnectionSettings.from_uri(uri), options)


def test_records_link_to_their_model_form_in_the_web_client_of_the_server() -> None:
    erp = connector("tryton://admin:secret@erp.internal:8000/sales%20db?scheme=https")
    assert erp.record_url("customer", "12") == "https://erp.internal:8000/#sales%20db/model/party.party/12"
    assert erp.record_url("sales_order", "7") == "https://erp.internal:8000/#sales%20db/model/sale.sale/7"
    assert (
        erp.record_url("product_cost", "3") == "https://erp.internal:8000/#sales%20db/model/product.product/3"
    )
    assert erp.record_url("complaint", "4") == "https://erp.internal:8000/#sales%20db/model/sale.complaint/4"


def test_a_separate_web_client_address_and_odd_ids() -> None:
    erp = connector("tryton://admin:secret@10.0.0.5:8000/prod", web_url="https://tryton.example.com/")
    assert erp.record_url("product", "9") == "https://tryton.example.com/#prod/model/product.product/9"
    assert erp.record_url("product", "9; drop") is None  # not an id Tryton could have
    assert erp.record_url("invoice", "9") is None  # an entity the connector does not serve
