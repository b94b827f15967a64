"""Dotted paths into nested dicts, compiled once into small getter and setter closures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Getter = Callable[[dict[str, Any]], Any]
Setter = Callable[[dict[str, Any], Any], None]

ROOT_PREFIX = "/"
"""A native path starting with ``/`` reads the top-level record from inside a list item."""


def split_path(path: str) -> tuple[str, ...]:
    return tuple(path.removeprefix(ROOT_PREFIX).split("."))


def compile_getter(path: str) -> Getter:
    """A function returning the value at ``path`` (``None`` when any part is missing)."""
    keys = split_path(path)
    if len(keys) == 1:
        (key,) = keys

        def get1(record: dict[str, Any]) -> Any:
            return record.get(key)

        return get1
    if len(keys) == 2:
        first, second = keys

        def get2(record: dict[str, Any]) -> Any:
            inner = record.get(first)
            return None if inner is None else inner.get(second)

        return get2

    def get_n(record: dict[str, Any]) -> Any:
        value: Any = record
        for key in keys:
            value = value.get(key)
            if value is None:
                return None
        return value

    return get_n


def compile_setter(path: str) -> Setter:
    """A function storing a value at ``path``, creating the intermediate dicts."""
    keys = split_path(path)
    if len(keys) == 1:
        (key,) = keys

        def set1(record: dict[str, Any], value: Any) -> None:
            record[key] = value

        return set1
    *parents, last = keys

    def set_n(record: dict[str, Any], value: Any) -> None:
        target = record
        for key in parents:
            target = target.setdefault(key, {})
        target[last] = value

    return set_n
