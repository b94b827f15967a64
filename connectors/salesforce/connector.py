"""``salesforce``: Accounts, products, quotes, orders, costs and cases through the REST API.

The connector holds what every entity shares: the client (session, limits, login), the org's
describes (read once per connector, i.e. once per run), the price books, and the org's clock. How
each entity is read and written lives in its own module (entity.py is the common part):
customers.py (Accounts + Contacts), products.py (Product2 + standard price), costs.py (cost fields
on Product2), quotes.py (an Opportunity per quote), orders.py (accepted quote -> Order),
complaints.py (Cases).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

import requests

from connectors.base import ConnectionSettings, Connector, ConnectorError, Entity, PermanentError
from connectors.salesforce.client import SalesforceClient
from connectors.salesforce.complaints import Complaints
from connectors.salesforce.costs import ProductCosts
from connectors.salesforce.customers import Customers
from connectors.salesforce.errors import classify
from connectors.salesforce.orders import SalesOrders
from connectors.salesforce.orgschema import OrgSchema
from connectors.salesforce.pricing import Pricing
from connectors.salesforce.products import Products
from connectors.salesforce.quotes import Quotes
from connectors.salesforce.settings import SalesforceSettings

__all__ = ["SalesforceConnector"]


class SalesforceConnector(Connector):
    name = "salesforce"
    entity_types: ClassVar[Sequence[type[Entity]]] = (
        Customers,
        Products,
        ProductCosts,
        Quotes,
        SalesOrders,
        Complaints,
    )

    def __init__(self, settings: ConnectionSettings, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(settings, options)
        self.sf_settings = SalesforceSettings.parse(settings, self.options)
        session = self.options.get("session")
        if session is not None and not isinstance(session, requests.Session):
            raise PermanentError("salesforce: option 'session' must be a requests.Session")
        self.client = SalesforceClient(self.sf_settings, session)
        self.schema = OrgSchema(self._describe, self.sf_settings.currency)
        self.pricing = Pricing(self.client, self.schema)
        self.stale_deletes: set[str] = set()
        """Entities whose cursor is older than the delete log: deletions may be missed, reconcile ids."""

    def _describe(self, sobject: str) -> dict[str, Any]:
        return self.client.call(
            f"reading the describe of {sobject}", lambda sf: getattr(sf, sobject).describe()
        )

    def classify(self, exc: Exception) -> ConnectorError:
        return classify(exc, "a call")

    def server_time(self) -> datetime | None:
        """The org's time now: its last response's Date header plus the time elapsed since."""
        if self.client.clock is None:
            return None
        seen, at = self.client.clock
        return seen + timedelta(seconds=time.monotonic() - at)

    def needs_id_reconciliation(self, entity: str) -> bool:
        return entity in self.stale_deletes

    def currency_of(self, data: Mapping[str, Any]) -> str:
        """A record's currency: its field on multi-currency orgs, else the org's one currency."""
        if self.schema.multi_currency:
            return str(data.get("CurrencyIsoCode") or "")
        return self.schema.org_currency()

    def lightning_url(self) -> str:
        """The org's Lightning Experience address (``https://acme.lightning.force.com``), without a login."""
        token = self.client.token
        host = urlsplit(token.instance_url).hostname if token is not None else None
        host = host or self.sf_settings.host.split(":")[0]
        if host.endswith(".my.salesforce.com"):
            host = host.removesuffix(".my.salesforce.com") + ".lightning.force.com"
        return f"https://{host}"

    def close(self) -> None:
        self.client.session.close()
