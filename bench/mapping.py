"""How fast compiled mappings run, next to hand-written Python doing the same work (the floor).

Run: .venv/bin/python bench/mapping.py [records]
Maps a typical customer (15 fields, 2 addresses, 3 contacts) with mappings/memory/customer.yaml,
both directions, and prints records/s, the ratio to hand-written code, and pydantic validation apart.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from sync_engine.mapping import load_mapping
from sync_engine.model import to_canonical_dict, validate_canonical

ROOT = Path(__file__).resolve().parent.parent

NATIVE: dict[str, Any] = {
    "id": "C-1001",
    "company": {"name": "Müller Maschinenbau", "legal_form": "GmbH"},
    "vat_number": "DE811907980",
    "currency_code": "EUR",
    "finance": {"credit_limit": "25000.00", "credit_currency": "EUR", "payment_terms": "NET30"},
    "status": "A",
    "addresses": [
        {
            "type": "INV",
            "street_lines": "Industriestr. 12\nHalle 3",
            "zip": "70173",
            "city": "Stuttgart",
            "state": "BW",
            "country_iso": "DE",
        },
        {
            "type": "DEL",
            "street_lines": "Lagerweg 4",
            "zip": "70565",
            "city": "Stuttgart",
            "state": "BW",
            "country_iso": "DE",
        },
    ],
    "people": [
        {
            "first_name": "Anna",
            "last_name": "Müller",
            "email": "anna@mueller.de",
            "phone": "+49 711 1",
            "position": "CEO",
        },
        {
            "first_name": "Jan",
            "last_name": "van Dijk",
            "email": "jan@mueller.de",
            "phone": None,
            "position": "Buyer",
        },
        {
            "first_name": "Li",
            "last_name": "Wei",
            "email": "li@mueller.de",
            "phone": "+49 711 3",
            "position": None,
        },
    ],
}

# --- the floor: the same mapping written by hand -------------------------------------------------

CENTS = Decimal("0.01")
_TERMS = {"NET14": "14 days net", "NET30": "30 days net", "NET60": "60 days net", "PREPAID": "prepayment"}
_TERMS_BACK = {v: k for k, v in _TERMS.items()}
_ACTIVE = {"A": True, "I": False, "B": False}
_KIND = {"INV": "invoice", "DEL": "delivery", "OTH": "other"}
_KIND_BACK = {v: k for k, v in _KIND.items()}


def hand_to_canonical(n: dict[str, Any]) -> dict[str, Any]:
    company = n.get("company") or {}
    finance = n.get("finance") or {}
    limit = finance.get("credit_limit")
    addresses = []
    for a in n.get("addresses") or []:
        lines = a.get("street_lines")
        street = street2 = None
        if lines is not None:
            parts = lines.split("\n", 1)
            street = parts[0]
            street2 = parts[1] if len(parts) > 1 else None
        addresses.append(
            {
                "kind": _KIND.get(a.get("type"), "other"),
                "street": street,
                "street2": street2,
                "postal_code": a.get("zip"),
                "city": a.get("city"),
                "region": a.get("state"),
                "country": a.get("country_iso"),
            }
        )
    contacts = [
        {
            "name": f"{p.get('first_name') or ''} {p.get('last_name') or ''}",
            "email": p.get("email"),
            "phone": p.get("phone"),
            "role": p.get("position"),
        }
        for p in n.get("people") or []
    ]
    status = n.get("status")
    return {
        "name": company.get("name"),
        "legal_form": company.get("legal_form"),
        "tax_id": n.get("vat_number"),
        "currency": n.get("currency_code"),
        "credit_limit": None
        if limit is None
        else {"amount": Decimal(limit), "currency": finance.get("credit_currency")},
        "payment_terms": None if finance.get("payment_terms") is None else _TERMS[finance["payment_terms"]],
        "active": None if status is None else _ACTIVE[status],
        "addresses": addresses,
        "contacts": contacts,
    }


def hand_to_native(c: dict[str, Any]) -> dict[str, Any]:
    limit = c.get("credit_limit")
    finance: dict[str, Any] = {"credit_limit": None}
    if limit is not None:
        finance["credit_currency"] = limit["currency"]
        finance["credit_limit"] = str(Decimal(limit["amount"]).quantize(CENTS))  # the mapping's places: 2
    terms = c.get("payment_terms")
    finance["payment_terms"] = None if terms is None else _TERMS_BACK[terms]
    active = c.get("active")
    addresses = []
    for a in c.get("addresses") or []:
        parts = [a.get("street"), a.get("street2")]
        while parts and parts[-1] is None:
            parts.pop()
        addresses.append(
            {
                "type": _KIND_BACK[a["kind"]],
                "street_lines": "\n".join("" if p is None else p for p in parts) if parts else None,
                "zip": a.get("postal_code"),
                "city": a.get("city"),
                "state": a.get("region"),
                "country_iso": a.get("country"),
            }
        )
    people = []
    for p in c.get("contacts") or []:
        first, _, last = (p.get("name") or "").partition(" ")
        people.append(
            {
                "first_name": first,
                "last_name": last,
                "email": p.get("email"),
                "phone": p.get("phone"),
                "position": p.get("role"),
            }
        )
    return {
        "company": {"name": c.get("name"), "legal_form": c.get("legal_form")},
        "vat_number": c.get("tax_id"),
        "currency_code": c.get("currency"),
        "finance": finance,
        "status": None if active is None else ("A" if active else "I"),
        "addresses": addresses,
        "people": people,
    }


# --- measuring ----------------------------------------------------------------------------------


def _seconds(fn: Callable[[Any], Any], arg: Any, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn(arg)
    return time.perf_counter() - start


def rates(fns: list[Callable[[Any], Any]], arg: Any, n: int, rounds: int = 7) -> list[float]:
    """Records per second of each function, best of ``rounds``. Rounds alternate between the
    functions so a busy neighbour on the machine slows them alike and the ratio stays honest."""
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            best[i] = min(best[i], _seconds(fn, arg, n))
    return [n / b for b in best]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    mapping = load_mapping(ROOT / "mappings", "memory", "customer")
    canonical = to_canonical_dict(validate_canonical("customer", mapping.to_canonical(NATIVE)))
    # Both implementations must agree, or the comparison means nothing.
    assert hand_to_canonical(NATIVE) == mapping.to_canonical(NATIVE)
    assert hand_to_native(canonical) == mapping.to_native(canonical)

    print(
        f"mapping a customer (2 addresses, 3 contacts): {n:,} records per round, "
        "best of 7 alternating rounds, one core"
    )
    rows = [
        ("to_canonical", *rates([mapping.to_canonical, hand_to_canonical], NATIVE, n)),
        ("to_native", *rates([mapping.to_native, hand_to_native], canonical, n)),
    ]
    print(f"{'direction':<14}{'compiled rec/s':>16}{'hand-written rec/s':>20}{'hand/compiled':>15}")
    for name, compiled, hand in rows:
        print(f"{name:<14}{compiled:>16,.0f}{hand:>20,.0f}{hand / compiled:>14.2f}x")
    mapped = mapping.to_canonical(NATIVE)
    (validate,) = rates([lambda d: validate_canonical("customer", d)], mapped, max(n // 4, 1), rounds=3)
    label = "pydantic validate_canonical (once per record, apart from mapping)"
    print(f"{label:<74}{validate:>12,.0f} rec/s")


if __name__ == "__main__":
    main()
