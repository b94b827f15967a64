"""customer = MyCRM ``accounts``.

Native shape (what the mapping sees)::

    {"name", "email", "vat", "active": bool, "updated_at": "2026-11-30T10:00:00.123456Z"}
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from connectors.base import Cursor, Entity, NativeRecord, RecordError
from synchub_mycrm.client import ApiError

if TYPE_CHECKING:
    from synchub_mycrm.connector import MyCrmConnector

FIELDS = ("name", "email", "vat", "active")


class Customers(Entity):
    name = "customer"
    native = "accounts"
    id_field = "id"
    modified_field = "updated_at"  # ADAPT: None if the API cannot list changes (full snapshots)
    deletes_reported = False  # ADAPT: True if reads return deleted records as tombstones
    upsert_by_ref = False  # ADAPT: True if creates can carry SyncHub's id and upsert on it
    batch_size = 100

    connector: MyCrmConnector

    def id_order(self, record_id: str) -> Any:
        return int(record_id)  # ADAPT: MyCRM's ids are integers; ties of one timestamp sort by them

    # -- reads -------------------------------------------------------------------------------------
    def read_after(self, after: Cursor | None, limit: int) -> Sequence[NativeRecord]:
        # Keyset: strictly after (updated_at, id), in that order. The API's filter values are
        # passed as query parameters, never pasted into a query string.
        params: dict[str, Any] = {"order": "updated_at,id", "limit": limit}
        if after is not None:
            params["after_updated_at"] = after.modified.isoformat()
            params["after_id"] = after.id or "0"
        rows = self.connector.client.call("GET", "accounts", params=params)["results"]
        return [self._record(row) for row in rows]

    def fetch(self, ids: Sequence[str]) -> list[NativeRecord]:
        found = []
        for record_id in ids:
            try:
                found.append(self._record(self.connector.client.call("GET", f"accounts/{record_id}")))
            except ApiError as exc:
                if exc.status != 404:  # gone: left out, as fetch promises
                    raise
        return found

    def _record(self, row: dict[str, Any]) -> NativeRecord:
        modified = datetime.fromisoformat(row["updated_at"].replace("Z", "+00:00"))
        return NativeRecord(str(row["id"]), {k: row.get(k) for k in FIELDS}, modified=modified)

    # -- writes (one record each; a refusal of this record raises RecordError) ----------------------
    def create(self, data: dict[str, Any], ref: str) -> NativeRecord:
        return self._record(self._send("POST", "accounts", data))

    def update(self, record_id: str, data: dict[str, Any]) -> NativeRecord:
        return self._record(self._send("PATCH", f"accounts/{record_id}", data))

    def delete(self, record_id: str) -> None:
        try:
            self.connector.client.call("DELETE", f"accounts/{record_id}")
        except ApiError as exc:
            if exc.status != 404:  # already gone is deleted: retries stay safe
                raise

    def _send(self, method: str, path: str, data: dict[str, Any]) -> dict[str, Any]:
        try:
            return self.connector.client.call(method, path, json=data)
        except ApiError as exc:
            if exc.status in (400, 409, 422):  # ADAPT: MyCRM's statuses for invalid input
                raise RecordError(f"MyCRM refused it: {exc}; fix the record", field=exc.field) from exc
            raise  # anything else is classified by the connector

    def record_url(self, record_id: str) -> str | None:
        return f"{self.connector.client.base_url}/app/accounts/{record_id}"
