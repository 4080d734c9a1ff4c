"""The clinic's alert for an urgent adverse event (message kind "alert").

It goes to the clinic's own address, so it says what the staff need to act
and no more: who, which session, what was reported, which warning signs,
and the link to the event page (behind the staff login) for the rest. No
description, no photos, no contact details in the mail itself.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from mesoclinic.catalog import get_catalog
from messaging.models import Message
from messaging.render import Rendered, local_time, renderer
from safety.models import AdverseEvent


def event_url(event: AdverseEvent) -> str:
    """The absolute address of the event's staff page."""
    base = str(settings.MESOCLINIC_SITE_URL).rstrip("/")
    return base + reverse("safety:event", kwargs={"slug": event.clinic.slug, "event_id": event.pk})


def effect_label(event: AdverseEvent) -> str:
    """The reported effect's name in the active language."""
    found = get_catalog().side_effects.get(event.effect)
    return _(found.name) if found else _("Something else (described by the patient)")


def sign_labels(event: AdverseEvent) -> list[str]:
    """The questions of the warning signs ticked, in the active language."""
    signs = get_catalog().warning_signs
    return [_(signs[key].question) if key in signs else key for key in event.signs]


@renderer("alert")
def alert(message: Message) -> Rendered:
    event_id = (message.data or {}).get("event")
    event = (
        AdverseEvent.objects.filter(pk=event_id, clinic_id=message.clinic_id)
        .select_related("clinic", "patient", "chart", "chart__course")
        .first()
    )
    if event is None:
        return Rendered(
            subject=_("Alert from Mesoclinic"),
            text=_("An alert was raised, but its event no longer exists."),
        )
    level = event.get_level_display()
    subject = _("%(level)s: adverse event reported by %(patient)s") % {
        "level": level,
        "patient": event.patient,
    }
    indication = get_catalog().indications.get(event.chart.course.indication)
    lines = [
        _("%(level)s adverse event: act now.") % {"level": level},
        "",
        _("Patient: %(patient)s (no. %(number)s)")
        % {"patient": event.patient, "number": event.patient_id},
        _("Session: %(indication)s, session %(n)s on %(day)s")
        % {
            "indication": _(indication.name) if indication else event.chart.course.indication,
            "n": event.chart.session_number,
            "day": event.chart.performed_on.isoformat(),
        },
        _("Reported: %(effect)s, %(severity)s, at %(when)s")
        % {
            "effect": effect_label(event),
            "severity": event.get_severity_display(),
            "when": local_time(event.reported_at, event.clinic),
        },
        _("Started: %(when)s") % {"when": local_time(event.started_at, event.clinic)},
    ]
    signs = sign_labels(event)
    if signs:
        lines += ["", _("Warning signs:")] + [f"- {sign}" for sign in signs]
    lines += [
        "",
        _("Open the event (staff login): %(url)s") % {"url": event_url(event)},
        "",
        _("Mesoclinic's triage supports your clinical judgement; it never replaces it."),
    ]
    return Rendered(subject=subject[:200], text="\n".join(lines))
