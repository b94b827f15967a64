"""What every BottleCRM entity offers the connector: scan, fetch, create, update, delete."""

from __future__ import annotations

import abc
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from connectors.bottlecrm.client import ApiRefusal, BottleCrmClient
from connectors.bottlecrm.paging import ListPage, scan

__all__ = ["Resource", "pick", "plain_list"]


def pick(record: Mapping[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    """Only ``fields`` of a BottleCRM record (missing ones as None): the native shape SyncHub sees."""
    return {name: record.get(name) for name in fields}


def plain_list(body: Any) -> ListPage:
    """A DRF list body ``{count, results}``."""
    return list(body.get("results") or []), int(body.get("count") or 0)


def ref_id(value: Any) -> str | None:
    """A related record as BottleCRM sends it (an id, or ``{"id", "name"}``) -> its id."""
    if isinstance(value, dict):
        value = value.get("id")
    return str(value) if value else None


class Resource(abc.ABC):
    """One SyncHub entity over BottleCRM endpoints. Methods raise :class:`ApiRefusal` per record."""

    entity: str

    def __init__(self, client: BottleCrmClient, session: SessionInfo) -> None:
        self.client = client
        self.session = session

    @abc.abstractmethod
    def scan(self, page_size: int) -> Iterator[list[dict[str, Any]]]:
        """Pages of every record, native form, each with ``"id"``."""

    @abc.abstractmethod
    def fetch(self, record_id: str) -> dict[str, Any] | None:
        """One record in native form; None when it does not exist."""

    @abc.abstractmethod
    def create(self, data: dict[str, Any]) -> str:
        """Create a record from native fields; its new id."""

    @abc.abstractmethod
    def update(self, record_id: str, data: dict[str, Any]) -> None:
        """Change the given native fields of a record."""

    @abc.abstractmethod
    def delete(self, record_id: str) -> None:
        """Delete a record; deleting one that is already gone is fine."""

    def _scan_list(
        self, path: str, params: Mapping[str, Any], page_size: int
    ) -> Iterator[list[dict[str, Any]]]:
        return scan(
            lambda paging: plain_list(self.client.get(path, {**params, **paging})),
            page_size=page_size,
            what=f"{self.entity} list {path}",
        )

    def _get_or_none(self, path: str) -> Any:
        try:
            return self.client.get(path)
        except ApiRefusal as exc:
            if exc.status == 404:
                return None
            raise

    def _delete(self, path: str) -> None:
        try:
            self.client.call("DELETE", path)
        except ApiRefusal as exc:
            if exc.status != 404:  # already gone: a retried delete succeeds
                raise


class SessionInfo:
    """Facts about the API user that writes need (BottleCRM wants an assignee on cases), read once."""

    def __init__(self, client: BottleCrmClient) -> None:
        self.client = client
        self._profile_id: str | None = None

    @property
    def profile_id(self) -> str:
        if self._profile_id is None:
            body = self.client.get("profile/")
            profile = body.get("user_obj", body) if isinstance(body, dict) else {}
            profile_id = profile.get("id") if isinstance(profile, dict) else None
            if not profile_id:
                raise ApiRefusal(500, f"GET /api/profile/ gave no profile id (keys: {sorted(body or {})})")
            self._profile_id = str(profile_id)
        return self._profile_id
