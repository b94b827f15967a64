"""What the service's own ``$metadata`` allows, checked before a request leaves.

SAP publishes, per entity set and property, whether a client may create, update, delete, filter or
sort (``sap:creatable`` and friends; pyodata reads them). A write the metadata forbids would be
refused by SAP anyway; refusing it here names the record, the property and the fix instead of a
bare HTTP 400/405, and the connector never relies on a system that silently accepts more.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from connectors.base import PermanentError
from connectors.sap_s4hana.errors import RecordRefused

__all__ = ["require_body", "require_operation", "require_query"]

_FLAG = {"create": "creatable", "update": "updatable", "delete": "deletable"}


def require_operation(
    service: str, entity_set: Any, operation: Literal["create", "update", "delete"]
) -> None:
    flag = _FLAG[operation]
    if not getattr(entity_set, flag):
        raise RecordRefused(
            f"SAP does not allow to {operation} {entity_set.name} ({service} $metadata: sap:{flag}=false)"
        )


def require_body(
    etype: Any,
    data: Mapping[str, Any],
    operation: Literal["create", "update"],
    keys: Iterable[str] = (),
) -> None:
    """Every name is a property the operation may set (or, on create, a navigation to deep-insert)."""
    navs = {n.name for n in etype.nav_proprties}
    keys = set(keys)
    for name, value in data.items():
        if name in navs:
            if operation == "update":
                raise RecordRefused(f"{etype.name}.{name} cannot be changed by an update", name)
            child = etype.nav_proprty(name).to_role.entity_type
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, Mapping):
                    require_body(child, item, "create")
            continue
        try:
            prop = etype.proprty(name)
        except KeyError:
            raise RecordRefused(
                f"property {name!r} is not defined for {etype.name} in SAP's metadata; "
                "fix the sap_s4hana mapping",
                name,
            ) from None
        if operation == "create" and not prop.creatable:
            raise RecordRefused(
                f"{etype.name}.{name} is filled by SAP (sap:creatable=false) and cannot be sent on create; "
                "write it from the mapping with direction: to_canonical",
                name,
            )
        if operation == "update" and not prop.updatable and name not in keys:
            raise RecordRefused(
                f"{etype.name}.{name} cannot be changed (sap:updatable=false); "
                "write it from the mapping with direction: to_canonical",
                name,
            )


def require_query(etype: Any, filtered: Iterable[str], sorted_by: Iterable[str]) -> None:
    """The properties a read filters and sorts on allow it; else the read cannot work at all."""
    for name in filtered:
        if not etype.proprty(name).filterable:
            raise PermanentError(
                f"sap_s4hana: {etype.name}.{name} is not filterable on this SAP system "
                "(sap:filterable=false); SyncHub cannot read its changes"
            )
    for name in sorted_by:
        if not etype.proprty(name).sortable:
            raise PermanentError(
                f"sap_s4hana: {etype.name}.{name} is not sortable on this SAP system (sap:sortable=false); "
                "SyncHub cannot page through it"
            )
