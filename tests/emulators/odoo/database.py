"""Rows per model, id sequences, and one transaction per RPC call (a failed call changes nothing).

As in PostgreSQL, sequences are not transactional: an id (or an order number) handed out by a call
that then failed is never handed out again.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

__all__ = ["Database"]

Row = dict[str, Any]


class Database:
    def __init__(self) -> None:
        self.tables: dict[str, dict[int, Row]] = defaultdict(dict)
        self._next_id: dict[str, int] = defaultdict(lambda: 1)
        self._sequences: dict[str, int] = defaultdict(int)
        self._undo: dict[tuple[str, int], Row | None] | None = None

    # -- transactions ---------------------------------------------------------------------------
    def begin(self) -> None:
        self._undo = {}

    def commit(self) -> None:
        self._undo = None

    def rollback(self) -> None:
        undo, self._undo = self._undo or {}, None
        for (model, record_id), before in undo.items():
            if before is None:
                self.tables[model].pop(record_id, None)
            else:
                self.tables[model][record_id] = before

    def _remember(self, model: str, record_id: int) -> None:
        if self._undo is None or (model, record_id) in self._undo:
            return
        row = self.tables[model].get(record_id)
        self._undo[(model, record_id)] = dict(row) if row is not None else None

    # -- rows -----------------------------------------------------------------------------------
    def next_id(self, model: str) -> int:
        value = self._next_id[model]
        self._next_id[model] = value + 1
        return value

    def next_number(self, sequence: str) -> int:
        self._sequences[sequence] += 1
        return self._sequences[sequence]

    def insert(self, model: str, record_id: int, row: Row) -> None:
        self._remember(model, record_id)
        self.tables[model][record_id] = dict(row)

    def update(self, model: str, record_id: int, changes: Row) -> None:
        self._remember(model, record_id)
        self.tables[model][record_id].update(changes)

    def delete(self, model: str, record_id: int) -> None:
        self._remember(model, record_id)
        self.tables[model].pop(record_id, None)

    def row(self, model: str, record_id: int) -> Row | None:
        return self.tables[model].get(record_id)

    def exists(self, model: str, record_id: Any) -> bool:
        return type(record_id) is int and record_id in self.tables[model]

    def ids(self, model: str) -> list[int]:
        return sorted(self.tables[model])
