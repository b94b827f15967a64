"""Hooks: an Airflow Connection as an open SyncHub connector, and the Connection form's Test button.

``SyncHubHook(conn_id)`` works for a Connection of any SyncHub connection type: the connector is the
one installed under the Connection's type in the ``synchub.connectors`` entry-point group, so a
connector package that lands later (SuiteCRM, Odoo) works without a change here. The subclasses only
name their connection type for Airflow's provider registry (provider.py).
"""

from __future__ import annotations

from typing import Any, ClassVar

from airflow.sdk import BaseHook

from connectors.base import ConnectionSettings, Connector, load_connector
from sync_engine.airflow.connections import settings_from


class SyncHubHook(BaseHook):
    """A SyncHub system reached through an Airflow Connection.

    ``get_conn()`` opens the connector (close it, or use it in a ``with`` block); ``test_connection()``
    reads the first record of one entity, which proves the address and the credentials.
    """

    conn_name_attr = "synchub_conn_id"
    default_conn_name = "synchub_default"
    conn_type = "synchub"
    hook_name = "SyncHub"
    probe_entities: ClassVar[tuple[str, ...]] = ("customer", "product")

    def __init__(self, synchub_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.synchub_conn_id = synchub_conn_id

    def settings(self) -> ConnectionSettings:
        return settings_from(self.get_connection(self.synchub_conn_id))

    def get_conn(self, options: dict[str, Any] | None = None) -> Connector:
        settings = self.settings()
        return load_connector(settings.conn_type)(settings, options or {})

    def test_connection(self) -> tuple[bool, str]:
        """What the Test button shows. Never raises: any failure is the message (secrets removed)."""
        settings: ConnectionSettings | None = None
        try:
            settings = self.settings()
            with load_connector(settings.conn_type)(settings, {}) as connector:
                entity = self._probe_entity(connector)
                page = next(iter(connector.read_changes(entity, None, page_size=1)), None)
                seen = len(page.records) if page else 0
            return (
                True,
                f"Connected to {settings.conn_type} at {settings.host}: read {seen} {entity} record(s)",
            )
        except Exception as exc:  # the button reports every failure, whatever the client raised
            return False, _without_secrets(f"{type(exc).__name__}: {exc}", settings)

    def _probe_entity(self, connector: Connector) -> str:
        served = {cls.name for cls in connector.entity_types} or set(connector.capabilities.entities)
        return next((e for e in self.probe_entities if e in served), min(served))


def _without_secrets(message: str, settings: ConnectionSettings | None) -> str:
    if settings is None:
        return message
    secrets = [settings.password] + [
        str(v) for k, v in settings.extra.items() if any(w in k.lower() for w in ("secret", "token", "key"))
    ]
    for secret in secrets:
        if secret and len(secret) >= 4:
            message = message.replace(secret, "***")
    return message


class TrytonHook(SyncHubHook):
    conn_type = "tryton"
    hook_name = "Tryton (SyncHub)"
    default_conn_name = "tryton_default"


class BottleCrmHook(SyncHubHook):
    conn_type = "bottlecrm"
    hook_name = "BottleCRM (SyncHub)"
    default_conn_name = "bottlecrm_default"


class SuiteCrmHook(SyncHubHook):
    conn_type = "suitecrm"
    hook_name = "SuiteCRM (SyncHub)"
    default_conn_name = "suitecrm_default"


class SalesforceHook(SyncHubHook):
    conn_type = "salesforce"
    hook_name = "Salesforce (SyncHub)"
    default_conn_name = "salesforce_default"


class SapS4HanaHook(SyncHubHook):
    conn_type = "sap_s4hana"
    hook_name = "SAP S/4HANA (SyncHub)"
    default_conn_name = "sap_s4hana_default"


class OdooHook(SyncHubHook):
    conn_type = "odoo"
    hook_name = "Odoo (SyncHub)"
    default_conn_name = "odoo_default"
