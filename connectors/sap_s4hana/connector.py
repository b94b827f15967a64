"""``sap_s4hana``: SAP S/4HANA through its OData v2 APIs, spoken with pyodata (SAP's Python client).

Each canonical entity is one class in ``entities/`` (its SAP service, entity set, key, change
stamps, reads and writes). This class routes the protocol's calls to them and turns every failure
of one record into that record's ``WriteResult``: a record SAP refuses never fails the batch.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from pyodata.exceptions import HttpError, PyODataException

from connectors.base import (
    Capabilities,
    ConnectionSettings,
    Connector,
    Cursor,
    NativeRecord,
    Page,
    PermanentError,
    TransientError,
    WriteRequest,
    WriteResult,
)
from connectors.sap_s4hana.api import SapApi
from connectors.sap_s4hana.entities import ENTITIES, SapEntity
from connectors.sap_s4hana.errors import Concurrent, RecordRefused, gateway_message, is_transient
from connectors.sap_s4hana.fiori import LAUNCHPAD_PATH, fiori_link
from connectors.sap_s4hana.settings import SapSettings
from connectors.sap_s4hana.values import parse_composite_key

__all__ = ["SapS4HanaConnector"]


class SapS4HanaConnector(Connector):
    name = "sap_s4hana"

    def __init__(self, settings: ConnectionSettings, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(settings, options)
        self.sap = SapSettings.from_connection(settings, self.options)
        self.capabilities = Capabilities(
            entities=frozenset(ENTITIES), change_tracking="cursor", batch_writes=False, max_batch_size=100
        )
        self.api = SapApi(self.sap)
        self._entities: dict[str, SapEntity] = {}

    def entity(self, name: str) -> SapEntity:
        if name not in self._entities:
            cls = ENTITIES.get(name)
            if cls is None:
                known = ", ".join(sorted(ENTITIES))
                raise PermanentError(f"sap_s4hana does not hold {name!r} (it holds: {known})")
            chosen = (self.options.get("fields") or {}).get(name)
            self._entities[name] = cls(self.api, self.sap, chosen)
        return self._entities[name]

    def read_changes(self, entity: str, since: Cursor | None, *, page_size: int = 500) -> Iterator[Page]:
        return self.entity(entity).read_changes(since, page_size)

    def read_by_ids(self, entity: str, ids: Sequence[str]) -> list[NativeRecord]:
        return self.entity(entity).read_by_ids(ids)

    def write_batch(self, entity: str, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        handler = self.entity(entity)
        return [self._write_one(handler, request) for request in requests]

    def server_time(self) -> datetime | None:
        """SAP's clock (its HTTP ``Date``): change stamps are SAP's, so read windows are anchored in it."""
        return self.api.server_time()

    def record_url(self, entity: str, record_id: str) -> str | None:
        """The record in the Fiori launchpad (``fiori_url`` option, default ``<host>/sap/bc/ui2/flp``)."""
        cls = ENTITIES.get(entity)
        if cls is None:
            return None
        key = {cls.key[0]: record_id} if len(cls.key) == 1 else parse_composite_key(cls.key, record_id)
        launchpad = self._option("fiori_url") or self.sap.base_url.rstrip("/") + LAUNCHPAD_PATH
        return fiori_link(str(launchpad), entity, key or {}, self._option("fiori_intents"))

    def _option(self, name: str) -> Any:
        return self.options.get(name) or self.settings.extra.get(name)

    def close(self) -> None:
        self.api.close()
        self._entities.clear()

    @staticmethod
    def _write_one(entity: SapEntity, request: WriteRequest) -> WriteResult:
        who = f"{entity.name} {request.id or request.ref}"

        def failed(error: str, *, field: str | None = None, transient: bool = False) -> WriteResult:
            return WriteResult(
                request.ref, False, request.id, f"{who}: {error}", field=field, transient=transient
            )

        try:
            record_id = entity.write(request)
        except RecordRefused as exc:
            return failed(str(exc), field=exc.field)
        except Concurrent:
            return failed(
                "changed in SAP after SyncHub read it (a newer ETag or change stamp); nothing was written, "
                "the next run reads it again and merges",
                transient=True,
            )
        except HttpError as exc:
            text, target = gateway_message(exc.response)
            status = exc.response.status_code
            return failed(
                f"SAP refused the {request.op} (HTTP {status}): {text}",
                field=target,
                transient=is_transient(status),
            )
        except TransientError as exc:
            return failed(str(exc), transient=True)
        except PermanentError as exc:
            return failed(str(exc))
        except PyODataException as exc:  # e.g. a value pyodata cannot put in SAP's wire form
            return failed(f"{exc}; fix the sap_s4hana mapping")
        return WriteResult(request.ref, True, record_id)
