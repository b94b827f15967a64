"""The models SyncHub's six entities use, per Odoo module (a model exists when its module is installed)."""

from tests.emulators.odoo.models import base, product, project, sale
from tests.emulators.odoo.orm import BaseModel

__all__ = ["ALL_MODELS"]

ALL_MODELS: list[type[BaseModel]] = [*base.MODELS, *product.MODELS, *sale.MODELS, *project.MODELS]
