"""What a service's ``$metadata`` allows a client to do, enforced on every request.

SAP's annotations (defaults per "SAP Annotations for OData Version 2.0"):

- entity set ``sap:creatable`` / ``sap:updatable`` / ``sap:deletable``: POST / PATCH-MERGE-PUT /
  DELETE on the set's own URLs. Entities of a non-creatable set can still be created *through a
  navigation property* (deep insert, or POST to ``Parent(...)/to_Child``) unless that navigation
  property says ``sap:creatable="false"``: SAP documents e.g. item pricing elements (their set is
  not creatable) as created inside the sales order's deep insert.
- property ``sap:creatable`` / ``sap:updatable``: whether a request body may carry it on create /
  on update (keys may be repeated with their own value on update);
- property ``sap:filterable`` / ``sap:sortable``: whether ``$filter`` / ``$orderby`` may use it;
- ``ConcurrencyMode="Fixed"``: the entity has an ETag; changes need ``If-Match`` (428 without).
  Where no property declares it, SAP hands out no ETag, and an ``If-Match`` is refused: a client that
  sends one believes in a protection the service does not give.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from tests.emulators.sap.errors import SapError
from tests.emulators.sap.metadata import EntitySet, EntityType, ServiceModel

__all__ = [
    "check_body",
    "check_filterable",
    "check_if_match",
    "check_operation",
    "check_sortable",
    "expand_tree",
    "selected",
]

Operation = Literal["create", "update", "delete"]
_FLAG = {"create": "creatable", "update": "updatable", "delete": "deletable"}


def _refuse(status: int, code: str, message: str, target: str = "") -> SapError:
    return SapError(status, code, message, target, kind="contract")


def check_operation(entity_set: EntitySet, operation: Operation) -> None:
    """The entity set's own capability annotation for a request on its URL."""
    flag = _FLAG[operation]
    if not getattr(entity_set, flag):
        raise _refuse(
            405,
            "/IWBEP/CM_MGW_RT/051",
            f"Operation '{operation}' is not allowed on entity set '{entity_set.name}' "
            f'(sap:{flag}="false" in the service metadata)',
        )


def check_body(
    model: ServiceModel,
    etype: EntityType,
    body: Mapping[str, Any],
    operation: Literal["create", "update"],
    key: Mapping[str, Any] | None = None,
) -> None:
    """Every name is a property (or, on create, a creatable navigation) the operation may set."""
    for name, value in body.items():
        if name == "__metadata":
            continue
        nav = etype.navs.get(name)
        if nav is not None:
            if operation == "update":
                raise _refuse(
                    400,
                    "/IWBEP/CM_MGW_RT/024",
                    f"Navigation property '{name}' cannot be changed with an update (no deep update)",
                    name,
                )
            if not nav.creatable:
                raise _refuse(
                    400,
                    "/IWBEP/CM_MGW_RT/051",
                    f"Entities cannot be created through navigation property '{name}' "
                    f'(sap:creatable="false")',
                    name,
                )
            child = model.types[nav.target_type]
            items = value.get("results", value) if isinstance(value, dict) else value
            for item in items if isinstance(items, list) else [items]:
                if isinstance(item, dict):
                    check_body(model, child, item, "create")
            continue
        prop = etype.properties.get(name)
        if prop is None:
            raise _refuse(
                400,
                "/IWBEP/CM_MGW_RT/020",
                f"Property '{name}' is invalid: it is not defined for entity type '{etype.name}'",
                name,
            )
        if operation == "create" and not prop.creatable:
            raise _refuse(
                400,
                "/IWBEP/CM_MGW_RT/052",
                f"Property '{name}' of '{etype.name}' cannot be set on create (sap:creatable=\"false\"); "
                "SAP fills it itself",
                name,
            )
        if operation == "update" and not prop.updatable:
            if key is not None and name in key and _same_key(key[name], value):
                continue
            raise _refuse(
                400,
                "/IWBEP/CM_MGW_RT/053",
                f"Property '{name}' of '{etype.name}' cannot be changed (sap:updatable=\"false\")",
                name,
            )
        if operation == "update" and key is not None and name in key and not _same_key(key[name], value):
            raise _refuse(400, "/IWBEP/CM_MGW_RT/053", f"Key property '{name}' cannot be changed", name)


def _same_key(current: Any, sent: Any) -> bool:
    return str(current) == str(sent)


def check_filterable(etype: EntityType, names: list[str]) -> None:
    for name in names:
        if not etype.properties[name].filterable:
            raise _refuse(
                400,
                "/IWBEP/CM_MGW_RT/054",
                f"Property '{name}' of '{etype.name}' cannot be used in $filter (sap:filterable=\"false\")",
                name,
            )


def check_sortable(etype: EntityType, keys: list[tuple[str, bool]]) -> None:
    for name, _ in keys:
        if not etype.properties[name].sortable:
            raise _refuse(
                400,
                "/IWBEP/CM_MGW_RT/055",
                f"Property '{name}' of '{etype.name}' cannot be used in $orderby (sap:sortable=\"false\")",
                name,
            )


def check_if_match(etype: EntityType, sent: str | None, current: str | None) -> None:
    """ETags where the metadata declares them, and only there; 412 when the sent one is stale."""
    if etype.etag_property is None:
        if sent is not None:
            raise _refuse(
                400,
                "/IWBEP/CM_MGW_RT/160",
                f"Entity type '{etype.name}' declares no concurrency token (ConcurrencyMode); "
                "the service does no optimistic locking for it: send no If-Match",
            )
        return
    if sent is None:
        raise _refuse(
            428, "/IWBEP/CM_MGW_RT/194", "Precondition required: send the entity's ETag in If-Match"
        )
    if sent != "*" and sent != current:
        raise SapError(
            412,
            "/IWBEP/CM_MGW_RT/195",
            "The data has been changed by another user since it was read (ETag mismatch); read it again",
            kind="protocol",
        )


def expand_tree(text: str, etype: EntityType, model: ServiceModel) -> dict[str, Any]:
    """``to_Item,to_Item/to_PricingElement`` -> {"to_Item": {"to_PricingElement": {}}}; checked."""
    tree: dict[str, Any] = {}
    for path in filter(None, (p.strip() for p in text.split(","))):
        node, current = tree, etype
        for step in path.split("/"):
            if step not in current.navs:
                raise _refuse(
                    400,
                    "/IWBEP/CM_MGW_RT/021",
                    f"Navigation property '{step}' not found in {current.name}",
                    step,
                )
            node = node.setdefault(step, {})
            current = model.types[current.navs[step].target_type]
    return tree


def selected(text: str | None, etype: EntityType) -> set[str] | None:
    """``$select`` names (keys always included); None when everything is selected."""
    if not text or text == "*":
        return None
    names = {n.strip() for n in text.split(",") if n.strip()}
    for name in names:
        head = name.split("/")[0]
        if head not in etype.properties and head not in etype.navs:
            raise _refuse(
                400, "/IWBEP/CM_MGW_RT/021", f"Property '{name}' not found in type '{etype.name}'", name
            )
    return {n for n in names if "/" not in n} | set(etype.keys)
