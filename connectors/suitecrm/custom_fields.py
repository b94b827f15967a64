"""The SuiteCRM fields SyncHub needs beyond the stock ones, and the Module Loader package that adds them.

SuiteCRM 7 has no field for an account's credit limit or payment terms, and no orders module: the ERP
order made from an accepted quote is reported back onto the quote. The V8 API cannot create fields,
so an administrator installs them once, the way SuiteCRM ships custom fields: a package for
Admin > Module Loader whose ``manifest.php`` lists them under ``$installdefs['custom_fields']``
(Studio keeps the same definitions in ``fields_meta_data`` and the columns in ``<table>_cstm``).

``python -m connectors.suitecrm.custom_fields synchub-fields.zip`` writes the package.
"""

from __future__ import annotations

import sys
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = ["DROPDOWNS", "FIELDS", "PACKAGE_ID", "PACKAGE_VERSION", "CustomField", "build_package"]

PACKAGE_ID = "synchub_fields"
PACKAGE_VERSION = "1.0.0"
SUITECRM_VERSIONS = r"^7\.1[0-4]\."
"""Releases whose Module Loader and custom-field storage this package was checked against (7.14.6)."""


@dataclass(frozen=True)
class CustomField:
    """One custom field as ``ModuleInstaller::install_custom_fields`` takes it."""

    module: str
    name: str
    """Column name; SuiteCRM requires the ``_c`` suffix of custom fields."""
    label: str
    type: Literal["varchar", "decimal", "enum", "date"]
    help: str
    length: int | None = None
    precision: int | None = None
    options: str | None = None
    """Dropdown list (``enum`` only), defined in :data:`DROPDOWNS`."""

    @property
    def label_key(self) -> str:
        return f"LBL_{self.name.removesuffix('_c').upper()}"


DROPDOWNS: dict[str, dict[str, str]] = {
    "synchub_cost_method_list": {
        "": "",
        "standard": "Standard",
        "average": "Average",
        "fifo": "FIFO",
        "actual": "Actual",
    },
    "synchub_order_status_list": {
        "": "",
        "draft": "Draft",
        "confirmed": "Confirmed",
        "processing": "Processing",
        "done": "Done",
        "cancelled": "Cancelled",
    },
    "synchub_delivery_status_list": {"": "", "none": "None", "partial": "Partial", "delivered": "Delivered"},
    "synchub_invoice_status_list": {
        "": "",
        "none": "None",
        "partial": "Partial",
        "invoiced": "Invoiced",
        "paid": "Paid",
    },
}

# Amounts use the precision of SuiteCRM's own currency columns (26,6).
FIELDS: tuple[CustomField, ...] = (
    CustomField(
        "Accounts",
        "synchub_credit_limit_c",
        "Credit limit (ERP)",
        "decimal",
        "Credit limit kept by the ERP; SyncHub overwrites changes made here.",
        length=26,
        precision=6,
    ),
    CustomField(
        "Accounts",
        "synchub_payment_terms_c",
        "Payment terms (ERP)",
        "varchar",
        "Payment terms kept by the ERP.",
        length=100,
    ),
    CustomField("Accounts", "synchub_tax_id_c", "Tax id", "varchar", "VAT or tax number.", length=64),
    CustomField(
        "AOS_Products",
        "synchub_cost_date_c",
        "Cost date (ERP)",
        "date",
        "Date from which the ERP's cost applies.",
    ),
    CustomField(
        "AOS_Products",
        "synchub_cost_method_c",
        "Cost method (ERP)",
        "enum",
        "How the ERP computes the cost.",
        length=32,
        options="synchub_cost_method_list",
    ),
    CustomField(
        "AOS_Quotes",
        "synchub_order_number_c",
        "ERP order number",
        "varchar",
        "Number of the ERP sales order made from this accepted quote.",
        length=64,
    ),
    CustomField(
        "AOS_Quotes",
        "synchub_order_status_c",
        "ERP order status",
        "enum",
        "Status of the ERP sales order.",
        length=32,
        options="synchub_order_status_list",
    ),
    CustomField(
        "AOS_Quotes",
        "synchub_delivery_status_c",
        "ERP delivery status",
        "enum",
        "Delivery state of the ERP sales order.",
        length=32,
        options="synchub_delivery_status_list",
    ),
    CustomField(
        "AOS_Quotes",
        "synchub_invoice_status_c",
        "ERP invoice status",
        "enum",
        "Invoicing state of the ERP sales order.",
        length=32,
        options="synchub_invoice_status_list",
    ),
)


PhpValue = str | int | bool | None | Mapping[str, "PhpValue"] | list["PhpValue"]


def _php(value: PhpValue, indent: str = "") -> str:
    """A PHP literal; strings single-quoted (only ``\\`` and ``'`` need escaping there)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    inner = indent + "    "
    if isinstance(value, list):
        items = "".join(f"{inner}{_php(v, inner)},\n" for v in value)
    else:
        items = "".join(f"{inner}{_php(k)} => {_php(v, inner)},\n" for k, v in value.items())
    return f"array(\n{items}{indent})"


def _field_def(field: CustomField) -> dict[str, PhpValue]:
    definition: dict[str, PhpValue] = {
        "name": field.name,
        "label": field.label_key,
        "type": field.type,
        "module": field.module,
        "help": field.help,
        "comments": field.help,
        "default_value": "",
        "required": False,
        "reportable": True,
        "audited": True,
        "importable": "true",
        "duplicate_merge": False,
        "mass_update": False,
        "inline_edit": True,
    }
    if field.length is not None:
        definition["len"] = field.length
    if field.precision is not None:
        definition["precision"] = field.precision
        definition["ext1"] = str(field.precision)
    if field.options is not None:
        definition["ext1"] = field.options
        definition["options"] = field.options
    return definition


def manifest_php(fields: Iterable[CustomField] = FIELDS) -> str:
    fields = tuple(fields)
    manifest: dict[str, PhpValue] = {
        "name": "SyncHub fields",
        "description": "Fields SyncHub fills: credit limit, payment terms, tax id, product cost, ERP order.",
        "author": "SyncHub",
        "version": PACKAGE_VERSION,
        "published_date": "2026-11-30",
        "type": "module",
        "is_uninstallable": True,
        "acceptable_suitecrm_versions": {"regex_matches": [SUITECRM_VERSIONS]},
        "acceptable_sugar_versions": {"regex_matches": [r"^6\.5\."]},
    }
    installdefs: dict[str, PhpValue] = {
        "id": PACKAGE_ID,
        "custom_fields": [_field_def(f) for f in fields],
        "language": [
            {"from": f"<basepath>/language/{m}/en_us.lang.php", "to_module": m, "language": "en_us"}
            for m in _language_modules(fields)
        ],
    }
    return (
        "<?php\n"
        "// SyncHub custom fields for SuiteCRM (generated by connectors/suitecrm/custom_fields.py)\n"
        f"$manifest = {_php(manifest)};\n"
        f"$installdefs = {_php(installdefs)};\n"
    )


def _language_modules(fields: tuple[CustomField, ...]) -> list[str]:
    return ["application", *sorted({f.module for f in fields})]


def _language_php(module: str, fields: Iterable[CustomField]) -> str:
    if module == "application":
        lists = "".join(
            f"$app_list_strings[{_php(name)}] = {_php(dict(values))};\n" for name, values in DROPDOWNS.items()
        )
        return "<?php\n" + lists
    labels = "".join(
        f"$mod_strings[{_php(f.label_key)}] = {_php(f.label)};\n" for f in fields if f.module == module
    )
    return "<?php\n" + labels


def build_package(path: Path, fields: Iterable[CustomField] = FIELDS) -> Path:
    """Write the Module Loader zip to ``path`` (deterministic: same fields, same bytes)."""
    fields = tuple(fields)
    files = {"manifest.php": manifest_php(fields)}
    for module in _language_modules(fields):
        files[f"language/{module}/en_us.lang.php"] = _language_php(module, fields)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 11, 30, 0, 0, 0))
            info.external_attr = 0o644 << 16
            archive.writestr(info, text)
    return path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m connectors.suitecrm.custom_fields OUT.zip", file=sys.stderr)
        return 2
    out = build_package(Path(args[0]))
    print(f"wrote {out}: install it in SuiteCRM under Admin > Module Loader")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
