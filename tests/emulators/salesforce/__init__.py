"""An emulated Salesforce org for connector tests: REST, composite, Bulk 2.0 and OAuth, in-process.

Its objects and fields come from the recorded describes and compiled field tables in
``$SYNCHUB_CONTRACTS/salesforce/describe`` (read at start, never copied here), shaped by an
:class:`OrgShape`; ``rules.py`` adds the behaviour rules of RULES.md there.
"""

from .app import SalesforceEmulator
from .contract import ContractMissing
from .org import Org, sf_timestamp
from .shape import OrgShape
from .transport import WsgiAdapter, emulator_session

__all__ = [
    "ContractMissing",
    "Org",
    "OrgShape",
    "SalesforceEmulator",
    "WsgiAdapter",
    "emulator_session",
    "sf_timestamp",
]
