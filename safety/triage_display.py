"""An event's stored triage, ready for a page in the reader's language.

The triage is kept as it was given (safety.events.triage_json): catalog
texts and reason messages in English with their placeholders. Pages
translate each text first and fill the placeholders after, translating
the catalog names among them.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext

from mesoclinic.catalog import get_catalog
from safety.messages import effect_label, sign_labels
from safety.models import AdverseEvent, Level


def _t(text: str) -> str:
    # gettext("") returns the .po header, never what a page wants.
    return gettext(text) if text else ""


def reason_text(reason: dict[str, Any]) -> str:
    message = _t(str(reason.get("message") or reason.get("text") or ""))
    params = {
        k: _t(v) if isinstance(v, str) else v for k, v in (reason.get("params") or {}).items()
    }
    try:
        return message % params if params else message
    except (KeyError, TypeError, ValueError):
        return str(reason.get("text", ""))


def reasons(event: AdverseEvent) -> list[dict[str, Any]]:
    """Each reason: its text and the catalog sources behind it."""
    catalog = get_catalog()
    out = []
    for reason in (event.triage or {}).get("reasons", []):
        keys = [k for k in reason.get("sources", []) if k in catalog.sources]
        out.append({"code": reason.get("code", ""), "text": reason_text(reason), "sources": keys})
    return out


def advice_context(event: AdverseEvent) -> dict[str, Any]:
    """What the advice page (and the staff's event page) show."""
    stored = event.triage or {}
    return {
        "level": event.level,
        "triaged_level": stored.get("level", event.level),
        "triaged_level_label": dict(Level.choices).get(
            stored.get("level", event.level), event.level
        ),
        "effect_name": effect_label(event),
        "advice": _t(stored.get("advice", "")),
        "see_doctor": _t(stored.get("see_doctor", "")),
        "sign_advice": [_t(text) for text in stored.get("sign_advice", [])],
        "emergency": bool(stored.get("emergency")),
        "signs": sign_labels(event),
        "reasons": reasons(event),
    }
