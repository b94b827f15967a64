"""Links into the SAP Fiori launchpad: intent-based navigation (``#<SemanticObject>-<action>?<key>=<value>``).

The launchpad resolves an intent to whichever app the user's roles map it to, so a link names the
business object, not an app. Defaults are SAP's display intents of each object; a system whose
launchpad maps other intents sets the ``fiori_intents`` option (entity -> ``Object-action``).
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

__all__ = ["DEFAULT_INTENTS", "LAUNCHPAD_PATH", "fiori_link"]

LAUNCHPAD_PATH = "/sap/bc/ui2/flp"
# entity -> (intent, the key field that is the semantic object's parameter)
DEFAULT_INTENTS: Mapping[str, tuple[str, str]] = {
    "customer": ("BusinessPartner-displayFactSheet", "BusinessPartner"),
    "product": ("Product-displayFactSheet", "Product"),
    "product_cost": ("Product-displayFactSheet", "Product"),
    "sales_order": ("SalesOrder-displayFactSheet", "SalesOrder"),
    "complaint": ("CustomerReturn-displayFactSheet", "CustomerReturn"),
}


def fiori_link(
    launchpad: str, entity: str, key: Mapping[str, str], intents: Mapping[str, str] | None = None
) -> str | None:
    """The launchpad URL showing the record whose key fields are ``key``; None when unknown."""
    known = DEFAULT_INTENTS.get(entity)
    if known is None:
        return None
    intent, parameter = known
    intent = str((intents or {}).get(entity) or intent)
    value = key.get(parameter)
    if not value:
        return None
    return f"{launchpad.rstrip('/')}#{intent}?{urlencode({parameter: value})}"
