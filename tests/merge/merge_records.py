"""Canonical customer records (JSON form) for the merge tests."""

from __future__ import annotations

from typing import Any

from sync_engine.model import Customer, to_canonical_dict


def customer(**fields: Any) -> dict[str, Any]:
    """A valid canonical customer in JSON form; defaults for anything not given."""
    data: dict[str, Any] = {
        "name": "株式会社 山田商事",
        "tax_id": "JP1234567890123",
        "contacts": [
            {"name": "محمد علي", "email": "m.ali@example.com", "phone": "+971 4 000 0000", "role": None},
            {"name": "山田 花子", "email": "hanako@example.jp", "phone": None, "role": "buyer"},
        ],
        "addresses": [{"kind": "invoice", "street": "千代田1-1", "city": "東京", "country": "JP"}],
        "credit_limit": {"amount": "5000.00", "currency": "JPY"},
        "payment_terms": "30 days",
    }
    data.update(fields)
    return to_canonical_dict(Customer.model_validate(data))
