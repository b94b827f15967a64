"""A page's native hashes equal each record's own native hash, whatever the values hold."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import orjson

from connectors.base import NativeRecord
from sync_engine.run.sides import _NATIVE_OPTIONS, _native_bytes
from tests.run.conftest import World


def test_a_pages_hashes_are_each_records_hash_for_any_keys_and_values(world: World) -> None:
    side = world.context().sides["erp"]
    records = [
        NativeRecord("plain", {"b": 1, "a": {"y": [1, None], "x": "Müller"}}),
        NativeRecord("number keys", {"lines": {1: "one", 2: "two"}}),
        NativeRecord("decimal", {"amount": Decimal("12.50")}),
        NativeRecord("time", {"at": datetime(2026, 12, 1, 6, 0, tzinfo=UTC)}),
        NativeRecord("gone", {}, deleted=True),
    ]

    hashes = side.native_hashes(records)

    assert hashes == {rec.id: side.native_hash(rec.data) for rec in records if not rec.deleted}
    assert hashes["plain"] == side.native_hash({"a": {"x": "Müller", "y": [1, None]}, "b": 1}), "key order"
    assert hashes["decimal"] != side.native_hash({"amount": Decimal("12.5")})


def test_text_keyed_records_hash_the_same_bytes_as_before_the_fast_path() -> None:
    """Hashes stored by earlier versions stay valid: the fast path changes no byte."""
    data = {"b": 1, "a": {"y": [1, None, 2.5], "x": "Müller 名"}, "c": True}
    assert _native_bytes(data) == orjson.dumps(data, option=_NATIVE_OPTIONS, default=str)
    assert _native_bytes({"lines": {1: "one"}}) == b'{"lines":{"1":"one"}}'
