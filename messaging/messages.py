"""What patients read: the pre-visit instructions, the reminder, the aftercare
and the follow-up check-ins.

Each renderer runs at sending, inside the patient's language and the
clinic's time zone (messaging.sending.write), and fills the templates
under messaging/templates/messaging/ (plain text and HTML). Clinical
content comes from the catalog, never from here: which medicines to pause
and for how long, what each check-in asks. A medicine a doctor prescribed
is never to be stopped: the instructions say so for every medicine that
may be prescribed, and name the prescription-only ones (blood thinners)
with the catalog's advice to talk with the prescriber.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import formats
from django.utils.translation import gettext, ngettext

from core.catalog.model import MedicineRule
from mesoclinic.catalog import get_catalog
from messaging.models import Kind, Message
from messaging.render import Rendered, local_time, renderer
from screening.present import fill


def _day(day: date) -> str:
    return formats.date_format(day, "l j F Y")


def _site_url(path: str) -> str:
    return str(settings.MESOCLINIC_SITE_URL).rstrip("/") + path


def _both(name: str, context: dict[str, Any], subject: str) -> Rendered:
    """The plain-text and HTML versions of template ``name``."""
    text = render_to_string(f"messaging/{name}.txt", context).strip() + "\n"
    html = render_to_string(f"messaging/{name}.html", {**context, "subject": subject})
    return Rendered(subject=subject, text=text, html=html)


def _base_context(message: Message) -> dict[str, Any]:
    patient = message.patient
    return {
        "message": message,
        "clinic": message.clinic,
        "first_name": patient.first_name if patient is not None else "",
        "emergency": gettext("In an emergency, call your local emergency number."),
    }


# -- before a session ------------------------------------------------------------------------


@dataclass(frozen=True)
class Pause:
    name: str
    advice: str
    last_dose: str  # "" for a habit (its advice says when)


def _applies(rule: MedicineRule, service: Any) -> bool:
    """Whether the rule's scope covers the booked service (every rule does
    when the service names no area the catalog knows)."""
    catalog = get_catalog()
    area = catalog.areas.get(service.area)
    if area is None:
        return True
    protocol = catalog.protocols.get(service.protocol) or catalog.default_protocol(
        service.indication, service.area
    )
    actives = protocol.actives if protocol is not None else ()
    return rule.scope.matches(service.indication, service.area, area.region, actives)


def _name(rule: MedicineRule) -> str:
    name = gettext(rule.name)
    if rule.examples:
        examples = ", ".join(gettext(e) for e in rule.examples)
        return gettext("%(name)s, such as %(examples)s") % {"name": name, "examples": examples}
    return name


def pauses(service: Any, session_day: date) -> tuple[list[Pause], list[Pause]]:
    """(what to pause when taken without a prescription, the prescription-only
    medicines never to stop), from the catalog, in its order."""
    to_pause: list[Pause] = []
    prescribed: list[Pause] = []
    for rule in get_catalog().medicines.values():
        if not _applies(rule, service):
            continue
        if rule.prescription_only:
            prescribed.append(Pause(_name(rule), gettext(rule.prescribed_message), ""))
            continue
        params = {"pause_days": rule.pause_days, "caution_days": rule.caution_days}
        last = ""
        if rule.kind != "habit" and rule.pause_days:
            last = gettext("Your last dose: %(day)s at the latest.") % {
                "day": _day(session_day - timedelta(days=rule.pause_days))
            }
        to_pause.append(Pause(_name(rule), fill(rule.message, params), last))
    return to_pause, prescribed


@renderer(Kind.PRE_VISIT)
def pre_visit(message: Message) -> Rendered:
    appointment = message.appointment
    assert appointment is not None, "a pre-visit message belongs to an appointment"
    clinic = message.clinic
    start = appointment.starts_at
    session_day = start.astimezone(ZoneInfo(clinic.time_zone)).date()
    to_pause, prescribed = pauses(appointment.service, session_day)
    subject = gettext("Before your session on %(day)s") % {"day": _day(session_day)}
    context = {
        **_base_context(message),
        "service": appointment.service.name,
        "when": local_time(start, clinic),
        "to_pause": to_pause,
        "prescribed": prescribed,
    }
    return _both("pre_visit", context, subject)


# -- the day before --------------------------------------------------------------------------


@renderer(Kind.REMINDER)
def reminder(message: Message) -> Rendered:
    appointment = message.appointment
    assert appointment is not None, "a reminder belongs to an appointment"
    clinic = message.clinic
    when = local_time(appointment.starts_at, clinic)
    subject = gettext("Reminder: your appointment on %(when)s") % {"when": when}
    context = {**_base_context(message), "service": appointment.service.name, "when": when}
    return _both("reminder", context, subject)


# -- after the session -----------------------------------------------------------------------


def _follow_up_link(message: Message, step: str = "") -> str:
    from safety.links import follow_up_url, link_for

    assert message.chart is not None
    return follow_up_url(link_for(message.chart), step)


def _portal_aftercare(message: Message) -> str:
    try:
        return _site_url(reverse("portal:aftercare", kwargs={"chart_id": message.chart_id}))
    except NoReverseMatch:
        return ""


@renderer(Kind.AFTERCARE)
def aftercare(message: Message) -> Rendered:
    from clinical.aftercare_sheet import sheet_html, sheet_text

    chart = message.chart
    assert chart is not None, "an aftercare message belongs to a chart"
    subject = gettext("Your aftercare after your session on %(day)s") % {
        "day": _day(chart.performed_on)
    }
    context = {
        **_base_context(message),
        "sheet_text": sheet_text(chart),
        "sheet_html": sheet_html(chart),
        "link": _follow_up_link(message),
        "portal": _portal_aftercare(message) if message.patient and message.patient.user_id else "",
    }
    return _both("aftercare", context, subject)


def when_after(hours: int, last_session: bool) -> str:
    """ "the day after your session", "3 days after your session", "4 weeks
    after your last session"."""
    days = hours // 24
    if days <= 1:
        return gettext("the day after your session")
    if days < 7 or days % 7:
        if last_session:
            return ngettext(
                "%(n)d day after your last session", "%(n)d days after your last session", days
            ) % {"n": days}
        return ngettext("%(n)d day after your session", "%(n)d days after your session", days) % {
            "n": days
        }
    weeks = days // 7
    if last_session:
        return ngettext(
            "%(n)d week after your last session", "%(n)d weeks after your last session", weeks
        ) % {"n": weeks}
    return ngettext("%(n)d week after your session", "%(n)d weeks after your session", weeks) % {
        "n": weeks
    }


@renderer(Kind.FOLLOW_UP)
def follow_up(message: Message) -> Rendered:
    chart = message.chart
    assert chart is not None, "a follow-up belongs to a chart"
    step = get_catalog().follow_ups[message.step]
    when = when_after(step.after_hours, step.anchor == "last_session")
    subject = gettext("How are you, %(when)s?") % {"when": when}
    context = {
        **_base_context(message),
        "when": when,
        "session_day": _day(chart.performed_on),
        "asks": gettext(step.asks),
        "link": _follow_up_link(message, step.key),
    }
    return _both("follow_up", context, subject)
