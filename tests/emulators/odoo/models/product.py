"""``product``: templates, variants (``_inherits`` the template), categories, units, pricelists.

Creating a template creates its single variant; creating a variant creates its template from the
template fields of the values. ``default_code``, ``barcode`` and ``standard_price`` of a template are
its single variant's (inverse writes go to it); a variant's ``lst_price`` is the template's
``list_price`` (its inverse writes the template). Archiving a template archives its variants;
deleting a template's only variant deletes the template. ``type`` is 'consu'/'service'/'product'
up to 17 and 'consu'/'service'/'combo' plus ``is_storable`` from 18.
"""

from __future__ import annotations

from typing import Any, ClassVar

from tests.emulators.odoo.exceptions import ValidationError
from tests.emulators.odoo.fields import Field, renamed
from tests.emulators.odoo.orm import BaseModel

__all__ = ["MODELS"]


def _product_types(model: BaseModel) -> tuple[tuple[str, str], ...]:
    if model.env.registry.version <= 17:
        return (("consu", "Consumable"), ("service", "Service"), ("product", "Storable Product"))
    return (("consu", "Goods"), ("service", "Service"), ("combo", "Combo"))


def _default_uom(model: BaseModel) -> int:
    return 1


def _default_category(model: BaseModel) -> int:
    return 1


class Uom(BaseModel):
    _module = "product"
    _name = "uom.uom"
    _description = "Product Unit of Measure"
    _order = "name"
    _declared: ClassVar[dict[str, Field]] = {
        "name": Field("char", "Unit", required=True),
        "active": Field("boolean", "Active", default=True),
    }


class Category(BaseModel):
    _module = "product"
    _name = "product.category"
    _description = "Product Category"
    _order = "complete_name"
    _parent_name = "parent_id"
    _rec_name = "complete_name"
    _declared: ClassVar[dict[str, Field]] = {
        "name": Field("char", "Name", required=True),
        "complete_name": Field(
            "char",
            "Complete Name",
            compute="_compute_complete_name",
            depends=("name", "parent_id.complete_name"),
        ),
        "parent_id": Field("many2one", "Parent Category", relation="product.category", ondelete="cascade"),
    }

    def _compute_complete_name(self, i: int) -> str | None:
        row = self._row(i)
        if row.get("parent_id"):
            return f"{self._value(row['parent_id'], 'complete_name')} / {row.get('name')}"
        return row.get("name")


class Pricelist(BaseModel):
    _module = "product"
    _name = "product.pricelist"
    _description = "Pricelist"
    _order = "sequence, id"
    _declared: ClassVar[dict[str, Field]] = {
        "name": Field("char", "Pricelist Name", required=True),
        "sequence": Field("integer", "Sequence", default=16),
        "currency_id": Field("many2one", "Currency", relation="res.currency", required=True, default=1),
        "active": Field("boolean", "Active", default=True),
    }


class Template(BaseModel):
    _module = "product"
    _name = "product.template"
    _description = "Product"
    _order = "priority desc, name"
    _declared: ClassVar[dict[str, Field]] = {
        "name": Field("char", "Name", required=True),
        "priority": Field(
            "selection", "Favorite", selection=(("0", "Normal"), ("1", "Favorite")), default="0"
        ),
        "type": Field("selection", "Product Type", selection=_product_types, required=True, default="consu"),
        "is_storable": Field("boolean", "Track Inventory", default=False, since=18),
        "list_price": Field("float", "Sales Price", digits=2, default=1.0),
        "standard_price": Field(
            "float",
            "Cost",
            digits=2,
            compute="_compute_standard_price",
            inverse="_set_standard_price",
            store=False,
            company_dependent=True,
        ),
        "default_code": Field(
            "char",
            "Internal Reference",
            compute="_compute_default_code",
            inverse="_set_default_code",
            store=False,
        ),
        "barcode": Field("char", "Barcode", compute="_compute_barcode", inverse="_set_barcode", store=False),
        "uom_id": Field("many2one", "Unit", relation="uom.uom", required=True, default=_default_uom),
        "uom_po_id": Field(
            "many2one", "Purchase Unit", relation="uom.uom", required=True, default=_default_uom, until=18
        ),
        "categ_id": Field(
            "many2one",
            "Product Category",
            relation="product.category",
            required=True,
            default=_default_category,
        ),
        "sale_ok": Field("boolean", "Can be Sold", default=True),
        "purchase_ok": Field("boolean", "Can be Purchased", default=True),
        "description_sale": Field("text", "Sales Description"),
        "active": Field("boolean", "Active", default=True),
        "company_id": Field("many2one", "Company", relation="res.company"),
        **renamed(
            "taxes_id",
            "tax_ids",
            Field("many2many", "Sales Taxes", relation="account.tax", module="account"),
            version=19,
        ),
        "product_variant_ids": Field(
            "one2many", "Products", relation="product.product", inverse_name="product_tmpl_id"
        ),
        "product_variant_id": Field(
            "many2one", "Product", relation="product.product", compute="_compute_variant", store=False
        ),
        "product_variant_count": Field(
            "integer", "# Product Variants", compute="_compute_count", store=False
        ),
    }

    def _variants(self, i: int) -> list[int]:
        return self._children(i, "product_variant_ids", active_only=True)

    def _compute_variant(self, i: int) -> int | None:
        variants = self._variants(i)
        return variants[0] if variants else None

    def _compute_count(self, i: int) -> int:
        return len(self._variants(i))

    def _create_one(self, vals: dict[str, Any]) -> int:
        i = super()._create_one(vals)
        if self.env.context.get("create_product_product", True):
            self.env["product.product"]._with_context(create_product_product=False).create(
                [{"product_tmpl_id": i}]
            )
            # The template's variant-backed values given at create (e.g. default_code) now have a home.
            for name in ("default_code", "barcode", "standard_price"):
                if name in vals:
                    self._browse([i])._write_variant_field(name, vals[name])
        return i

    def _write_variant_field(self, name: str, value: Any) -> None:
        for i in self.ids:
            variants = self._variants(i)
            if len(variants) == 1:
                self.env["product.product"]._browse(variants).write({name: value})

    def write(self, vals: dict[str, Any]) -> bool:
        result = super().write(vals)
        if "active" in vals:
            variants = [
                v for i in self.ids for v in self._children(i, "product_variant_ids", active_only=False)
            ]
            if variants:
                self.env["product.product"]._with_context(active_test=False)._browse(variants).write(
                    {"active": vals["active"]}
                )
        return result


def _variant_getter(name: str) -> Any:
    def compute(self: Template, i: int) -> Any:
        variants = self._variants(i)
        if len(variants) == 1:
            return self.env["product.product"]._value(variants[0], name)
        return 0.0 if name == "standard_price" else None

    return compute


def _variant_setter(name: str) -> Any:
    def inverse(self: Template, ids: list[int], value: Any) -> None:
        self._browse(ids)._write_variant_field(name, value if value is not None else False)

    return inverse


# The template reads and writes these through its single variant.
for _field in ("standard_price", "default_code", "barcode"):
    setattr(Template, f"_compute_{_field}", _variant_getter(_field))
    setattr(Template, f"_set_{_field}", _variant_setter(_field))


class Product(BaseModel):
    _module = "product"
    _name = "product.product"
    _description = "Product Variant"
    _order = "priority desc, default_code, name, id"
    _inherits: ClassVar[dict[str, str]] = {"product.template": "product_tmpl_id"}
    _declared: ClassVar[dict[str, Field]] = {
        "product_tmpl_id": Field(
            "many2one", "Product Template", relation="product.template", required=True, ondelete="cascade"
        ),
        "default_code": Field("char", "Internal Reference"),
        "barcode": Field("char", "Barcode"),
        "standard_price": Field("float", "Cost", digits=2, company_dependent=True),
        "lst_price": Field(
            "float",
            "Sales Price",
            digits=2,
            compute="_compute_lst_price",
            inverse="_set_lst_price",
            store=False,
        ),
        "price_extra": Field(
            "float", "Variant Price Extra", digits=2, compute="_compute_price_extra", store=False
        ),
        "active": Field("boolean", "Active", default=True),
    }
    _constraints: ClassVar[list[tuple[tuple[str, ...], str]]] = [(("barcode",), "_check_barcode_uniqueness")]

    def _compute_display_name(self, i: int) -> str:
        code = self._row(i).get("default_code")
        name = self._value(i, "name") or ""
        return f"[{code}] {name}" if code else str(name)

    def _compute_lst_price(self, i: int) -> float:
        return float(self._value(i, "list_price") or 0.0)

    def _compute_price_extra(self, i: int) -> float:
        return 0.0

    def _set_lst_price(self, ids: list[int], value: Any) -> None:
        for i in ids:
            template = self._row(i)["product_tmpl_id"]
            self.env["product.template"]._browse([template]).write({"list_price": value or 0.0})

    def _check_barcode_uniqueness(self) -> None:
        rows = self._db.tables[self._name]
        for i in self.ids:
            barcode = rows[i].get("barcode")
            if barcode and any(j != i and row.get("barcode") == barcode for j, row in rows.items()):
                raise ValidationError(f'Barcode(s) already assigned:\n\n- Barcode "{barcode}"')

    def unlink(self) -> bool:
        templates = set()
        for i in self._existing():
            template = self._row(i)["product_tmpl_id"]
            siblings = self.env["product.template"]._children(
                template, "product_variant_ids", active_only=False
            )
            if not set(siblings) - set(self.ids):
                templates.add(template)
        result = super().unlink()
        if templates:
            self.env["product.template"]._browse(sorted(templates)).exists().unlink()
        return result


MODELS: list[type[BaseModel]] = [Uom, Category, Pricelist, Template, Product]
