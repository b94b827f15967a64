from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Text, cast, select

from sync_engine.store import LinkRecord, Store, StoreError
from sync_engine.store.tables import LINK_IDS, LINKS

SYNCED = datetime(2026, 1, 31, 12, 30, 45, 123456, tzinfo=UTC)


def customer(
    canonical_id: str, erp: str | None = None, crm: str | None = None, **snapshot: object
) -> LinkRecord:
    ids = {k: v for k, v in {"erp": erp, "crm": crm}.items() if v is not None}
    return LinkRecord(
        flow="customers",
        entity="customer",
        canonical_id=canonical_id,
        external_ids=ids,
        snapshot={"name": canonical_id, **snapshot},
        hash=f"h-{canonical_id}",
        synced_at=SYNCED,
        meta={"origin": "erp"},
    )


def test_link_round_trips_with_unicode_snapshot_and_utc_time(store: Store) -> None:
    snapshot = {
        "name": "株式会社テスト 東京",
        "street": "شارع الملك فهد",
        "city": "תל אביב",
        "credit_limit": {"amount": "1234.50", "currency": "EUR"},
        "tags": ["ä", "ß", None],
    }
    tokyo = timezone(timedelta(hours=9))
    link = LinkRecord(
        flow="customers",
        entity="customer",
        canonical_id="c-1",
        external_ids={"erp": "P-42", "crm": "001Ab00000XyZ"},
        snapshot=snapshot,
        hash="abc",
        synced_at=SYNCED.astimezone(tokyo),
        meta={"written_by": "同期"},
    )
    store.save_links([link])

    found = store.find_links("customers", "crm", ["001Ab00000XyZ"])
    got = found["001Ab00000XyZ"]
    assert got.snapshot == snapshot
    assert got.external_ids == {"erp": "P-42", "crm": "001Ab00000XyZ"}
    assert got.synced_at == SYNCED and got.synced_at.tzinfo == UTC
    assert got.meta == {"written_by": "同期"}
    assert got.hash == "abc"
    assert store.get_links("customers", ["c-1"]) == {"c-1": got}


def test_unicode_is_stored_as_text_not_escapes(store: Store) -> None:
    store.save_links([customer("c-1", erp="1", name_local="北京")])
    with store.transaction() as conn:
        raw = conn.execute(select(cast(LINKS.c.snapshot, Text))).scalar_one()
    assert "北京" in raw


def test_find_links_returns_only_linked_ids_keyed_by_external_id(store: Store) -> None:
    store.save_links([customer("c-1", erp="E1", crm="C1"), customer("c-2", erp="E2")])
    found = store.find_links("customers", "erp", ["E1", "E2", "E-unknown", "E1"])
    assert {k: v.canonical_id for k, v in found.items()} == {"E1": "c-1", "E2": "c-2"}
    assert store.find_links("customers", "crm", ["E1"]) == {}
    assert store.find_links("products", "erp", ["E1"]) == {}


def test_lookups_match_ids_exactly_whatever_characters_they_hold(store: Store) -> None:
    # the id list travels as one bound parameter (a JSON array on SQLite, an array on PostgreSQL)
    odd = ['E "1"', "E'2", "E,3", "Ê 4 名", "E\\5", "[6]", "7"]
    store.save_links([customer(f"c-{n}", erp=ext) for n, ext in enumerate(odd)])
    found = store.find_links("customers", "erp", [*odd, "E", "6", "E 1"])
    assert {ext: link.canonical_id for ext, link in found.items()} == {
        ext: f"c-{n}" for n, ext in enumerate(odd)
    }
    assert set(store.native_hashes("customers", "erp", odd[:3])) == set(odd[:3])
    assert store.native_hashes("customers", "erp", ["E", "6"]) == {}
    assert store.count_external_ids("customers", "erp") == len(odd)
    assert store.count_external_ids("customers", "crm") == 0


def test_saving_again_updates_snapshot_and_merges_external_ids(store: Store) -> None:
    store.save_links([customer("c-1", erp="E1")])
    updated = customer("c-1", crm="C1", name="renamed")
    store.save_links([updated])

    got = store.get_links("customers", ["c-1"])["c-1"]
    assert got.external_ids == {"erp": "E1", "crm": "C1"}
    assert got.snapshot == {"name": "renamed"}
    assert store.count_links("customers") == 1


def test_a_changed_external_id_replaces_the_old_one(store: Store) -> None:
    store.save_links([customer("c-1", erp="E1", crm="C-old")])
    store.save_links([customer("c-1", erp="E1", crm="C-new")])
    assert store.find_links("customers", "crm", ["C-old"]) == {}
    assert store.find_links("customers", "crm", ["C-new"])["C-new"].canonical_id == "c-1"


def test_an_external_id_moves_to_the_link_that_claims_it(store: Store) -> None:
    store.save_links([customer("c-1", erp="E1"), customer("c-2", erp="E2")])
    store.save_links([customer("c-2", erp="E1")])
    assert store.find_links("customers", "erp", ["E1"])["E1"].canonical_id == "c-2"
    assert store.get_links("customers", ["c-1"])["c-1"].external_ids == {}
    assert store.find_links("customers", "erp", ["E2"]) == {}


def test_one_save_of_new_and_known_links_replaces_and_moves_their_ids(store: Store) -> None:
    # PostgreSQL skips looking up bindings of links the save inserts; the known link's are still read
    store.save_links([customer("c-1", erp="E1", crm="C-old"), customer("c-3", erp="E3", crm="C-3")])
    store.save_links([customer("c-1", erp="E1", crm="C-new"), customer("c-2", erp="E2", crm="C-3")])
    assert store.find_links("customers", "crm", ["C-old"]) == {}
    assert store.find_links("customers", "crm", ["C-new"])["C-new"].canonical_id == "c-1"
    assert store.find_links("customers", "crm", ["C-3"])["C-3"].canonical_id == "c-2"
    assert store.get_links("customers", ["c-3"])["c-3"].external_ids == {"erp": "E3"}


def test_new_links_keep_the_native_hashes_of_ids_they_bind_or_take_over(store: Store) -> None:
    # a new link: its ids are bound with their hashes, the one another link held included
    store.save_links([customer("c-1", erp="E1", crm="C1")])
    taker = replace(customer("c-2", erp="E2", crm="C1"), native_hashes={"erp": "n-E2", "crm": "n-C1"})
    plain = replace(customer("c-3", erp="E3"), native_hashes={"erp": None})
    store.save_links([taker, plain])
    assert store.native_hashes("customers", "crm", ["C1"]) == {"C1": ("c-2", "n-C1")}
    assert store.native_hashes("customers", "erp", ["E1", "E2", "E3"]) == {
        "E1": ("c-1", None),
        "E2": ("c-2", "n-E2"),
        "E3": ("c-3", None),
    }
    assert store.get_links("customers", ["c-1"])["c-1"].external_ids == {"erp": "E1"}


def test_every_id_is_bound_to_its_own_link_row_after_deletions(store: Store) -> None:
    # SQLite learns the integer keys of a batch that inserted every link from the highest key alone
    store.save_links(customer(f"c-{i}", erp=f"E{i}") for i in range(6))
    store.delete_links("customers", ["c-5", "c-2"])  # the highest key, and one in the middle
    store.save_links([customer("c-n1", erp="N1"), customer("c-n2", erp="N2")])  # all new
    store.save_links([customer("c-n3", erp="N3"), customer("c-1", erp="E1", v=2), customer("c-n4", erp="N4")])
    with store.transaction() as conn:
        bound = conn.execute(
            select(LINK_IDS.c.external_id, LINK_IDS.c.canonical_id, LINKS.c.canonical_id).join(
                LINKS, LINKS.c.id == LINK_IDS.c.link_id
            )
        ).all()
    assert sorted((ext, cid) for ext, cid, _ in bound) == sorted(
        [(f"E{i}", f"c-{i}") for i in (0, 1, 3, 4)] + [(f"N{i}", f"c-n{i}") for i in (1, 2, 3, 4)]
    )
    assert all(own == row for _, own, row in bound), "a link id points at another link's row"
    found = store.find_links("customers", "erp", ["N1", "N4", "E1"])
    assert {ext: link.canonical_id for ext, link in found.items()} == {
        "N1": "c-n1",
        "N4": "c-n4",
        "E1": "c-1",
    }


def test_two_links_claiming_one_external_id_in_a_save_are_refused(store: Store) -> None:
    with pytest.raises(StoreError, match=r"erp id 'E1' is given to two links.*'c-1' and 'c-2'"):
        store.save_links([customer("c-1", erp="E1"), customer("c-2", erp="E1")])
    assert store.count_links("customers") == 0  # the whole save rolled back


def test_bulk_save_and_find_of_ten_thousand_links(store: Store) -> None:
    n = 10_000
    store.save_links(customer(f"c-{i:05d}", erp=f"E{i}", crm=f"C{i}") for i in range(n))
    assert store.count_links("customers") == n

    found = store.find_links("customers", "crm", (f"C{i}" for i in range(n)))
    assert len(found) == n
    assert found["C1234"].canonical_id == "c-01234"
    assert found["C1234"].external_ids == {"erp": "E1234", "crm": "C1234"}

    # re-saving every link with a new snapshot is an update, not an insert
    store.save_links(customer(f"c-{i:05d}", erp=f"E{i}", crm=f"C{i}", v=2) for i in range(n))
    assert store.count_links("customers") == n
    assert store.get_links("customers", ["c-09999"])["c-09999"].snapshot == {"name": "c-09999", "v": 2}


def test_iter_links_pages_through_every_link_in_order(store: Store) -> None:
    store.save_links(customer(f"c-{i:03d}", erp=f"E{i}") for i in range(25))
    store.save_links([LinkRecord("products", "product", "p-1", {"erp": "P1"})])

    seen = list(store.iter_links("customers", batch_size=7))
    assert [link.canonical_id for link in seen] == [f"c-{i:03d}" for i in range(25)]
    assert seen[3].external_ids == {"erp": "E3"}
    assert list(store.iter_links("nothing")) == []


def test_delete_links_removes_links_and_their_external_ids(store: Store) -> None:
    store.save_links([customer("c-1", erp="E1", crm="C1"), customer("c-2", erp="E2")])
    store.delete_links("customers", ["c-1"])
    assert store.get_links("customers", ["c-1", "c-2"]).keys() == {"c-2"}
    assert store.find_links("customers", "crm", ["C1"]) == {}
    assert store.resolve_references("customer", "erp", ["E1"]) == {}


def test_references_resolve_by_entity_across_flows(store: Store) -> None:
    store.save_links([customer("c-1", erp="E1", crm="C1")])
    store.save_links([LinkRecord("products", "product", "p-1", {"erp": "P1", "crm": "01t1"})])

    assert store.resolve_references("customer", "crm", ["C1", "C-missing"]) == {"C1": "c-1"}
    assert store.resolve_references("product", "crm", ["01t1", "C1"]) == {"01t1": "p-1"}
    assert store.external_ids_for("customer", "erp", ["c-1", "c-missing"]) == {"c-1": "E1"}
    assert store.external_ids_for("product", "erp", ["c-1"]) == {}


def test_writes_in_a_failed_transaction_are_rolled_back(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as tx:
        store.save_links([customer("c-1", erp="E1")], tx=tx)
        assert store.find_links("customers", "erp", ["E1"], tx=tx).keys() == {"E1"}
        raise RuntimeError("write to the CRM failed")
    assert store.count_links("customers") == 0


def test_naive_timestamps_are_refused(store: Store) -> None:
    link = customer("c-1", erp="E1")
    link.synced_at = datetime(2026, 1, 1, 12, 0)
    with pytest.raises(Exception, match="has no timezone"):
        store.save_links([link])


def test_a_bulk_load_gives_postgresql_statistics_of_the_lookup_columns_only(store: Store) -> None:
    if store.schema is None:
        pytest.skip("planner statistics are PostgreSQL's")
    store.save_links([customer(f"c-{n}", erp=f"E{n}") for n in range(1200)])  # past the first ANALYZE
    with store.transaction() as conn:
        analyzed = set(
            conn.exec_driver_sql(
                "SELECT tablename, attname FROM pg_stats WHERE schemaname = current_schema() "
                "AND tablename IN ('links', 'link_ids')"
            ).all()
        )
    assert {("links", "canonical_id"), ("link_ids", "external_id"), ("link_ids", "canonical_id")} <= analyzed
    assert ("links", "snapshot") not in analyzed, "the JSON snapshots are never filtered on"
