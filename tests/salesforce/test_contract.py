"""The emulator against the request examples of the published Salesforce collection (SYNCHUB_CONTRACTS)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.emulators.salesforce import SalesforceEmulator, emulator_session

REPO = Path(__file__).resolve().parents[2]
CONTRACTS = Path(os.environ.get("SYNCHUB_CONTRACTS", REPO.parent / "shared" / "contracts"))
SRC = CONTRACTS / "salesforce" / "src" / "collections" / "salesforce_apis"
# The requests SyncHub uses; every other request of those folders is outside the emulated subset.
EMULATED = {
    "bulk_v2": {
        "create_job",
        "upload_job_data",
        "close_or_abort_a_job",
        "get_job_info",
        "get_all_jobs",
        "delete_job",
        "get_job_successful_record_results",
        "get_job_failed_record_results",
        "get_job_unprocessed_record_results",
    },
    "composite": {
        "sobject_collections_create",
        "sobject_collections_update",
        "sobject_collections_delete",
        "sobject_collections_retrieve",
    },
    "rest": {
        "query",
        "queryall",
        "limit",
        "sobject_create",
        "sobject_rows",
        "sobject_rows_update",
        "sobject_rows_delete",
        "sobject_rows_by_external_id",
        "sobject_get_deleted",
        "sobject_get_updated",
    },
}


def _requests() -> list[Path]:
    if not SRC.is_dir():
        if os.environ.get("CI", "").lower() == "true":
            raise AssertionError(f"contract files missing at {SRC}; set SYNCHUB_CONTRACTS")
        pytest.skip(
            f"Salesforce contract collection not found at {SRC}; point SYNCHUB_CONTRACTS at the contracts"
        )
    # Deleting requests go last, so the record or job they remove serves the others first.
    ordered = [
        (folder, name)
        for folder, names in EMULATED.items()
        for name in sorted(names, key=lambda n: ("delete" in n, n))
    ]
    return [SRC / folder / f"{name}.json" for folder, name in ordered]


def test_every_emulated_request_exists_in_the_collection() -> None:
    missing = [str(p.relative_to(SRC)) for p in _requests() if not p.exists()]
    assert missing == []


@pytest.mark.parametrize("folder", sorted(EMULATED))
def test_the_emulator_answers_each_example_request_of_the_subset(folder: str) -> None:
    paths = [p for p in _requests() if p.parent.name == folder]
    emulator = SalesforceEmulator()
    session = emulator_session(emulator)
    token = emulator.session_token()
    account = emulator.org.insert("Account", {"Name": "Example", "SyncHub_Id__c": "ext-1"})
    job = session.post(
        f"{emulator.instance_url}/services/data/v59.0/jobs/ingest",
        json={"object": "Account", "operation": "insert"},
        headers={"Authorization": f"Bearer {token}"},
    ).json()["id"]
    for path in paths:
        spec = json.loads(path.read_text(encoding="utf-8"))
        url = (
            spec["url"]
            .replace("{{_endpoint}}", emulator.instance_url)
            .replace("{{version}}", "59.0")
            .replace("{{_jobId}}", job)
            .replace("<SOBJECT_API_NAME>", "Account")
            .replace("<RECORD_ID>", account)
            .replace("<FIELD_NAME>/<FIELD_VALUE>", "SyncHub_Id__c/ext-1")
            .replace("?ids&allOrNone", f"?ids={account}&allOrNone=false")
            .replace("?ids&fields", f"?ids={account}&fields=Name")
            .replace("start=&end=", "start=2026-01-01T00:00:00Z&end=2026-01-02T00:00:00Z")
        )
        body = spec.get("rawModeData") or None
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": spec["headers"].split(":")[1].strip()
            if ":" in spec["headers"] and not spec["headers"].startswith("//")
            else "application/json",
        }
        if body and "SObject[]" in body:
            body = json.dumps(
                {
                    "allOrNone": False,
                    "records": [
                        {
                            "attributes": {"type": "Account"},
                            "Name": "N",
                            **({"Id": account} if spec["method"] == "PATCH" else {}),
                        }
                    ],
                }
            )
        if body and "Asset" in body:
            body = json.dumps({"object": "Account", "operation": "insert"})
        if spec["method"] == "PUT":
            body = "Name\nBulk\n"
        if '"field API name"' in (body or ""):
            body = json.dumps({"Name": "Renamed"})
        response = session.request(spec["method"], url, data=body, headers=headers)
        assert response.status_code not in (404, 405), f"{path.name}: {response.status_code} {response.text}"
        assert response.headers["Sforce-Limit-Info"].startswith("api-usage=")
        if response.status_code >= 400:
            [error] = response.json()
            assert {"message", "errorCode"} <= set(error), path.name
