"""SyncHub's custom fields: the Module Loader package installs them, and V8 reads and writes them."""

from __future__ import annotations

import zipfile
from decimal import Decimal
from pathlib import Path

from connectors.suitecrm import SuiteCrmClient
from connectors.suitecrm.custom_fields import FIELDS, PACKAGE_ID, build_package
from connectors.suitecrm.values import format_decimal, parse_decimal
from synchub_dev.peers.suitecrm import SuiteCrmInstance


def test_package_is_byte_for_byte_reproducible(tmp_path: Path) -> None:
    first = build_package(tmp_path / "a.zip").read_bytes()
    second = build_package(tmp_path / "b.zip").read_bytes()
    assert first == second
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        names = archive.namelist()
        manifest = archive.read("manifest.php").decode()
    assert "manifest.php" in names and "language/application/en_us.lang.php" in names
    for f in FIELDS:
        assert f"'name' => '{f.name}'" in manifest


def test_installed_fields_are_known_to_the_api_with_their_types(
    suitecrm: SuiteCrmInstance, client: SuiteCrmClient
) -> None:
    for module in sorted({f.module for f in FIELDS}):
        defs = client.field_definitions(module)
        for f in (f for f in FIELDS if f.module == module):
            assert defs[f.name]["source"] == "custom_fields", f.name
            assert defs[f.name]["type"] == f.type, f.name
    history = suitecrm.sql(f"SELECT status FROM upgrade_history WHERE id_name='{PACKAGE_ID}'")
    assert history == [["installed"]]


def test_custom_fields_read_and_write_through_v8(suitecrm: SuiteCrmInstance, client: SuiteCrmClient) -> None:
    account = client.create(
        "Accounts",
        {
            "name": "Custom field customer",
            "synchub_credit_limit_c": format_decimal(Decimal("5000.25")),
            "synchub_payment_terms_c": "30 days net",
            "synchub_tax_id_c": "DE123456789",
        },
    )
    fields = ["synchub_credit_limit_c", "synchub_payment_terms_c", "synchub_tax_id_c"]
    read = client.get("Accounts", account.id, fields=fields).attributes
    assert parse_decimal(read["synchub_credit_limit_c"]) == Decimal("5000.25")
    assert read["synchub_payment_terms_c"] == "30 days net"
    assert suitecrm.sql(f"SELECT synchub_tax_id_c FROM accounts_cstm WHERE id_c='{account.id}'") == [
        ["DE123456789"]
    ]

    quote = client.create("AOS_Quotes", {"name": "Accepted", "stage": "Closed Accepted"})
    client.update(
        "AOS_Quotes",
        quote.id,
        {"synchub_order_number_c": "SO-0042", "synchub_order_status_c": "processing"},
    )
    back = client.get("AOS_Quotes", quote.id, fields=["synchub_order_number_c", "synchub_order_status_c"])
    assert back.attributes == {"synchub_order_number_c": "SO-0042", "synchub_order_status_c": "processing"}

    client.update("Accounts", account.id, {"synchub_credit_limit_c": ""})
    cleared = client.get("Accounts", account.id, fields=["synchub_credit_limit_c"])
    assert cleared.attributes["synchub_credit_limit_c"] == ""


def test_reset_keeps_the_fields_and_drops_their_data(
    suitecrm: SuiteCrmInstance, client: SuiteCrmClient
) -> None:
    quote = client.create("AOS_Quotes", {"name": "Q", "synchub_order_number_c": "SO-1"})
    assert suitecrm.sql("SELECT COUNT(*) FROM aos_quotes_cstm") == [["1"]]
    suitecrm.reset()
    assert suitecrm.sql("SELECT COUNT(*) FROM aos_quotes_cstm") == [["0"]]
    assert suitecrm.sql(f"SELECT COUNT(*) FROM aos_quotes WHERE id='{quote.id}'") == [["0"]]
    names = {row[0] for row in suitecrm.sql("SELECT name FROM fields_meta_data WHERE name LIKE 'synchub%'")}
    assert names == {f.name for f in FIELDS}
