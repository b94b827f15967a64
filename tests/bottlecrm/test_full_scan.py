"""A full scan of 5,000 accounts sees every account that existed when it began, once, while more arrive."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import pytest

from connectors.base import ConnectionSettings, WriteRequest
from connectors.bottlecrm import BottleCrmConnector
from connectors.bottlecrm.paging import scan
from synchub_dev.peers.bottlecrm import BottleCrmInstance, BottleCrmPeer

SEEDED = 5000

SEED = """
from accounts.models import Account
from common.models import Org
org = Org.objects.get(id="{org}")
Account.objects.bulk_create(
    [Account(name=f"Bulk {{i:05d}} Ünïcødé 株式会社", org=org, is_active=i % 10 != 0) for i in range({n})],
    batch_size=500,
)
print("IDS", " ".join(str(pk) for pk in Account.objects.filter(org=org).values_list("id", flat=True)))
"""


@pytest.fixture(scope="module")
def big_crm(
    bottlecrm_peer: BottleCrmPeer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[BottleCrmInstance, set[str]]]:
    """A BottleCRM of its own with 5,000 accounts (one in ten inactive), loaded through Django's ORM,
    and the ids of every account it then holds."""
    with bottlecrm_peer.start(tmp_path_factory.mktemp("bottlecrm-big"), workers=3) as instance:
        out = instance.django_admin("shell", "-c", SEED.format(org=instance.org_id, n=SEEDED), what="seed")
        ids = next(line for line in out.splitlines() if line.startswith("IDS ")).split()[1:]
        yield instance, {str(uuid.UUID(i)) for i in ids}


def connector_for(instance: BottleCrmInstance) -> BottleCrmConnector:
    return BottleCrmConnector(ConnectionSettings.from_uri(instance.connection_uri()))


def test_full_scan_sees_every_existing_account_once_while_accounts_are_added(
    big_crm: tuple[BottleCrmInstance, set[str]],
) -> None:
    crm, before = big_crm
    assert len(before) == SEEDED

    stop = threading.Event()
    added: list[str] = []

    def add_accounts() -> None:
        with connector_for(crm) as writer:
            n = 0
            while not stop.wait(0.1):  # a steady trickle of new accounts, as from users
                n += 1
                result = writer.write_batch(
                    "customer", [WriteRequest("create", f"n{n}", {"name": f"Neu {n} 新"})]
                )[0]
                assert result.ok, result.error
                added.append(result.id or "")

    adder = threading.Thread(target=add_accounts)
    adder.start()
    seen: list[str] = []
    began = time.monotonic()
    try:
        with connector_for(crm) as reader:
            for page in reader.read_changes("customer", None, page_size=200):
                seen.extend(record.id for record in page.records)
    finally:
        stop.set()
        adder.join()
    print(f"scanned {len(seen)} accounts in {time.monotonic() - began:.1f}s while {len(added)} were added")

    assert added, "no account was added during the scan: the test proved nothing"
    assert len(seen) == len(set(seen)), "an account was returned twice"
    assert before <= set(seen), f"{len(before - set(seen))} existing accounts were missed"
    assert set(seen) <= before | set(added)


def test_a_scan_restarts_when_the_total_drops_so_nothing_slides_past_it() -> None:
    """Deletions move later records to earlier offsets; the scan notices the total fall and starts over."""
    rows = [{"id": f"{i:03d}"} for i in range(30)]
    calls = 0

    def fetch(params: dict[str, int]) -> tuple[list[dict[str, str]], int]:
        nonlocal calls
        calls += 1
        if calls == 2:
            del rows[0:5]  # deleted between the first and the second page
        page = rows[params["offset"] : params["offset"] + params["limit"]]
        return page, len(rows)

    seen = [row["id"] for page in scan(fetch, page_size=10, what="test") for row in page]
    assert sorted(seen) == sorted({*seen})
    assert {row["id"] for row in rows} <= set(seen)
