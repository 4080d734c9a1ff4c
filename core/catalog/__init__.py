"""The knowledge catalog (pure Python): load it with ``load_catalog()``."""

from core.catalog.load import CatalogError, load_catalog
from core.catalog.model import Catalog, Verdict

__all__ = ["Catalog", "CatalogError", "Verdict", "load_catalog"]
