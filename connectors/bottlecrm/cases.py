"""``complaint``: BottleCRM cases (support tickets) on an account."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from connectors.bottlecrm.entity import BottleCrmEntity, pick, ref_id
from connectors.bottlecrm.paging import scan

__all__ = ["CASE_FIELDS", "Cases"]

CASE_FIELDS = ("name", "status", "priority", "case_type", "description", "closed_on")
WRITABLE = (*CASE_FIELDS, "account")


def _native(case: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(case["id"]),
        **pick(case, CASE_FIELDS),
        "account": ref_id(case.get("account")),
        "created_at": case.get("created_at"),
    }


def _list_page(body: Any) -> tuple[list[dict[str, Any]], int]:
    """``GET /api/cases/``: DRF ``{count, results}`` or BottleCRM's ``cases`` + ``cases_count``."""
    if "results" in body:
        return list(body["results"] or []), int(body.get("count") or 0)
    return list(body.get("cases") or []), int(body.get("cases_count") or 0)


class Cases(BottleCrmEntity):
    name = "complaint"
    native = "case"

    def scan(self, page_size: int) -> Iterator[list[dict[str, Any]]]:
        pages = scan(
            lambda paging: _list_page(self.client.get("cases/", paging)),
            page_size=page_size,
            what="case list",
        )
        for rows in pages:
            yield [_native(row) for row in rows]

    def fetch_one(self, record_id: str) -> dict[str, Any] | None:
        body = self._get_or_none(f"cases/{record_id}/")
        if not body:
            return None
        return _native(body.get("cases_obj") or body.get("case_obj") or body)

    def create(self, data: dict[str, Any], ref: str) -> str:
        body = {k: v for k, v in data.items() if k in WRITABLE}
        # BottleCRM wants an assignee, and lists for contacts and teams, on every case.
        body = {"assigned_to": [self.connector.profile_id], "contacts": [], "teams": [], **body}
        body.setdefault("case_type", "Problem")
        reply = self.client.call("POST", "cases/", json=body)
        return str(reply["id"])

    def update(self, record_id: str, data: dict[str, Any]) -> None:
        body = {k: v for k, v in data.items() if k in WRITABLE}
        if body:
            self.client.call("PATCH", f"cases/{record_id}/", json=body)

    def delete(self, record_id: str) -> None:
        self._delete(f"cases/{record_id}/")
