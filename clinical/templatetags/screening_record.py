"""``{{ record|findings }}`` and ``{{ record|verdict_label }}``: a stored
screening for a page, in the active language."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext

from clinical.models import ScreeningRecord
from clinical.screen import VERDICT_LABELS, shown_findings
from mesoclinic.catalog import get_catalog

register = template.Library()


@register.filter
def findings(record: ScreeningRecord) -> list[dict[str, Any]]:
    return shown_findings(get_catalog(), record.findings)


@register.filter
def verdict_label(record: ScreeningRecord) -> str:
    return str(VERDICT_LABELS.get(record.verdict, record.verdict))


@register.filter
def indication_name(key: str) -> str:
    """The catalog's name of an indication, translated; the key if unknown."""
    indication = get_catalog().indications.get(key)
    return gettext(indication.name) if indication else key


@register.filter
def area_name(key: str) -> str:
    area = get_catalog().areas.get(key)
    return gettext(area.name) if area else key
