"""Native records of the in-memory test systems (shape: mappings/memory/customer.yaml), shared by tests."""

from __future__ import annotations

from typing import Any


def native_customer(
    name: str,
    vat: str | None = None,
    *,
    city: str | None = "Berlin",
    email: str = "ann@example.com",
    phone: str | None = "+49 30 1234",
    credit: str = "5000.00",
    terms: str = "NET30",
    status: str = "A",
) -> dict[str, Any]:
    """A customer as a memory system holds it: one invoice address, one contact."""
    return {
        "company": {"name": name, "legal_form": "GmbH"},
        "vat_number": vat,
        "currency_code": "EUR",
        "finance": {"credit_limit": credit, "credit_currency": "EUR", "payment_terms": terms},
        "status": status,
        "addresses": [
            {
                "type": "INV",
                "street_lines": "Hauptstr. 1",
                "zip": "10115",
                "city": city,
                "state": None,
                "country_iso": "DE",
            }
        ],
        "people": [
            {"first_name": "Ann", "last_name": "Lee", "email": email, "phone": phone, "position": "CEO"}
        ],
    }
