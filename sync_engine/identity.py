"""Identity of records: normalised natural keys, content hashes and the index used for matching.

Two systems rarely spell a key the same way ("ACME  GmbH" vs "acme gmbh", full-width digits in a
Japanese tax id), so every comparison of keys goes through :func:`normalise`.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any, Literal

import orjson

__all__ = ["KeyIndex", "LabelledKey", "natural_key", "natural_keys", "normalise", "record_hash"]

LabelledKey = tuple[str, tuple[str, ...]]
"""A natural key with the name of the rule that produced it, e.g. ``("tax_id", ("de123",))``."""


def normalise(value: Any) -> str:
    """Comparable form of a key part: NFKC, case-folded, inner whitespace collapsed, stripped.

    ``None`` becomes ``""``. NFKC runs again after case folding because folding can produce
    sequences that are not NFKC-normal (e.g. some Greek and ligature characters).
    """
    if value is None:
        return ""
    return _normalise_text(value if isinstance(value, str) else str(value))


@lru_cache(maxsize=65536)
def _normalise_text(text: str) -> str:
    if text.isascii():  # NFKC leaves ASCII alone and casefold is lower(): skip the Unicode tables
        return " ".join(text.lower().split())
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return " ".join(text.split())


def _lookup(record: Any, path: str) -> Any:
    """Value at a dotted path; integer parts index lists (``contacts.0.email``). Missing -> None."""
    value = record
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit():
            index = int(part)
            value = value[index] if index < len(value) else None
        else:
            return None
        if value is None:
            return None
    return value


def natural_key(record: dict[str, Any], rule: Sequence[str]) -> tuple[str, ...] | None:
    """The normalised key of ``record`` under ``rule`` (field paths), or None if any part is empty."""
    parts: list[str] = []
    for path in rule:
        part = normalise(_lookup(record, path))
        if not part:
            return None
        parts.append(part)
    return tuple(parts) if parts else None


def natural_keys(record: dict[str, Any], rules: Sequence[Sequence[str]]) -> list[LabelledKey]:
    """Every rule that yields a key for ``record``, in rule order, labelled ``"a+b"`` by its paths."""
    keys: list[LabelledKey] = []
    for rule in rules:
        key = natural_key(record, rule)
        if key is not None:
            keys.append(("+".join(rule), key))
    return keys


def record_hash(record: dict[str, Any]) -> str:
    """Stable content hash of a record (canonical JSON form, or native): 32 hex characters.

    The bytes hashed are sorted-key compact JSON, UTF-8 (orjson gives exactly json.dumps' text for
    JSON values, so hashes stored by earlier versions still compare).
    """
    try:
        data = orjson.dumps(record, option=orjson.OPT_SORT_KEYS, default=str)
    except (orjson.JSONEncodeError, TypeError):  # e.g. non-string keys or ints beyond 64 bits
        data = json.dumps(
            record, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
        ).encode()
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class KeyIndex:
    """Natural key -> canonical ids, built in memory to match one page of unlinked records.

    Matching never guesses: when a key leads to several records, all of them are returned so the
    engine can open a 'duplicate' conflict.
    """

    def __init__(self) -> None:
        self._ids: dict[LabelledKey, list[str]] = {}

    @classmethod
    def build(cls, records: Iterable[tuple[str, dict[str, Any]]], rules: Sequence[Sequence[str]]) -> KeyIndex:
        """Index ``(canonical_id, record)`` pairs under every rule that applies to each record."""
        index = cls()
        for canonical_id, record in records:
            index.add(canonical_id, natural_keys(record, rules))
        return index

    def add(self, canonical_id: str, keys: Iterable[LabelledKey]) -> None:
        for key in keys:
            ids = self._ids.setdefault(key, [])
            if canonical_id not in ids:
                ids.append(canonical_id)

    def match(self, keys: Sequence[LabelledKey], *, mode: Literal["first", "all"] = "first") -> list[str]:
        """Candidate ids for a record's labelled keys (as from :func:`natural_keys`).

        ``first`` (default): rules are tried in order and the first rule that finds anything decides,
        so a unique tax id is not drowned by three customers sharing a name. ``all``: the union of
        every rule's candidates. Either way every candidate of the deciding rule(s) is returned.
        """
        found: list[str] = []
        for key in keys:
            for canonical_id in self._ids.get(key, ()):
                if canonical_id not in found:
                    found.append(canonical_id)
            if found and mode == "first":
                break
        return found

    def __len__(self) -> int:
        return len(self._ids)
