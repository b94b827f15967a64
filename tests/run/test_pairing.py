"""Pairing stage: the counterpart of a change, by link, by the id we created it under, by natural key."""

from __future__ import annotations

import re

from sync_engine.run.pairing import (
    Duplicate,
    Pair,
    Spool,
    canonical_id_for,
    former_canonical_id_for,
    pair_with,
)
from sync_engine.run.sides import Change, Side
from sync_engine.store import LinkRecord
from tests.run.conftest import World


def change(
    side: Side,
    ext: str,
    name: str,
    *,
    tax: str | None = None,
    link: LinkRecord | None = None,
    ref: str | None = None,
) -> Change:
    return Change(side, ext, {"name": name, "tax_id": tax}, None, link=link, ref=ref)


def test_canonical_ids_are_derived_from_where_the_record_came_from() -> None:
    a = canonical_id_for("customers", "erp", "E1")
    assert a == canonical_id_for("customers", "erp", "E1") and len(a) == 36
    assert a != canonical_id_for("customers", "crm", "E1") != canonical_id_for("orders", "erp", "E1")


def test_canonical_ids_are_uuid_shaped_and_follow_the_order_of_the_ids_they_come_from() -> None:
    uuid = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
    numbered = [canonical_id_for("customers", "erp", str(i)) for i in range(1, 3000)]
    assert all(uuid.fullmatch(cid) for cid in numbered)  # SuiteCRM takes them as record ids
    assert sorted(numbered) == numbered, "an ERP's numbered records get canonical ids in their order"
    assert len(set(numbered)) == len(numbered)
    # ids that are not numbers: those sharing their first six characters share the leading digits
    coded = {canonical_id_for("customers", "erp", f"E{i:07d}") for i in range(100, 200)}
    assert len(coded) == 100 and len({cid[:13] for cid in coded}) == 1
    assert uuid.fullmatch(canonical_id_for("customers", "crm", "Ünïcode id, longer than six bytes"))
    # numbers too long for 48 bits, and digits that are not ASCII, still give distinct ids
    huge = canonical_id_for("customers", "erp", "9" * 30)
    assert uuid.fullmatch(huge) and huge != canonical_id_for("customers", "erp", "9" * 31)
    assert uuid.fullmatch(canonical_id_for("customers", "erp", "\u0661\u0662"))
    # a number and its zero-padded spelling are different ids, with different canonical ids
    assert canonical_id_for("customers", "erp", "7") != canonical_id_for("customers", "erp", "007")


def test_a_linked_change_pairs_with_the_other_sides_change_of_the_same_link(world: World) -> None:
    sides = world.context().sides
    link = LinkRecord("customers", "customer", "c1", {"erp": "E1", "crm": "K1"})
    spool = Spool("customers", "erp", [["tax_id"]])
    spool.add(change(sides["crm"], "K1", "Acme CRM", link=link))
    found = pair_with(change(sides["erp"], "E1", "Acme ERP", link=link), "crm", "crm", spool, "customer")
    assert isinstance(found, Pair) and found.cid == "c1" and set(found.changes) == {"erp", "crm"}
    assert found.base_link is link and not spool.linked


def test_an_unlinked_change_matches_by_natural_key_and_several_candidates_are_a_duplicate(
    world: World,
) -> None:
    sides = world.context().sides
    spool = Spool("customers", "erp", [["tax_id"]])
    spool.add(change(sides["crm"], "K1", "Acme", tax="DE1"))
    spool.add(change(sides["crm"], "K2", "Beta", tax="DE2"))
    spool.add(change(sides["crm"], "K3", "Beta again", tax="DE2"))

    matched = pair_with(change(sides["erp"], "E1", "ACME", tax="de1"), "crm", "crm", spool, "customer")
    assert isinstance(matched, Pair) and matched.base_link is None
    assert matched.cid == canonical_id_for("customers", "erp", "E1"), "the ERP's record names a new pair"
    assert matched.link is not None and matched.link.external_ids == {"erp": "E1", "crm": "K1"}

    twice = pair_with(change(sides["erp"], "E2", "Beta", tax="DE2"), "crm", "crm", spool, "customer")
    assert isinstance(twice, Duplicate) and sorted(twice.candidates) == ["K2", "K3"]


def test_a_record_we_created_is_claimed_by_the_id_it_carries(world: World) -> None:
    sides = world.context().sides
    spool = Spool("customers", "erp", [["tax_id"]])
    cid = canonical_id_for("customers", "erp", "E9")
    spool.add(change(sides["crm"], "K9", "Renamed since", ref=cid))  # created by a crashed run
    found = pair_with(change(sides["erp"], "E9", "Original"), "crm", "crm", spool, "customer")
    assert isinstance(found, Pair) and found.link is not None and found.link.external_ids["crm"] == "K9"


def test_a_record_an_earlier_version_created_is_claimed_by_the_id_it_carries(world: World) -> None:
    """Earlier versions derived canonical ids by a hash alone: a record they created (then a crash,
    or a new state store, lost its link) still pairs by that id, whichever side carries it."""
    sides = world.context().sides
    former = former_canonical_id_for("customers", "erp", "E9")
    assert former != canonical_id_for("customers", "erp", "E9")
    spool = Spool("customers", "erp", [["tax_id"]])
    spool.add(change(sides["crm"], "K9", "Renamed since", ref=former))  # the CRM record carries it
    found = pair_with(change(sides["erp"], "E9", "Original"), "crm", "crm", spool, "customer")
    assert isinstance(found, Pair) and found.link is not None and found.link.external_ids["crm"] == "K9"

    spool = Spool("customers", "crm", [["tax_id"]])
    spool.add(change(sides["erp"], "E9", "Original"))  # the ERP record, spooled, is where it came from
    spool.add(change(sides["erp"], "E10", "Another"))
    carried = change(sides["crm"], "K9", "Renamed since", ref=former)  # the id derived from E9
    found = pair_with(carried, "erp", "erp", spool, "customer")
    assert isinstance(found, Pair) and found.link is not None
    assert found.link.external_ids == {"erp": "E9", "crm": "K9"}
    # an id nobody derived pairs with nothing (no natural key either: a new record)
    lone = pair_with(change(sides["crm"], "K11", "Stranger", ref="0" * 8), "erp", "erp", spool, "customer")
    assert isinstance(lone, Pair) and set(lone.changes) == {"crm"}


def test_what_is_left_in_the_spool_comes_out_as_first_side_pairs(world: World) -> None:
    sides = world.context().sides
    link = LinkRecord("customers", "customer", "c1", {"erp": "E1", "crm": "K1"})
    spool = Spool("customers", "erp", [["tax_id"]])
    spool.add(change(sides["crm"], "K1", "Linked", link=link))
    spool.add(change(sides["crm"], "K2", "New in CRM"))
    left = list(spool.leftovers("crm"))
    assert [(p.cid, list(p.changes)) for p in left] == [
        ("c1", ["crm"]),
        (canonical_id_for("customers", "crm", "K2"), ["crm"]),
    ]
    assert not spool.new and not spool.linked
