"""What a mapping needs from the outside world: reference lookups through the store's links."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class MappingContext(Protocol):
    """The engine passes one per run; mappings never touch the database themselves."""

    system: str
    """The system the native records belong to (``erp``, ``crm``)."""

    def canonical_id(self, entity: str, external_id: str) -> str | None:
        """The canonical id linked to ``external_id`` of ``entity`` in :attr:`system`, if any."""
        ...

    def external_id(self, entity: str, canonical_id: str) -> str | None:
        """The id in :attr:`system` of the canonical record, if it has been synced there."""
        ...


class PreviewContext:
    """Resolves every reference to a visible placeholder such as ``<ref customer:123>`` (no store)."""

    def __init__(self, system: str = "preview") -> None:
        self.system = system

    def canonical_id(self, entity: str, external_id: str) -> str | None:
        return f"<ref {entity}:{external_id}>"

    def external_id(self, entity: str, canonical_id: str) -> str | None:
        return f"<ref {entity}:{canonical_id}>"
