"""What a compiled mapping does to records, in both directions, and how it fails."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from sync_engine.mapping import MappingError, UnresolvedReference, load_mapping, register_hook
from sync_engine.mapping.hooks import unregister_hook
from sync_engine.model import to_canonical_dict, validate_canonical

from .helpers import Links, mapping_from

SHIPPED = Path(__file__).parent.parent.parent / "mappings"

QUOTE = {
    "id": "Q-7",
    "ref_no": "AN-7",
    "customer_ref": "C-1",
    "state": "A",
    "currency": "EUR",
    "valid_to": "31.03.2026",
    "items": [
        {"product_ref": "P-1", "text": "Pump", "qty": "2", "price": "120.00", "discount": "5"},
        {"product_ref": "P-2", "text": "Hose", "qty": "1.5", "price": "9.90", "discount": None},
    ],
    "amount_total": "254.85",
}
LINKS = {("customer", "C-1"): "cust-1", ("product", "P-1"): "prod-1", ("product", "P-2"): "prod-2"}


def test_quote_maps_codes_dates_money_and_references_to_a_valid_canonical_record() -> None:
    mapping = load_mapping(SHIPPED, "memory", "quote")
    canonical = mapping.to_canonical(QUOTE, Links(links=LINKS))
    assert canonical["customer_id"] == "cust-1"
    assert canonical["status"] == "accepted"
    assert canonical["valid_until"] == date(2026, 3, 31)
    assert canonical["lines"][0]["unit_price"] == {"amount": Decimal("120.00"), "currency": "EUR"}
    assert canonical["lines"][1]["product_id"] == "prod-2"
    assert canonical["lines"][1]["discount_percent"] == "0"  # the rule's default for a missing discount
    validate_canonical("quote", canonical)


def test_quote_written_back_gives_native_field_names_and_formats() -> None:
    mapping = load_mapping(SHIPPED, "memory", "quote")
    links = Links(links=LINKS)
    canonical = to_canonical_dict(validate_canonical("quote", mapping.to_canonical(QUOTE, links)))
    native = mapping.to_native(canonical, links)
    assert native["valid_to"] == "31.03.2026"
    assert native["state"] == "A"
    assert native["customer_ref"] == "C-1"
    assert native["items"][0] == {
        "product_ref": "P-1",
        "text": "Pump",
        "qty": "2",
        "price": "120.00",
        "discount": "5",
    }


def test_unlinked_reference_reading_names_entity_system_and_external_id() -> None:
    mapping = load_mapping(SHIPPED, "memory", "quote")
    with pytest.raises(UnresolvedReference) as caught:
        mapping.to_canonical(QUOTE, Links(system="crm", links={("customer", "C-1"): "cust-1"}))
    error = caught.value
    assert (error.entity, error.system, error.external_id) == ("product", "crm", "P-1")
    assert error.field == "lines[0].product_id"
    assert error.native_field == "items[0].product_ref"
    assert "sync the product first" in str(error)


def test_unlinked_reference_writing_names_the_canonical_id() -> None:
    mapping = load_mapping(SHIPPED, "memory", "complaint")
    canonical = {"customer_id": "cust-9", "subject": "Broken", "status": "new", "priority": "low"}
    with pytest.raises(UnresolvedReference) as caught:
        mapping.to_native(canonical, Links(system="crm"))
    assert (caught.value.entity, caught.value.canonical_id, caught.value.field) == (
        "customer",
        "cust-9",
        "customer_id",
    )


def test_unknown_code_without_default_fails_naming_field_native_field_value_and_fix() -> None:
    mapping = load_mapping(SHIPPED, "memory", "quote")
    with pytest.raises(MappingError) as caught:
        mapping.to_canonical({**QUOTE, "state": "X"}, Links(links=LINKS))
    error = caught.value
    assert (error.field, error.native_field, error.value) == ("status", "state", "X")
    text = str(error)
    assert "canonical field 'status' (native field 'state')" in text
    assert "'X' is not in the value map" in text
    assert "fix: add it under `map.values`" in text
    assert "mappings/memory/quote.yaml" in text


def test_bad_value_inside_a_list_item_names_the_item() -> None:
    mapping = load_mapping(SHIPPED, "memory", "quote")
    items = [QUOTE["items"][0], {**QUOTE["items"][1], "qty": "one and a half"}]
    with pytest.raises(MappingError) as caught:
        mapping.to_canonical({**QUOTE, "items": items}, Links(links=LINKS))
    assert caught.value.field == "lines[1].quantity"
    assert caught.value.native_field == "items[1].qty"
    assert "'one and a half' is not a decimal number" in str(caught.value)


def test_nested_path_through_a_non_record_is_a_mapping_error() -> None:
    mapping = load_mapping(SHIPPED, "memory", "customer")
    with pytest.raises(MappingError) as caught:
        mapping.to_canonical({"company": "ACME", "addresses": [], "people": []})
    assert caught.value.field == "name"
    assert "not a nested record" in caught.value.reason


def test_unknown_code_with_default_takes_the_default() -> None:
    mapping = load_mapping(SHIPPED, "memory", "complaint")
    native = {"customer_ref": "C-1", "subject": "Late", "status": 2, "prio": 7, "reported": None}
    canonical = mapping.to_canonical(native, Links(links=LINKS))
    assert (canonical["status"], canonical["priority"]) == ("open", "medium")


def test_local_time_without_offset_becomes_utc_and_goes_back_to_local() -> None:
    mapping = load_mapping(SHIPPED, "memory", "complaint")
    native = {
        "customer_ref": "C-1",
        "subject": "Late",
        "status": 1,
        "prio": 1,
        "reported": "2026-07-01 14:30:00",
    }
    canonical = mapping.to_canonical(native, Links(links=LINKS))
    assert canonical["reported_at"] == datetime(2026, 7, 1, 12, 30, tzinfo=UTC)
    back = mapping.to_native(
        to_canonical_dict(validate_canonical("complaint", canonical)), Links(links=LINKS)
    )
    assert back["reported"] == "2026-07-01 14:30:00"


def test_to_native_with_fields_writes_only_those_fields() -> None:
    mapping = load_mapping(SHIPPED, "memory", "customer")
    canonical = {"name": "ACME", "tax_id": "DE1", "active": False, "addresses": [], "contacts": []}
    assert mapping.to_native(canonical, fields={"name", "active"}) == {
        "company": {"name": "ACME"},
        "status": "I",
    }


def test_split_fields_join_back_and_templates_split_back() -> None:
    mapping = load_mapping(SHIPPED, "memory", "customer")
    address = {
        "type": "INV",
        "street_lines": "Hauptstr. 1\nHof\nLinks",
        "zip": "1",
        "city": "B",
        "state": None,
    }
    person = {"first_name": "Jan", "last_name": "van Dijk", "email": None, "phone": None, "position": None}
    native = {"company": {"name": "ACME"}, "addresses": [address], "people": [person]}
    canonical = mapping.to_canonical(native)
    assert canonical["addresses"][0]["street"] == "Hauptstr. 1"
    assert canonical["addresses"][0]["street2"] == "Hof\nLinks"
    assert canonical["contacts"][0]["name"] == "Jan van Dijk"
    back = mapping.to_native(canonical)
    assert back["addresses"][0]["street_lines"] == "Hauptstr. 1\nHof\nLinks"
    assert (back["people"][0]["first_name"], back["people"][0]["last_name"]) == ("Jan", "van Dijk")


def test_constant_currency_refuses_to_write_another_currency() -> None:
    mapping = load_mapping(SHIPPED, "memory", "product_cost")
    canonical = {
        "product_id": "prod-1",
        "cost": {"amount": "7.25", "currency": "USD"},
        "method": "standard",
        "effective_date": "2026-01-01",
    }
    with pytest.raises(MappingError) as caught:
        mapping.to_native(canonical, Links(links=LINKS))
    assert caught.value.field == "cost"
    assert "keeps these amounts in EUR only" in str(caught.value)


def test_money_without_currency_value_is_a_mapping_error() -> None:
    mapping = load_mapping(SHIPPED, "memory", "product")
    with pytest.raises(MappingError) as caught:
        mapping.to_canonical(
            {"code": "P", "title": "Pump", "uom": "PCE", "price": 12.5, "price_currency": None}
        )
    assert caught.value.field == "list_price"
    assert "native field 'price_currency' is empty" in str(caught.value)


def test_constants_dotted_targets_and_native_constants() -> None:
    mapping = mapping_from(
        """
fields:
  sku: code
  name: {template: "{brand} {model}", direction: to_canonical}
  list_price.amount: {native: price, type: decimal, native_type: str, places: 2}
  list_price.currency: {constant: CHF}
  unit: {constant: kg}
native_constants:
  record_type: PRODUCT
  meta.source: synchub
""",
        "product",
    )
    canonical = mapping.to_canonical({"code": "A", "brand": "Bosch", "model": "X1", "price": "3.10"})
    assert canonical == {
        "sku": "A",
        "name": "Bosch X1",
        "list_price": {"amount": Decimal("3.10"), "currency": "CHF"},
        "unit": "kg",
    }
    native = mapping.to_native(to_canonical_dict(validate_canonical("product", canonical)))
    assert native == {"code": "A", "price": "3.10", "record_type": "PRODUCT", "meta": {"source": "synchub"}}


def test_registered_hook_runs_both_ways() -> None:
    register_hook("vat_without_prefix", lambda v: v.removeprefix("DE"), lambda v: f"DE{v}")
    try:
        mapping = mapping_from(
            "fields:\n  name: n\n  tax_id: {native: vat, hook: vat_without_prefix}\n", "customer"
        )
        assert mapping.to_canonical({"n": "A", "vat": "DE123"})["tax_id"] == "123"
        assert mapping.to_native({"name": "A", "tax_id": "123"})["vat"] == "DE123"
    finally:
        unregister_hook("vat_without_prefix")


def test_reading_only_and_writing_only_fields_apply_in_one_direction() -> None:
    mapping = mapping_from(
        "fields:\n  name: n\n  tax_id: {native: vat, direction: to_canonical}\n"
        "  legal_form: {native: form, direction: to_native}\n",
        "customer",
    )
    assert mapping.to_canonical({"n": "A", "vat": "1", "form": "AG"}) == {"name": "A", "tax_id": "1"}
    assert mapping.to_native({"name": "A", "tax_id": "1", "legal_form": "AG"}) == {"n": "A", "form": "AG"}
    assert mapping.canonical_fields == {"name", "tax_id"}


def test_native_fields_lists_the_paths_read() -> None:
    mapping = load_mapping(SHIPPED, "memory", "product")
    assert mapping.native_fields == ["code", "title", "notes", "uom", "price", "price_currency", "is_active"]


def test_explain_reports_every_failing_field_and_keeps_the_rest() -> None:
    mapping = load_mapping(SHIPPED, "memory", "quote")
    record, traces = mapping.explain({**QUOTE, "state": "X", "valid_to": "2026-03-31"}, Links(links=LINKS))
    failed = {t.canonical: t.error for t in traces if t.error}
    assert set(failed) == {"status", "valid_until"}
    assert record["number"] == "AN-7"
    assert next(t.canonical for t in traces if t.canonical.startswith("lines[1]")) == "lines[1].product_id"


def test_native_names_with_quotes_and_code_like_text_are_plain_keys_in_both_directions() -> None:
    # the simple rules run as generated straight-line code: a key must stay data, whatever it holds
    odd = "x'); raise SystemExit(3); ('"
    mapping = mapping_from(
        "entity: customer\n"
        "fields:\n"
        f"  name: {json.dumps(odd)}\n"
        '  legal_form: "k\\"ey\\\\n.inner"\n'
        '  tax_id: "new\\nline"\n',
        "customer",
    )
    native = {odd: "Acme", 'k"ey\\n': {"inner": "GmbH"}, "new\nline": "DE1"}
    canonical = mapping.to_canonical(native)
    assert (canonical["name"], canonical["legal_form"], canonical["tax_id"]) == ("Acme", "GmbH", "DE1")
    assert mapping.to_native(canonical) == native


@pytest.mark.parametrize("separator", ["\n", " / ", "'); raise SystemExit(3); ('", '"\\'])
def test_split_join_and_template_rules_fused_give_what_each_rule_gives_alone(separator: str) -> None:
    # Splits, joins and two-placeholder templates run inside the generated closure of a list item;
    # ``explain`` runs every rule's own step, item by item: the reference.
    odd = "k'); raise SystemExit(4); ('"
    cut = f"native: {json.dumps(odd)}, separator: {json.dumps(separator)}"
    mapping = mapping_from(
        "entity: customer\n"
        "fields:\n"
        "  name: company\n"
        "  addresses:\n"
        "    native: addresses\n"
        "    items:\n"
        "      kind: type\n"
        f"      street: {{split: {{{cut}, part: 0}}}}\n"
        f"      street2: {{split: {{{cut}, part: 1}}}}\n"
        "  contacts:\n"
        "    native: people\n"
        "    items:\n"
        f"      name: {{template: {json.dumps('{first}' + separator + '{last}')}}}\n"
        "      email: email\n",
        "customer",
    )
    # the rules below do run fused: one closure per list item, in both directions
    assert all(len(step.child.fns) == 1 for step in mapping._reverse.steps if step.child)
    assert all(len(step.child.fns) == 1 for step in mapping._forward.steps if step.child)
    texts = [None, "", "one", f"one{separator}", f"{separator}two", f"a{separator}b{separator}c", 42]
    for text in texts:
        native = {"addresses": [{"type": "INV", odd: text}], "people": [{"first": text, "last": "L"}]}
        alone, _ = mapping.explain(native)
        assert mapping.to_canonical(native) == alone
    for street, street2 in [(None, None), ("a", None), (None, "b"), ("a", "b"), (1, 2), ("", "")]:
        for name in [None, f"Jan{separator}van Dijk", f" Li {separator} Na {separator}", separator, 7]:
            canonical = {
                "addresses": [{"kind": "invoice", "street": street, "street2": street2}],
                "contacts": [{"name": name, "email": "e"}],
            }
            alone, rows = mapping.explain(canonical, reverse=True)
            failed = [row.error for row in rows if row.error is not None]
            if failed:  # the fused run fails as the rule alone does, naming the field
                with pytest.raises(MappingError) as raised:
                    mapping.to_native(canonical)
                assert (raised.value.field, raised.value.native_field) == (
                    "contacts[0].name",
                    failed[0].native_field,
                )
                assert "shape of the template" in str(raised.value) and name == 7
                continue
            assert mapping.to_native(canonical) == alone
