"""What the emulator knows of a service: parsed from SAP's own ``$metadata`` (EDMX) document.

Besides the entity types, it keeps SAP's annotations that say what a client may do
(``sap:creatable``, ``sap:updatable``, ``sap:deletable`` on entity sets and properties,
``sap:filterable``, ``sap:sortable``, ``sap:display-format``) and the facets that say what a value
may be (``Nullable``, ``MaxLength``, ``Precision``, ``Scale``, ``ConcurrencyMode``). Annotations
that are absent take the defaults of SAP's "Annotations for OData Version 2.0".
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["EntitySet", "EntityType", "NavProperty", "Property", "ServiceModel", "load_service"]

EDM = "{http://schemas.microsoft.com/ado/2008/09/edm}"
SAP = "{http://www.sap.com/Protocols/SAPData}"


@dataclass(frozen=True)
class Property:
    name: str
    type: str
    nullable: bool = True
    max_length: int | None = None
    precision: int | None = None
    scale: int | None = None
    concurrency: bool = False
    date_only: bool = False
    upper_case: bool = False
    non_negative: bool = False
    creatable: bool = True
    updatable: bool = True
    filterable: bool = True
    sortable: bool = True


@dataclass(frozen=True)
class NavProperty:
    name: str
    target_type: str
    many: bool
    creatable: bool = True


@dataclass
class EntityType:
    name: str
    keys: tuple[str, ...]
    properties: dict[str, Property]
    navs: dict[str, NavProperty]

    @property
    def etag_property(self) -> str | None:
        """The property SAP marks ``ConcurrencyMode="Fixed"``: its value is the ETag. None: the type
        declares no optimistic locking, so SAP hands out no ETag for it."""
        return next((p.name for p in self.properties.values() if p.concurrency), None)


@dataclass
class EntitySet:
    name: str
    type: EntityType
    creatable: bool = True
    updatable: bool = True
    deletable: bool = True


@dataclass
class ServiceModel:
    name: str
    namespace: str
    xml: bytes
    types: dict[str, EntityType] = field(default_factory=dict)
    sets: dict[str, EntitySet] = field(default_factory=dict)

    def set_of_type(self, type_name: str) -> EntitySet:
        for entity_set in self.sets.values():
            if entity_set.type.name == type_name:
                return entity_set
        raise KeyError(f"no entity set of type {type_name} in {self.name}")


def _allowed(node: ET.Element, annotation: str) -> bool:
    """SAP's capability annotations default to true; only an explicit "false" forbids."""
    return node.get(f"{SAP}{annotation}") != "false"


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


def _property(p: ET.Element) -> Property:
    display = p.get(f"{SAP}display-format")
    return Property(
        name=p.get("Name", ""),
        type=p.get("Type", ""),
        nullable=p.get("Nullable") != "false",
        max_length=_int(p.get("MaxLength")),
        precision=_int(p.get("Precision")),
        scale=_int(p.get("Scale")),
        concurrency=p.get("ConcurrencyMode") == "Fixed",
        date_only=display == "Date",
        upper_case=display == "UpperCase",
        non_negative=display == "NonNegative",
        creatable=_allowed(p, "creatable"),
        updatable=_allowed(p, "updatable"),
        filterable=_allowed(p, "filterable"),
        sortable=_allowed(p, "sortable"),
    )


def load_service(path: Path) -> ServiceModel:
    """Parse one EDMX file; the service name is the file name (``API_SALES_ORDER_SRV.edmx``)."""
    xml = path.read_bytes()
    if not xml.strip():
        raise ValueError(f"{path} is empty: it holds no $metadata to emulate the service from")
    root = ET.fromstring(xml)
    schema = next(root.iter(f"{EDM}Schema"))
    namespace = schema.get("Namespace", "")
    ends: dict[tuple[str, str], tuple[str, str]] = {}
    for assoc in schema.iter(f"{EDM}Association"):
        for end in assoc.iter(f"{EDM}End"):
            ends[(assoc.get("Name", ""), end.get("Role", ""))] = (
                end.get("Type", "").rsplit(".", 1)[-1],
                end.get("Multiplicity", "1"),
            )
    model = ServiceModel(path.stem, namespace, xml)
    for node in schema.iter(f"{EDM}EntityType"):
        keys = tuple(k.get("Name", "") for k in node.iter(f"{EDM}PropertyRef"))
        props = {p.get("Name", ""): _property(p) for p in node.findall(f"{EDM}Property")}
        navs = {}
        for n in node.findall(f"{EDM}NavigationProperty"):
            assoc_name = n.get("Relationship", "").rsplit(".", 1)[-1]
            target, multiplicity = ends[(assoc_name, n.get("ToRole", ""))]
            name = n.get("Name", "")
            navs[name] = NavProperty(name, target, multiplicity == "*", _allowed(n, "creatable"))
        name = node.get("Name", "")
        model.types[name] = EntityType(name, keys, props, navs)
    for container in schema.iter(f"{EDM}EntityContainer"):
        for s in container.findall(f"{EDM}EntitySet"):
            type_name = s.get("EntityType", "").rsplit(".", 1)[-1]
            model.sets[s.get("Name", "")] = EntitySet(
                s.get("Name", ""),
                model.types[type_name],
                creatable=_allowed(s, "creatable"),
                updatable=_allowed(s, "updatable"),
                deletable=_allowed(s, "deletable"),
            )
    return model
