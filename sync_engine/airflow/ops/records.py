"""Records people recognise: a display name, each system's id and a link into each system's UI.

The name comes from the link's last synced snapshot (a customer's name, a product's SKU, an order's
number); a record SyncHub never linked (a dead letter of a new record) is named from its native
payload through the flow's mapping, without touching the store. Links come from the connectors'
``record_url``; building a connector needs its connection, and a system whose connector cannot be
built (or whose ``record_url`` fails) simply gets no links, never a broken page.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from connectors.base import Connector
from sync_engine.config import Config
from sync_engine.flows import open_connector
from sync_engine.mapping import load_mapping
from sync_engine.mapping.context import PreviewContext
from sync_engine.reporting.names import display_name, text
from sync_engine.store import AuditEntry, ConflictRecord, DeadLetterRecord, LinkRecord, Store

__all__ = ["ConnectorPool", "RecordRef", "Records", "SystemRef"]

log = logging.getLogger("synchub.ops")
# references that name a record better than its own fields do (a cost is named by its product)
_NAMED_BY = {"product_cost": ("product_id", "product")}
_OWNER = {"quote": "customer_id", "sales_order": "customer_id", "complaint": "customer_id"}


@dataclass
class SystemRef:
    """A record's identity in one system."""

    system: str
    role: str | None
    connector: str
    id: str | None
    url: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "role": self.role,
            "connector": self.connector,
            "id": self.id,
            "url": self.url,
        }


@dataclass
class RecordRef:
    """What the ops page shows of a record instead of its canonical id."""

    entity: str
    name: str | None
    canonical_id: str | None
    systems: list[SystemRef] = field(default_factory=list)
    owner: str | None = None
    """For quotes, orders and complaints: the customer's name."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "name": self.name,
            "canonical_id": self.canonical_id,
            "owner": self.owner,
            "systems": [s.as_dict() for s in self.systems],
        }


class ConnectorPool:
    """One connector per system, built on first use and kept; only ``record_url`` is ever called."""

    def __init__(self, config: Config, opener: Callable[[Config, str], Connector] = open_connector) -> None:
        self.config = config
        self._opener = opener
        self._built: dict[str, Connector | None] = {}
        self._lock = threading.Lock()

    def _get(self, system: str) -> Connector | None:
        with self._lock:
            if system not in self._built:
                try:
                    self._built[system] = self._opener(self.config, system)
                except Exception as exc:  # no connection configured here, connector missing, ...
                    log.warning("ops page: no record links for system %s: %s", system, exc)
                    self._built[system] = None
            return self._built[system]

    def url(self, system: str, entity: str, record_id: str | None) -> str | None:
        if not record_id or system not in self.config.systems:
            return None
        connector = self._get(system)
        if connector is None:
            return None
        try:
            url = connector.record_url(entity, record_id)
        except Exception as exc:  # a connector's bug must not break the page
            log.warning("ops page: %s record_url(%s, %s) failed: %s", system, entity, record_id, exc)
            return None
        return url if isinstance(url, str) and url.startswith(("http://", "https://")) else None

    def close(self) -> None:
        with self._lock:
            for connector in self._built.values():
                if connector is not None:
                    try:
                        connector.close()
                    except Exception as exc:  # closing is best effort
                        log.debug("closing %s failed: %s", connector.name, exc)
            self._built.clear()


class Records:
    """Names, ids and links of the records behind conflicts, dead letters and audit entries."""

    def __init__(self, config: Config, store: Store, pool: ConnectorPool) -> None:
        self.config = config
        self.store = store
        self.pool = pool

    # -- building blocks ---------------------------------------------------------------------------
    def _systems(self, flow: str) -> list[tuple[str, str]]:
        """(role, system) of a flow, ERP first; none for a flow the config no longer has."""
        spec = self.config.flows.get(flow)
        return [] if spec is None else [("erp", spec.erp), ("crm", spec.crm)]

    def _ref(self, flow: str, entity: str, canonical_id: str | None, ids: dict[str, str]) -> RecordRef:
        ref = RecordRef(entity=entity, name=None, canonical_id=canonical_id)
        for role, system in self._systems(flow):
            record_id = ids.get(system)
            ref.systems.append(
                SystemRef(
                    system=system,
                    role=role,
                    connector=self.config.systems[system].connector,
                    id=record_id,
                    url=self.pool.url(system, entity, record_id),
                )
            )
        return ref

    def _links(self, by_flow: dict[str, set[str]]) -> dict[tuple[str, str], LinkRecord]:
        found: dict[tuple[str, str], LinkRecord] = {}
        for flow, cids in by_flow.items():
            for cid, link in self.store.get_links(flow, cids).items():
                found[(flow, cid)] = link
        return found

    def _names_of(self, entity: str, canonical_ids: Iterable[str]) -> dict[str, str]:
        """Display names of records of ``entity`` in whichever flow syncs them."""
        wanted = set(canonical_ids)
        names: dict[str, str] = {}
        for flow, spec in self.config.flows.items():
            if spec.entity != entity or not wanted - names.keys():
                continue
            for cid, link in self.store.get_links(flow, wanted - names.keys()).items():
                name = display_name(entity, link.snapshot)
                if name:
                    names[cid] = name
        return names

    def _name(self, refs: list[tuple[RecordRef, dict[str, Any] | None]]) -> None:
        """Fill names (and owners) from canonical records, following references in bulk."""
        wanted: dict[str, set[str]] = defaultdict(set)
        for ref, record in refs:
            if not record:
                continue
            named_by = _NAMED_BY.get(ref.entity)
            if named_by and text(record.get(named_by[0])):
                wanted[named_by[1]].add(str(record[named_by[0]]))
            owner = _OWNER.get(ref.entity)
            if owner and text(record.get(owner)):
                wanted["customer"].add(str(record[owner]))
        names = {entity: self._names_of(entity, cids) for entity, cids in wanted.items()}
        for ref, record in refs:
            if not record:
                continue
            ref.name = display_name(ref.entity, record)
            named_by = _NAMED_BY.get(ref.entity)
            if named_by:
                target = names.get(named_by[1], {}).get(str(record.get(named_by[0])))
                ref.name = f"cost of {target}" if target else ref.name
            owner = _OWNER.get(ref.entity)
            if owner:
                ref.owner = names.get("customer", {}).get(str(record.get(owner)))
                if ref.name is None and ref.owner:
                    ref.name = f"{ref.entity.replace('_', ' ')} of {ref.owner}"

    def _from_native(self, system: str, entity: str, native: Any) -> dict[str, Any] | None:
        """A never-linked record's canonical form, mapped from its native payload (best effort)."""
        if not isinstance(native, dict) or system not in self.config.systems:
            return None
        try:
            mapping = load_mapping(self.config.mappings_dir, self.config.systems[system].connector, entity)
            record = mapping.to_canonical(native, PreviewContext(system))
        except Exception:  # a payload the mapping cannot read (the very reason it is a dead letter)
            return None
        return record if isinstance(record, dict) else None

    # -- what the routes ask for -------------------------------------------------------------------
    def for_conflicts(self, conflicts: list[ConflictRecord]) -> dict[int, RecordRef]:
        links = self._links(_group((c.flow, c.canonical_id) for c in conflicts if c.kind != "duplicate"))
        out: dict[int, RecordRef] = {}
        named: list[tuple[RecordRef, dict[str, Any] | None]] = []
        for c in conflicts:
            link = links.get((c.flow, c.canonical_id))
            ids = dict(link.external_ids) if link else {}
            record = link.snapshot if link else None
            if c.kind == "duplicate":  # canonical id "duplicate:<system>:<id>", the record in values
                _, _, rest = c.canonical_id.partition(":")
                system, _, external = rest.partition(":")
                ids = {system: external} if system and external else {}
                record = next(
                    (v for k, v in (c.values or {}).items() if k != "candidates" and isinstance(v, dict)),
                    None,
                )
            ref = self._ref(c.flow, c.entity, None if c.kind == "duplicate" else c.canonical_id, ids)
            named.append((ref, record))
            out[c.id] = ref
        self._name(named)
        return out

    def for_dead_letters(self, letters: list[DeadLetterRecord]) -> dict[int, RecordRef]:
        by_flow: dict[str, set[str]] = defaultdict(set)
        by_external: dict[tuple[str, str], set[str]] = defaultdict(set)
        for d in letters:
            payload = d.payload if isinstance(d.payload, dict) else {}
            if payload.get("canonical_id"):
                by_flow[d.flow].add(str(payload["canonical_id"]))
            elif d.external_id:
                by_external[(d.flow, d.system)].add(d.external_id)
        links = self._links(by_flow)
        linked_external: dict[tuple[str, str, str], LinkRecord] = {}
        for (flow, system), ids in by_external.items():
            for external, link in self.store.find_links(flow, system, ids).items():
                linked_external[(flow, system, external)] = link
        out: dict[int, RecordRef] = {}
        named: list[tuple[RecordRef, dict[str, Any] | None]] = []
        for d in letters:
            payload = d.payload if isinstance(d.payload, dict) else {}
            cid = payload.get("canonical_id")
            link = (
                links.get((d.flow, str(cid)))
                if cid
                else linked_external.get((d.flow, d.system, d.external_id or ""))
            )
            ids = dict(link.external_ids) if link else {}
            if d.external_id and not d.external_id.startswith("canonical:"):
                ids.setdefault(d.system, d.external_id)
            for source in payload.get("sources") or ():
                if isinstance(source, dict) and source.get("system") and source.get("id"):
                    ids.setdefault(str(source["system"]), str(source["id"]))
            ref = self._ref(d.flow, d.entity, link.canonical_id if link else cid, ids)
            record = (
                link.snapshot
                if link and link.snapshot
                else self._from_native(d.system, d.entity, payload.get("native"))
            )
            named.append((ref, record))
            out[d.id] = ref
        self._name(named)
        return out

    def for_canonical(self, entity: str, canonical_ids: Iterable[str]) -> dict[str, RecordRef]:
        """Records of ``entity`` by canonical id, from whichever flow syncs that entity."""
        wanted = set(canonical_ids)
        out: dict[str, RecordRef] = {}
        named: list[tuple[RecordRef, dict[str, Any] | None]] = []
        for flow, spec in self.config.flows.items():
            if spec.entity != entity or not wanted - out.keys():
                continue
            for cid, link in self.store.get_links(flow, wanted - out.keys()).items():
                out[cid] = self._ref(flow, entity, cid, dict(link.external_ids))
                named.append((out[cid], link.snapshot))
        self._name(named)
        return out

    def for_audit(self, entries: list[AuditEntry]) -> list[RecordRef]:
        """The record each audit entry wrote, named from its link in the entry's flow."""
        found: dict[tuple[str, str, str], LinkRecord] = {}
        for (flow, system), ids in _group(
            ((e.flow, e.system), e.external_id) for e in entries if e.external_id
        ).items():
            for external, link in self.store.find_links(flow, system, ids).items():
                found[(flow, system, external)] = link
        refs: list[RecordRef] = []
        named: list[tuple[RecordRef, dict[str, Any] | None]] = []
        for e in entries:
            link = found.get((e.flow, e.system, e.external_id or ""))
            ids = dict(link.external_ids) if link else {}
            if e.external_id:
                ids.setdefault(e.system, e.external_id)
            ref = self._ref(e.flow, e.entity, link.canonical_id if link else None, ids)
            named.append((ref, link.snapshot if link else None))
            refs.append(ref)
        self._name(named)
        return refs


def _group(pairs: Iterable[tuple[Any, str]]) -> dict[Any, set[str]]:
    grouped: dict[Any, set[str]] = defaultdict(set)
    for key, value in pairs:
        grouped[key].add(value)
    return grouped
