"""The reviewed escape hatch: named Python hooks for the rare value a declarative rule cannot express.

Mapping files only *name* a hook (``hook: vat_prefix``); the code lives in a Python package that is
reviewed like any other code, and registers itself either by calling :func:`register_hook` at import
time or through the ``synchub.mapping_hooks`` entry-point group (the entry point names a
:class:`Hook`). A hook is a pair of pure functions on one value; it never sees the store or the network.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

ENTRY_POINT_GROUP = "synchub.mapping_hooks"


@dataclass(frozen=True)
class Hook:
    """``to_canonical`` turns a native value into a canonical one; ``to_native`` undoes it (optional)."""

    name: str
    to_canonical: Callable[[Any], Any]
    to_native: Callable[[Any], Any] | None = None
    doc: str = ""


_registry: dict[str, Hook] = {}
_entry_points_loaded = False


def register_hook(
    name: str,
    to_canonical: Callable[[Any], Any],
    to_native: Callable[[Any], Any] | None = None,
    *,
    doc: str = "",
) -> Hook:
    """Make ``name`` usable as ``hook: name`` in mapping files. Names are unique."""
    existing = _registry.get(name)
    hook = Hook(name, to_canonical, to_native, doc)
    if existing is not None and existing != hook:
        raise ValueError(f"mapping hook {name!r} is already registered by {existing.to_canonical.__module__}")
    _registry[name] = hook
    return hook


def unregister_hook(name: str) -> None:
    """Remove a hook (tests use it to leave the registry as they found it)."""
    _registry.pop(name, None)


def _load_entry_points() -> None:
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        hook = ep.load()
        if isinstance(hook, Hook):
            _registry.setdefault(ep.name, hook)


def get_hook(name: str) -> Hook | None:
    _load_entry_points()
    return _registry.get(name)


def hook_names() -> list[str]:
    _load_entry_points()
    return sorted(_registry)
