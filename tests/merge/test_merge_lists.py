"""Lists of items (contacts, addresses, lines) merge item by item by key, not by position."""

from __future__ import annotations

from typing import Any

from merge_records import customer

from sync_engine.merge import MergePolicy, SideState, merge, values_equal

ALI = {"name": "محمد علي", "email": "m.ali@example.com", "phone": "+971 4 000 0000", "role": None}
HANAKO = {"name": "山田 花子", "email": "hanako@example.jp", "phone": None, "role": "buyer"}
LI = {"name": "李 娜", "email": "li.na@example.cn", "phone": None, "role": None}
OMAR = {"name": "عمر", "email": None, "phone": "+20 2 000", "role": None}


def run(base: Any, erp: Any, crm: Any, policy: MergePolicy | None = None):
    return merge(base, SideState(erp), SideState(crm), policy or MergePolicy())


def emails(contacts: list[dict]) -> list[str | None]:
    return [c["email"] for c in contacts]


def test_items_added_on_each_side_both_survive() -> None:
    base = customer(contacts=[ALI])
    result = run(base, customer(contacts=[ALI, LI]), customer(contacts=[ALI, OMAR]))
    assert result.conflicts == ()
    merged = result.merged["contacts"]
    assert {c["name"] for c in merged} == {ALI["name"], LI["name"], OMAR["name"]}
    assert values_equal("contacts", result.erp_patch["contacts"], merged)
    assert values_equal("contacts", result.crm_patch["contacts"], merged)


def test_item_removed_on_one_side_and_unchanged_on_the_other_is_removed() -> None:
    base = customer(contacts=[ALI, HANAKO])
    result = run(base, customer(contacts=[ALI]), customer(contacts=[ALI, HANAKO]))
    assert result.crm_patch == {"contacts": [ALI]}
    assert result.erp_action == "none"


def test_fields_inside_an_item_merge_like_top_level_fields() -> None:
    base = customer(contacts=[ALI])
    erp = customer(contacts=[{**ALI, "phone": "+971 50 111"}])
    crm = customer(contacts=[{**ALI, "role": "الشراء"}])
    result = run(base, erp, crm)
    assert result.conflicts == ()
    assert result.merged["contacts"] == [{**ALI, "phone": "+971 50 111", "role": "الشراء"}]


def test_item_field_changed_differently_is_a_conflict_with_an_item_path() -> None:
    base = customer(contacts=[ALI])
    erp = customer(contacts=[{**ALI, "phone": "1"}, LI])
    crm = customer(contacts=[{**ALI, "phone": "2"}])
    result = run(base, erp, crm)
    [conflict] = result.conflicts
    assert conflict.field == "contacts[m.ali@example.com].phone"
    assert (conflict.base, conflict.erp, conflict.crm) == (ALI["phone"], "1", "2")
    # crm still gets the new item, but keeps its own phone for the held field.
    assert result.crm_patch["contacts"] == [{**ALI, "phone": "2"}, LI]
    assert result.snapshot["contacts"] == [ALI, LI]


def test_item_keys_are_compared_normalised() -> None:
    base = customer(contacts=[ALI])
    shouting = {**ALI, "email": " M.ALI@EXAMPLE.COM ", "phone": "9"}
    result = run(base, customer(contacts=[shouting]), customer(contacts=[ALI]))
    assert result.crm_patch == {"contacts": [shouting]}  # an edit of the same contact, not a new one


def test_contact_without_email_is_keyed_by_name() -> None:
    base = customer(contacts=[OMAR])
    result = run(
        base, customer(contacts=[{**OMAR, "phone": "3"}]), customer(contacts=[{**OMAR, "role": "x"}])
    )
    assert result.merged["contacts"] == [{**OMAR, "phone": "3", "role": "x"}]


def test_reordering_a_list_is_not_a_change() -> None:
    base = customer(contacts=[ALI, HANAKO])
    result = run(base, customer(contacts=[HANAKO, ALI]), customer(contacts=[ALI, HANAKO]))
    assert (result.erp_action, result.crm_action) == ("none", "none")


def test_item_removed_on_one_side_and_edited_on_the_other_is_a_conflict() -> None:
    base = customer(contacts=[ALI, HANAKO])
    erp = customer(contacts=[ALI])
    crm = customer(contacts=[ALI, {**HANAKO, "phone": "+81 3"}])
    result = run(base, erp, crm)
    [conflict] = result.conflicts
    assert conflict.field == "contacts[hanako@example.jp]"
    assert (conflict.erp, conflict.crm) == (None, {**HANAKO, "phone": "+81 3"})
    assert (result.erp_action, result.crm_action) == ("none", "none")
    assert result.snapshot["contacts"] == [ALI, HANAKO]


def test_item_remove_versus_edit_goes_to_the_list_owner() -> None:
    base = customer(contacts=[ALI, HANAKO])
    erp = customer(contacts=[ALI])
    crm = customer(contacts=[ALI, {**HANAKO, "phone": "+81 3"}])
    result = run(base, erp, crm, MergePolicy(field_owners={"contacts": "crm"}))
    assert result.erp_patch == {"contacts": [ALI, {**HANAKO, "phone": "+81 3"}]}
    result = run(base, erp, crm, MergePolicy(field_owners={"contacts": "erp"}))
    assert result.crm_patch == {"contacts": [ALI]}


def test_first_sync_unions_items_and_fills_their_empty_fields() -> None:
    erp = customer(contacts=[{**HANAKO, "phone": "+81 3"}])
    crm = customer(contacts=[{**HANAKO, "role": None}, LI])
    result = run(None, erp, crm)
    assert result.conflicts == ()
    by_email = {c["email"]: c for c in result.merged["contacts"]}
    assert by_email["hanako@example.jp"] == {**HANAKO, "phone": "+81 3"}
    assert by_email["li.na@example.cn"] == LI


def test_addresses_merge_by_kind() -> None:
    invoice = {
        "kind": "invoice",
        "street": "Hauptstr. 1",
        "street2": None,
        "postal_code": "10115",
        "city": "Berlin",
        "region": None,
        "country": "DE",
    }
    delivery = {**invoice, "kind": "delivery", "street": "Lagerweg 9"}
    base = customer(addresses=[invoice])
    erp = customer(addresses=[{**invoice, "postal_code": "10117"}])
    crm = customer(addresses=[invoice, delivery])
    result = run(base, erp, crm)
    assert result.merged["addresses"] == [{**invoice, "postal_code": "10117"}, delivery]


def test_order_lines_merge_by_product_id() -> None:
    def line(product: str, qty: str) -> dict:
        return {
            "product_id": product,
            "description": None,
            "quantity": qty,
            "unit_price": {"amount": "2.50", "currency": "EUR"},
            "delivered_quantity": None,
        }

    base = {"customer_id": "c1", "lines": [line("p1", "1"), line("p2", "1")]}
    erp = {"customer_id": "c1", "lines": [line("p2", "1"), line("p1", "5")]}
    crm = {"customer_id": "c1", "lines": [line("p1", "1"), line("p2", "1"), line("p3", "2")]}
    result = run(base, erp, crm)
    assert result.merged["lines"] == [line("p1", "5"), line("p2", "1"), line("p3", "2")]


def test_duplicate_keys_in_one_list_keep_every_item() -> None:
    twin = {**ALI, "phone": "other"}
    result = run(None, customer(contacts=[ALI, twin]), customer(contacts=[]))
    assert result.crm_patch["contacts"] == [ALI, twin]


def test_resolution_of_an_item_field_is_applied_to_both_sides() -> None:
    base = customer(contacts=[ALI])
    erp = customer(contacts=[{**ALI, "phone": "1"}])
    crm = customer(contacts=[{**ALI, "phone": "2"}])
    resolutions = {"contacts[m.ali@example.com].phone": "2"}
    result = merge(base, SideState(erp), SideState(crm), MergePolicy(), resolutions)
    assert result.conflicts == ()
    assert result.erp_patch == {"contacts": [{**ALI, "phone": "2"}]}
    assert result.crm_action == "none"
    assert result.snapshot["contacts"] == [{**ALI, "phone": "2"}]
