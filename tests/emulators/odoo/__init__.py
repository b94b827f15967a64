"""A strict Odoo emulator (XML-RPC, JSON-RPC, JSON-2) built from SyncHub's Odoo contract note."""

from tests.emulators.odoo.emulator import DEFAULT_MODULES, OdooEmulator
from tests.emulators.odoo.seed import ADMIN_UID, BOT_UID

__all__ = ["ADMIN_UID", "BOT_UID", "DEFAULT_MODULES", "OdooEmulator"]
