"""Native records and connections for the Tryton tests."""

from __future__ import annotations

from typing import Any

from connectors.base import ConnectionSettings
from connectors.tryton import TrytonConnector
from synchub_dev.peers.tryton import TrytonInstance


def connect(instance: TrytonInstance, **options: Any) -> TrytonConnector:
    return TrytonConnector(ConnectionSettings.from_uri(instance.uri), options)


def party(name: str, **extra: Any) -> dict[str, Any]:
    """A native customer with one invoice address and one contact."""
    return {
        "name": name,
        "addresses": [
            {
                "street": "Hauptstr. 1",
                "postal_code": "10115",
                "city": "Berlin",
                "country": "DE",
                "invoice": True,
            }
        ],
        "contacts": [
            {"name": "Ann Lee", "email": "ann@example.com", "phone": "+49 30 1234", "comment": "CEO"}
        ],
        **extra,
    }
