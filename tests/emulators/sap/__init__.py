"""An SAP S/4HANA OData v2 emulator built from SAP's published ``$metadata`` (EDMX) documents."""

from tests.emulators.sap.errors import SapError
from tests.emulators.sap.server import SERVICE_ROOT, Exchange, SapEmulator

__all__ = ["SERVICE_ROOT", "Exchange", "SapEmulator", "SapError"]
