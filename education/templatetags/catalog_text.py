"""Template helpers for catalog texts and their sources.

Catalog texts are English in TOML; ``translate_catalog`` looks each one up
in the catalog's own gettext messages (``manage.py catalog_messages``), so a
page in Hindi shows Hindi where a translation exists and English otherwise.
"""

import re
from typing import Any

from django import template
from django.utils.translation import gettext

from mesoclinic.catalog import get_catalog

register = template.Library()


@register.filter
def translate_catalog(text: str | None) -> str:
    # gettext("") returns the .po header, never what a page wants.
    if not text:
        return ""
    return gettext(text)


@register.filter
def source_anchor(key: str) -> str:
    """The id of a source on the sources page: seed file names hold dots."""
    return "src-" + re.sub(r"[^A-Za-z0-9_-]", "-", key)


@register.inclusion_tag("education/_cite.html")
def cite(keys: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """The sources of a fact, each linking to its entry on the sources page."""
    catalog = get_catalog()
    return {"sources": [catalog.sources[k] for k in keys if k in catalog.sources]}
