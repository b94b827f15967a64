"""BottleCRM connector (PyPI ``django-crm``): accounts with contacts, products, estimates, cases."""

from connectors.bottlecrm.connector import BottleCrmConnector

__all__ = ["BottleCrmConnector"]
