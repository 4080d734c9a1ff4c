"""Catalog names for the keys a treatment course stores, translated.

A key the catalog no longer holds is shown as it is, so an old course still
reads after the catalog changed.
"""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.utils.translation import gettext

from mesoclinic.catalog import get_catalog

register = template.Library()


def _name(found: object, key: str) -> str:
    name = getattr(found, "name", "")
    return gettext(name) if name else key


@register.filter
def indication_name(key: str) -> str:
    return _name(get_catalog().indications.get(key), key)


@register.filter
def area_names(keys: Iterable[str]) -> str:
    areas = get_catalog().areas
    return ", ".join(_name(areas.get(k), k) for k in keys)
