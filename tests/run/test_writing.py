"""Writing stage: chunks of the connector's batch size, one result per request, outages per chunk."""

from __future__ import annotations

import pytest

from connectors.base import StopRun, WriteRequest
from connectors.memory.faults import RecordFault
from sync_engine.run.writing import write_side
from tests.run.conftest import FAST, World


def creates(n: int) -> list[WriteRequest]:
    return [WriteRequest("create", f"r{i}", {"company": {"name": f"Firma {i}"}}) for i in range(n)]


def test_requests_go_in_chunks_of_the_connectors_batch_size_and_come_back_in_order(world: World) -> None:
    world.crm_options = {"max_batch_size": 2}
    side = world.context().sides["crm"]
    results = write_side(side, creates(5), FAST)
    assert [r.ref for r in results] == ["r0", "r1", "r2", "r3", "r4"] and all(r.ok for r in results)
    assert len(world.crm.all("customer")) == 5


def test_a_chunk_that_stays_unavailable_fails_its_records_as_transient(world: World) -> None:
    side = world.context().sides["crm"]
    world.crm.faults.next_calls = [RecordFault(True, "503") for _ in range(FAST.attempts)]
    results = write_side(side, creates(2), FAST)
    assert [(r.ok, r.transient) for r in results] == [(False, True), (False, True)]
    assert "crm unavailable" in (results[0].error or "")


def test_a_refused_chunk_fails_its_records_and_a_stop_ends_the_run(world: World) -> None:
    side = world.context().sides["crm"]
    world.crm.faults.next_calls = [RecordFault(False, "403 forbidden")]
    [refused] = write_side(side, creates(1), FAST)
    assert not refused.ok and not refused.transient and "refused the batch" in (refused.error or "")

    def stop(*args: object) -> None:
        raise StopRun("daily API limit reached")

    side.connector.write_batch = stop  # type: ignore[method-assign]
    with pytest.raises(StopRun):
        write_side(side, creates(1), FAST)


def test_a_connector_answering_with_the_wrong_number_of_results_stops_the_run(world: World) -> None:
    side = world.context().sides["crm"]
    side.connector.write_batch = lambda entity, requests: []  # type: ignore[method-assign]
    with pytest.raises(Exception, match="returned 0 results for 1 writes"):
        write_side(side, creates(1), FAST)
