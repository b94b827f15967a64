"""What a fresh database holds: company, currencies, countries, units, categories, taxes, users,
payment terms, the "Complaints" project and its stages, and the module list."""

from __future__ import annotations

from tests.emulators.odoo.orm import Environment

__all__ = ["ADMIN_UID", "BOT_UID", "KNOWN_MODULES", "seed"]

ADMIN_UID = 2
BOT_UID = 6
KNOWN_MODULES = {
    "base": "Base",
    "base_vat": "VAT Number Validation",
    "product": "Products & Pricelists",
    "account": "Invoicing",
    "sale": "Sales",
    "project": "Project",
    "sale_project": "Sales - Project",
    "sale_stock": "Sales and Warehouse Management",
    "helpdesk": "Helpdesk",
    "helpdesk_mgmt": "Helpdesk Management",
    "crm_claim": "Claims Management",
}


def seed(env: Environment) -> None:
    def make(model: str, *rows: dict[str, object]) -> None:
        if model in env:
            env[model].create(list(rows))

    make("res.currency", {"name": "EUR", "symbol": "€"}, {"name": "USD", "symbol": "$"})
    make(
        "res.country",
        {"name": "Belgium", "code": "BE"},
        {"name": "Germany", "code": "DE"},
        {"name": "France", "code": "FR"},
        {"name": "Netherlands", "code": "NL"},
        {"name": "United States", "code": "US"},
        {"name": "United Kingdom", "code": "GB"},
    )
    make(
        "res.country.state",
        {"name": "California", "code": "CA", "country_id": 5},
        {"name": "New York", "code": "NY", "country_id": 5},
    )
    make("res.partner", {"name": "My Company", "is_company": True, "country_id": 1})
    make("res.company", {"name": "My Company", "currency_id": 1, "partner_id": 1})
    make(
        "res.users",
        *(
            {"name": name, "login": login, "active": login != "__system__", "tz": "Europe/Brussels"}
            for name, login in (
                ("OdooBot", "__system__"),
                ("Administrator", "admin"),
                ("Portal", "portal"),
                ("Public", "public"),
                ("Demo", "demo"),
                ("SyncHub Bot", "synchub"),
            )
        ),
    )
    make("uom.uom", {"name": "Units"}, {"name": "Dozens"}, {"name": "kg"}, {"name": "Hours"})
    make("product.category", {"name": "All"}, {"name": "Saleable", "parent_id": 1})
    make("product.pricelist", {"name": "Default", "currency_id": 1})
    make(
        "account.payment.term",
        {"name": "Immediate Payment"},
        {"name": "15 Days"},
        {"name": "30 Days"},
        {"name": "End of Following Month"},
    )
    make(
        "account.tax",
        {"name": "21%", "amount": 21.0, "type_tax_use": "sale"},
        {"name": "6%", "amount": 6.0, "type_tax_use": "sale"},
    )
    make(
        "project.task.type",
        {"name": "New", "sequence": 1},
        {"name": "In Progress", "sequence": 2},
        {"name": "Done", "sequence": 3, "fold": True},
    )
    make("project.project", {"name": "Complaints", "type_ids": [[6, 0, [1, 2, 3]]]})
    installed = env.registry.modules
    make(
        "ir.module.module",
        *(
            {
                "name": name,
                "shortdesc": label,
                "state": "installed" if name in installed else "uninstalled",
            }
            for name, label in KNOWN_MODULES.items()
        ),
    )
