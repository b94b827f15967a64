"""What the emulator knows of a service: parsed from SAP's own ``$metadata`` (EDMX) document."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["EntitySet", "EntityType", "NavProperty", "Property", "ServiceModel", "load_service"]

EDM = "{http://schemas.microsoft.com/ado/2008/09/edm}"
SAP = "{http://www.sap.com/Protocols/SAPData}"
META = "{http://schemas.microsoft.com/ado/2007/08/dataservices/metadata}"


@dataclass(frozen=True)
class Property:
    name: str
    type: str
    nullable: bool = True
    max_length: int | None = None
    concurrency: bool = False
    date_only: bool = False


@dataclass(frozen=True)
class NavProperty:
    name: str
    target_type: str
    many: bool


@dataclass
class EntityType:
    name: str
    keys: tuple[str, ...]
    properties: dict[str, Property]
    navs: dict[str, NavProperty]

    @property
    def etag_property(self) -> str | None:
        """The property SAP marks ``ConcurrencyMode="Fixed"``: its value is the ETag."""
        return next((p.name for p in self.properties.values() if p.concurrency), None)


@dataclass
class EntitySet:
    name: str
    type: EntityType


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


def load_service(path: Path) -> ServiceModel:
    """Parse one EDMX file; the service name is the file name (``API_SALES_ORDER_SRV.edmx``)."""
    xml = path.read_bytes()
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
        props = {}
        for p in node.findall(f"{EDM}Property"):
            length = p.get("MaxLength")
            props[p.get("Name", "")] = Property(
                name=p.get("Name", ""),
                type=p.get("Type", ""),
                nullable=p.get("Nullable") != "false",
                max_length=int(length) if length and length.isdigit() else None,
                concurrency=p.get("ConcurrencyMode") == "Fixed",
                date_only=p.get(f"{SAP}display-format") == "Date",
            )
        navs = {}
        for n in node.findall(f"{EDM}NavigationProperty"):
            assoc_name = n.get("Relationship", "").rsplit(".", 1)[-1]
            target, multiplicity = ends[(assoc_name, n.get("ToRole", ""))]
            navs[n.get("Name", "")] = NavProperty(n.get("Name", ""), target, multiplicity == "*")
        name = node.get("Name", "")
        model.types[name] = EntityType(name, keys, props, navs)
    for container in schema.iter(f"{EDM}EntityContainer"):
        for s in container.findall(f"{EDM}EntitySet"):
            type_name = s.get("EntityType", "").rsplit(".", 1)[-1]
            model.sets[s.get("Name", "")] = EntitySet(s.get("Name", ""), model.types[type_name])
    return model
