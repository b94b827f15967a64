"""SyncHub as an Airflow provider: ``get_provider_info`` for the ``apache_airflow_provider`` entry point.

One connection type per connector, each with its hook (``hooks.py``: the Test button), its extra form
fields (``conn-fields``) and how the standard fields are labelled, hidden and hinted
(``ui-field-behaviour``). Airflow 3.2+ reads both declaratively from here, without importing the hooks
(``get_connection_form_widgets`` / ``get_ui_field_behaviour`` on hooks are deprecated since 3.2).
The field names match what each connector reads from its Connection (docs/airflow.md, Connections).
"""

from __future__ import annotations

from typing import Any

from sync_engine import __version__

PACKAGE = "synchub"
HOOKS = "sync_engine.airflow.hooks"


def _text(label: str, description: str, default: str | None = None, **schema: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"type": ["string", "null"], **schema}
    if default is not None:
        body["default"] = default
    return {"label": label, "description": description, "schema": body}


def _choice(label: str, description: str, values: list[str], default: str) -> dict[str, Any]:
    return {
        "label": label,
        "description": description,
        "schema": {"type": "string", "enum": values, "default": default},
    }


def _flag(label: str, description: str) -> dict[str, Any]:
    return {
        "label": label,
        "description": description,
        "schema": {"type": ["boolean", "null"], "default": False},
    }


def _secret(label: str, description: str) -> dict[str, Any]:
    return _text(label, description, format="password")


SCHEME = _choice("Scheme", "http or https", ["http", "https"], "http")
HTTPS = _choice("Scheme", "http or https", ["http", "https"], "https")
TIMEOUT = _text("Timeout (s)", "seconds to wait for one API call")
WEB_URL = _text("Web URL", "where people open records (links on the SyncHub page), if not the API's host")

# connection type -> (hook class, display name, ui-field-behaviour, conn-fields)
CONNECTION_TYPES: dict[str, tuple[str, str, dict[str, Any], dict[str, Any]]] = {
    "tryton": (
        "TrytonHook",
        "Tryton (SyncHub)",
        {
            "hidden-fields": [],
            "relabeling": {"login": "User", "schema": "Database"},
            "placeholders": {"host": "127.0.0.1", "port": "8000", "login": "admin", "schema": "sales"},
        },
        {
            "scheme": SCHEME,
            "accept_warnings": _flag(
                "Accept warnings", "press on through Tryton's warnings (e.g. credit limit)"
            ),
            "web_url": WEB_URL,
            "timeout": TIMEOUT,
        },
    ),
    "bottlecrm": (
        "BottleCrmHook",
        "BottleCRM (SyncHub)",
        {
            "hidden-fields": ["login", "schema"],
            "relabeling": {"password": "Personal access token"},
            "placeholders": {"host": "crm.example.com", "port": "443", "password": "bcrm_pat_..."},
        },
        {
            "scheme": HTTPS,
            "org": _text("Organisation", "organisation id, when the token's user belongs to several"),
            "web_url": WEB_URL,
            "timeout": TIMEOUT,
        },
    ),
    "suitecrm": (
        "SuiteCrmHook",
        "SuiteCRM (SyncHub)",
        {
            "hidden-fields": [],
            "relabeling": {"login": "API user", "schema": "Install folder"},
            "placeholders": {
                "host": "crm.example.com",
                "schema": "(SuiteCRM's folder on the server, if any)",
            },
        },
        {
            "client_id": _text("OAuth2 client id", "Admin > OAuth2 Clients and Tokens"),
            "client_secret": _secret("OAuth2 client secret", "the client's secret"),
            "grant_type": _choice(
                "Grant",
                "password (with user) or client_credentials",
                ["password", "client_credentials"],
                "password",
            ),
            "scheme": HTTPS,
            "timeout": TIMEOUT,
        },
    ),
    "salesforce": (
        "SalesforceHook",
        "Salesforce (SyncHub)",
        {
            "hidden-fields": ["schema"],
            "relabeling": {"host": "My Domain host", "login": "Client id", "password": "Client secret"},
            "placeholders": {"host": "acme.my.salesforce.com"},
        },
        {
            "auth": _choice(
                "Auth flow", "OAuth 2.0 flow", ["client_credentials", "jwt", "session"], "client_credentials"
            ),
            "username": _text("JWT user", "the integration user's username (JWT flow)"),
            "private_key_path": _text("JWT private key file", "path of the connected app's key (JWT flow)"),
            "api_version": _text("API version", "REST API version", "59.0"),
            "integration_user_id": _text("Integration user id", "the integration user's 005... id"),
        },
    ),
    "sap_s4hana": (
        "SapS4HanaHook",
        "SAP S/4HANA (SyncHub)",
        {
            "hidden-fields": [],
            "relabeling": {"login": "User (or OAuth client id)", "schema": "Service path prefix"},
            "placeholders": {"host": "my-s4.example.com", "port": "443", "schema": "sap/opu/odata/sap"},
        },
        {
            "scheme": HTTPS,
            "sap_client": _text("SAP client", "the client (Mandant), e.g. 100"),
            "auth": _choice("Auth", "basic (user and password) or oauth", ["basic", "oauth"], "basic"),
            "token_url": _text("Token URL", "OAuth 2.0 token endpoint (auth oauth)"),
            "timezone": _text(
                "Time zone", "the SAP system's IANA time zone (its change times are local)", "UTC"
            ),
            "launchpad_url": _text("Fiori launchpad URL", "where record links point"),
        },
    ),
    "odoo": (
        "OdooHook",
        "Odoo (SyncHub)",
        {
            "hidden-fields": [],
            "relabeling": {"schema": "Database", "password": "API key or password"},
            "placeholders": {"host": "erp.example.com", "port": "443", "schema": "mydb"},
        },
        {
            "scheme": HTTPS,
            "transport": _choice(
                "Transport", "json2 (Odoo 19+), xmlrpc (16-18) or auto", ["auto", "json2", "xmlrpc"], "auto"
            ),
            "timeout": TIMEOUT,
        },
    ),
}


def get_provider_info() -> dict[str, Any]:
    """What Airflow's ProvidersManager reads (validated against its provider_info schema)."""
    return {
        "package-name": PACKAGE,
        "name": "SyncHub",
        "description": "ERP <-> CRM sync: connection types per connector, SyncHubHook, SyncHubFlowOperator.",
        "versions": [__version__],
        "hooks": [{"integration-name": "SyncHub", "python-modules": [HOOKS]}],
        "operators": [{"integration-name": "SyncHub", "python-modules": ["sync_engine.airflow.operators"]}],
        "integrations": [{"integration-name": "SyncHub", "tags": ["software"]}],
        "connection-types": [
            {
                "connection-type": conn_type,
                "hook-class-name": f"{HOOKS}.{hook}",
                "hook-name": name,
                "ui-field-behaviour": behaviour,
                "conn-fields": fields,
            }
            for conn_type, (hook, name, behaviour, fields) in CONNECTION_TYPES.items()
        ],
    }
