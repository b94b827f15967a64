"""``synchub demo``: start a real ERP and CRM and sync them. A stub until their connectors land."""

from __future__ import annotations

from sync_engine.cli.config_cmds import ConfigOption, not_available


def demo(config: ConfigOption = None) -> None:
    """Start Tryton and BottleCRM locally, fill them with sample data and sync them."""
    not_available("demo", "the Tryton and BottleCRM connectors")
