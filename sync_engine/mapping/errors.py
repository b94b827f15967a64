"""Errors of the mapping layer: one record failed to map, or a mapping file is wrong."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sync_engine.problems import Problem


class MappingError(Exception):
    """One record could not be mapped; the batch goes on and the engine dead-letters this record.

    ``field`` is the canonical path (``addresses[1].city``), ``native_field`` the native path,
    ``reason`` what went wrong and ``value`` the offending value.
    """

    def __init__(
        self,
        reason: str,
        *,
        field: str | None = None,
        native_field: str | None = None,
        value: Any = None,
        fix: str | None = None,
        mapping: str | None = None,
    ) -> None:
        self.reason = reason
        self.field = field
        self.native_field = native_field
        self.value = value
        self.fix = fix
        self.mapping = mapping
        super().__init__(reason)

    def __str__(self) -> str:
        where = f"canonical field {self.field!r}" if self.field else "the record"
        if self.native_field:
            where += f" (native field {self.native_field!r})"
        text = f"{where}: {self.reason}"
        if self.mapping:
            text += f" [mapping {self.mapping}]"
        fix = self.fix or "correct the record in its source system or adjust the mapping file"
        return f"{text}; fix: {fix}."

    def located(self, *, field: str | None = None, native_field: str | None = None) -> MappingError:
        """Prefix the paths with where the failing item sits (e.g. a list item), keeping the type."""
        self.field = _join(field, self.field)
        self.native_field = _join(native_field, self.native_field)
        return self


def _join(prefix: str | None, path: str | None) -> str | None:
    if not prefix:
        return path
    if not path:
        return prefix
    return f"{prefix}.{path}"


class UnresolvedReference(MappingError):
    """The linked record is not synced yet: the engine defers this record to the next run.

    Reading (native -> canonical) sets ``external_id``; writing (canonical -> native) sets ``canonical_id``.
    """

    def __init__(
        self,
        *,
        entity: str,
        system: str | None,
        external_id: str | None = None,
        canonical_id: str | None = None,
        field: str | None = None,
        native_field: str | None = None,
    ) -> None:
        self.entity = entity
        self.system = system
        self.external_id = external_id
        self.canonical_id = canonical_id
        if external_id is not None:
            reason = (
                f"{entity} {external_id!r} of system {system!r} is not linked to a canonical {entity} yet"
            )
            value: Any = external_id
        else:
            reason = f"canonical {entity} {canonical_id!r} has no record in system {system!r} yet"
            value = canonical_id
        super().__init__(
            reason,
            field=field,
            native_field=native_field,
            value=value,
            fix=f"sync the {entity} first; the record is retried on the next run",
        )


class MappingFileError(ValueError):
    """A mapping file failed validation; ``problems`` say where (``file:line``) and how to fix it."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("invalid mapping file:\n" + "\n".join(f"  {p}" for p in self.problems))
