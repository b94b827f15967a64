"""A world for the engine's property tests: two memory systems, a SQLite store, a reference model.

The reference model is the run algorithm of DESIGN.md restated per *leaf path* (``name``,
``addresses[invoice].city``, ``contacts[a@b.c].phone``): from the last synced base and what each side
holds now, it predicts what both sides hold after a run and which conflicts are open.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from connectors.memory import ManualClock, MemoryDatabase
from sync_engine.config import Config, load_config
from sync_engine.flows import run_flow
from sync_engine.identity import normalise
from sync_engine.mapping import load_mapping
from sync_engine.merge import RECORD_PATH
from sync_engine.model import LIST_KEYS, to_canonical_dict, validate_canonical
from sync_engine.report import RunReport
from sync_engine.retrying import RetryPolicy
from sync_engine.store import Store

REPO = Path(__file__).resolve().parents[2]
FLOW = "customers"
ROLES = ("erp", "crm")
FAST_RETRY = RetryPolicy(attempts=2, initial_wait=0.001, max_wait=0.01)

Flat = dict[str, Any]
"""A canonical customer as leaf path -> value."""

_template_db: Path | None = None


def _migrated_copy(target: Path) -> None:
    """A migrated state database at ``target``; migrating once per session keeps examples fast."""
    global _template_db
    if _template_db is None:
        folder = Path(tempfile.mkdtemp(prefix="synchub-props-template-"))
        atexit.register(shutil.rmtree, folder, True)
        _template_db = folder / "template.db"
        store = Store(f"sqlite:///{_template_db}")
        store.upgrade()
        store.close()
    shutil.copyfile(_template_db, target)


def set_native_field(data: dict[str, Any], what: str, value: Any) -> dict[str, Any]:
    """``data`` with one edited field, as a person editing the record in that system would."""
    if what == "name":
        data["company"]["name"] = value
    elif what == "phone":
        data["people"][0]["phone"] = value
    elif what == "credit_limit":
        data["finance"]["credit_limit"] = value
    elif what == "city":
        data["addresses"][0]["city"] = value
    elif what == "active":
        data["status"] = value
    else:
        raise ValueError(f"no edit rule for {what!r}")
    return data


def flatten(record: dict[str, Any]) -> Flat:
    """Leaf paths as the merge names them: list items by their normalised key, Money as one value."""
    out: Flat = {}
    for name, value in record.items():
        if name in LIST_KEYS:
            for item in value or ():
                key = next((normalise(item.get(k)) for k in LIST_KEYS[name] if normalise(item.get(k))), "")
                for sub, sub_value in item.items():
                    out[f"{name}[{key}].{sub}"] = sub_value
        else:
            out[name] = value
    return out


def top_field(path: str) -> str:
    return path.split("[", 1)[0].split(".", 1)[0]


@dataclass
class Expected:
    """What the model predicts one run leaves behind."""

    sides: dict[str, dict[str, Flat]]
    """role -> tax id -> flat record that side holds after the run (absent = no record)."""
    base: dict[str, Flat]
    """tax id -> the new base (last synced agreement)."""
    conflicts: dict[tuple[str, str], dict[str, Any]]
    """(tax id, path) -> {"erp": value, "crm": value} of each conflict open after the run."""
    creates: dict[str, int] = field(default_factory=lambda: {"erp": 0, "crm": 0})
    deletes: dict[str, int] = field(default_factory=lambda: {"erp": 0, "crm": 0})


@dataclass
class Policy:
    conflict_policy: str
    owners: dict[str, str]

    def winner(self, path: str, erp_at: datetime | None, crm_at: datetime | None) -> str | None:
        """Who wins a path both sides changed differently; None = held for a person."""
        owner = self.owners.get(top_field(path))
        if owner is not None:
            return owner
        return self.record_winner(erp_at, crm_at)

    def record_winner(self, erp_at: datetime | None, crm_at: datetime | None) -> str | None:
        if self.conflict_policy == "manual":
            return None
        if self.conflict_policy == "newest":
            return "crm" if erp_at is not None and crm_at is not None and crm_at > erp_at else "erp"
        return self.conflict_policy


def predict(
    policy: Policy,
    base: dict[str, Flat],
    now: dict[str, dict[str, Flat]],
    changed_at: dict[str, dict[str, datetime | None]],
    resolutions: dict[str, dict[str, Any]],
) -> Expected:
    """The outcome of one run, per DESIGN.md's run algorithm and merge rules.

    ``now``: role -> tax id -> flat record on that side before the run; ``changed_at``: role -> tax id
    -> when the side last changed it (a tombstone's time for a deleted record); ``resolutions``:
    tax id -> path -> value people chose and the run must apply.
    """
    out = Expected(sides={"erp": {}, "crm": {}}, base={}, conflicts={})

    def settle(tax: str, record: Flat | None) -> None:
        for role in ROLES:
            if record is None:
                if tax in now[role]:
                    out.deletes[role] += 1
            else:
                if tax not in now[role]:
                    out.creates[role] += 1
                out.sides[role][tax] = dict(record)
        if record is not None:
            out.base[tax] = dict(record)

    for tax in sorted({*base, *now["erp"], *now["crm"]}):
        erp, crm, old = now["erp"].get(tax), now["crm"].get(tax), base.get(tax)
        res = resolutions.get(tax, {})
        at = {role: changed_at[role].get(tax) for role in ROLES}
        if old is None:
            # Never synced: created on one side since the last run, it reaches the other.
            settle(tax, erp if erp is not None else crm)
        elif erp is not None and crm is not None:
            final = {"erp": {}, "crm": {}}
            new_base: Flat = {}
            for path in dict.fromkeys([*old, *erp, *crm]):
                b, e, c = old.get(path), erp.get(path), crm.get(path)
                if path in res:
                    value = res[path]
                elif e in (c, b):  # same on both sides, or only the crm changed it
                    value = c
                elif c == b:
                    value = e
                else:
                    winner = policy.winner(path, at["erp"], at["crm"])
                    if winner is None:
                        final["erp"][path], final["crm"][path], new_base[path] = e, c, b
                        out.conflicts[(tax, path)] = {"erp": e, "crm": c}
                        continue
                    value = e if winner == "erp" else c
                final["erp"][path] = final["crm"][path] = new_base[path] = value
            for role in ROLES:
                out.sides[role][tax] = final[role]
            out.base[tax] = new_base
        elif erp is None and crm is None:
            continue  # deleted on both sides
        else:
            holder = "erp" if erp is not None else "crm"
            record = erp if erp is not None else crm
            assert record is not None
            if RECORD_PATH in res:
                chosen = res[RECORD_PATH]
                settle(tax, flatten(chosen) if chosen is not None else None)
            elif record == old:
                settle(tax, None)  # deleted on one side, untouched on the other: delete it there too
            else:
                winner = policy.record_winner(at["erp"], at["crm"])
                if winner is None:
                    out.sides[holder][tax] = record
                    out.base[tax] = old
                    out.conflicts[(tax, RECORD_PATH)] = {"erp": erp, "crm": crm}
                else:
                    settle(tax, record if winner == holder else None)
    return out


class SyncWorld:
    """Two memory systems on one hand-driven clock, a fresh migrated store, and the flow's config."""

    def __init__(self, policy: Policy, *, run_gap: timedelta, tick: timedelta) -> None:
        MemoryDatabase.forget()
        self.root = Path(tempfile.mkdtemp(prefix="synchub-props-"))
        _migrated_copy(self.root / "state.db")
        doc = {
            "version": 1,
            "state": {"url": f"sqlite:///{self.root / 'state.db'}"},
            "mappings_dir": str(REPO / "mappings"),
            "systems": {"erp": {"connector": "memory"}, "crm": {"connector": "memory"}},
            "flows": {
                FLOW: {
                    "entity": "customer",
                    "erp": "erp",
                    "crm": "crm",
                    "match_keys": [["tax_id"]],
                    "field_owners": dict(policy.owners),
                    "conflict_policy": policy.conflict_policy,
                    "deletes": "propagate",  # the model above predicts hard deletes
                    "page_size": 7,
                    "batch_size": 5,
                }
            },
        }
        path = self.root / "synchub.yaml"
        path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        self.config: Config = load_config(path)
        self.store = Store(self.config.state.url)
        # Every edit and write moves the clock on by ``tick``, so change times are distinct and ordered.
        self.clock = ManualClock(step=tick)
        self.run_gap = run_gap
        self.dbs = {role: MemoryDatabase.named(role) for role in ROLES}
        for db in self.dbs.values():
            db.clock = self.clock
        self.mapping = load_mapping(REPO / "mappings", "memory", "customer")

    def close(self) -> None:
        self.store.close()
        MemoryDatabase.forget()
        shutil.rmtree(self.root, ignore_errors=True)

    def run(self) -> RunReport:
        self.clock.advance(self.run_gap)
        return run_flow(self.config, FLOW, self.store, retry=FAST_RETRY)

    def records(self, role: str) -> dict[str, tuple[str, Flat]]:
        """tax id -> (native id, flat canonical record) of one side; a repeated tax id is a duplicate."""
        out: dict[str, tuple[str, Flat]] = {}
        for record_id, data in self.dbs[role].all("customer").items():
            canonical = to_canonical_dict(validate_canonical("customer", self.mapping.to_canonical(data)))
            tax = canonical["tax_id"]
            assert tax not in out, f"{role} holds customer {tax} twice: {out[tax][0]} and {record_id}"
            out[tax] = (record_id, flatten(canonical))
        return out

    def flat(self, role: str) -> dict[str, Flat]:
        return {tax: rec for tax, (_, rec) in self.records(role).items()}

    def changed_at(self, role: str, ids: dict[str, str]) -> dict[str, datetime | None]:
        """When each customer (tax id -> native id) last changed on that side, tombstones included."""
        return {tax: self.dbs[role].modified_at("customer", record_id) for tax, record_id in ids.items()}

    def tax_by_canonical_id(self) -> dict[str, str]:
        return {
            link.canonical_id: link.snapshot["tax_id"]
            for link in self.store.iter_links(FLOW)
            if link.snapshot is not None
        }
