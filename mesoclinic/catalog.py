"""The one loaded knowledge catalog of this process.

Loaded and validated once, on first use (the system check makes that happen
at start); an invalid catalog raises CatalogError naming the entry.
"""

from functools import cache
from pathlib import Path

from django.conf import settings

from core.catalog import Catalog, load_catalog


@cache
def get_catalog() -> Catalog:
    directory = settings.MESOCLINIC_CATALOG_DIR
    return load_catalog(Path(directory) if directory else None)
