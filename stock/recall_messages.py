"""The "recall" message: a patient told, plainly and kindly, that a product
lot or a device cleaning used at their session is recalled or suspect.

Exact: which product and lot (or which device and cleaning) and at which
sessions, in the clinic's local time. What to look out for comes from the
catalog (the infection and slow-growing mycobacterial infection entries,
with their sources there), never from this file. It says that being told does
not mean something is wrong, asks the patient to call the clinic, and says nothing
about medicines: stopping a prescribed medicine is never ours to advise.
Written when the message is sent, inside the patient's language and the
clinic's time zone (messaging.render).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import formats
from django.utils.html import linebreaks
from django.utils.translation import gettext, ngettext

from mesoclinic.catalog import get_catalog
from messaging.render import Rendered, local_time, renderer
from stock.models import Recall, RecallKind, RecallNotice, RecallStatus

if TYPE_CHECKING:
    from clinical.models import SessionChart
    from messaging.models import Message

# Catalog side effects whose texts say what to look out for after a recall.
LOOK_OUT_FOR = (
    ("infection", "see_doctor"),
    ("mycobacterial_infection", "advice"),
    ("mycobacterial_infection", "see_doctor"),
)


def session_when(chart: SessionChart) -> str:
    """The session's time as the patient reads it: the appointment's local
    date and time with the zone, else the session's day at the clinic."""
    if chart.appointment is not None:
        return local_time(chart.appointment.starts_at, chart.clinic)
    return str(formats.date_format(chart.performed_on, "l j F Y"))


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return gettext("%(first)s and %(last)s") % {"first": ", ".join(items[:-1]), "last": items[-1]}


def _what_lot(recall: Recall, charts: list[SessionChart]) -> str:
    recalled = set(recall.lots.values_list("pk", flat=True))
    from clinical.models import InjectionPoint

    used = (
        InjectionPoint.objects.filter(chart__in=charts, lot_id__in=recalled)
        .select_related("product", "lot")
        .order_by("product__name", "lot__number")
    )
    names: dict[tuple[str, str], None] = {}
    for point in used:
        product, brand = point.product.name.strip(), point.product.brand.strip()
        name = f"{product} ({brand})" if brand else product
        names[(name, point.lot.number.strip())] = None
    products = _join(
        [gettext("%(product)s, lot %(lot)s") % {"product": p, "lot": n} for p, n in names]
    )
    if recall.status == RecallStatus.SUSPECT:
        return gettext(
            "We used %(products)s. We have since found that this lot may not be genuine or may "
            "not be safe, and we are checking it. We no longer use it."
        ) % {"products": products}
    return gettext(
        "We used %(products)s. This lot has since been recalled, and we no longer use it."
    ) % {"products": products}


def _what_cleaning(recall: Recall, charts: list[SessionChart]) -> str:
    recalled = set(recall.cleanings.values_list("pk", flat=True))
    parts: dict[str, None] = {}
    for chart in charts:
        cleaning = chart.device_cleaning
        if cleaning is None or cleaning.pk not in recalled or chart.device is None:
            continue
        when = local_time(cleaning.cleaned_at, chart.clinic)
        if cleaning.cycle.strip():
            part = gettext("%(device)s, cleaned on %(when)s (cleaning cycle %(cycle)s)") % {
                "device": chart.device.name,
                "when": when,
                "cycle": cleaning.cycle.strip(),
            }
        else:
            part = gettext("%(device)s, cleaned on %(when)s") % {
                "device": chart.device.name,
                "when": when,
            }
        parts[part] = None
    devices = _join(list(parts))
    if recall.status == RecallStatus.SUSPECT:
        return gettext(
            "We used a device: %(devices)s. We have since found that this cleaning may not "
            "have met our standard, and we are checking it."
        ) % {"devices": devices}
    return gettext(
        "We used a device: %(devices)s. We have since found that this cleaning did not meet "
        "our standard."
    ) % {"devices": devices}


def recall_text(notice: RecallNotice) -> tuple[str, str]:
    """The subject and the plain text of the recall message for ``notice``."""
    recall = notice.recall
    clinic = notice.clinic
    patient = notice.patient
    charts = list(
        notice.charts.select_related("clinic", "appointment", "device", "device_cleaning").order_by(
            "performed_on", "pk"
        )
    )
    sessions = _join(list(dict.fromkeys(session_when(c) for c in charts)))
    catalog = get_catalog()
    look_out = [
        "- " + gettext(getattr(catalog.side_effects[key], part))
        for key, part in LOOK_OUT_FOR
        if key in catalog.side_effects
    ]
    if clinic.phone:
        contact = gettext(
            "Please call us on %(phone)s, so that we can answer your questions and, if you "
            "wish, see you."
        ) % {"phone": clinic.phone}
    else:
        contact = gettext(
            "Please contact the clinic, so that we can answer your questions and, if you "
            "wish, see you."
        )
    what = (
        _what_lot(recall, charts)
        if recall.kind == RecallKind.LOT
        else _what_cleaning(recall, charts)
    )
    paragraphs = [
        gettext("Dear %(name)s,") % {"name": patient.first_name},
        ngettext(
            "We are writing to you about your mesotherapy session at %(clinic)s on %(when)s.",
            "We are writing to you about your mesotherapy sessions at %(clinic)s on %(when)s.",
            len(charts),
        )
        % {"clinic": clinic.name, "when": sessions},
        what,
        gettext(
            "Being told does not mean that something is wrong with you. We are telling "
            "everyone who had it, so that anything that does happen is noticed and looked "
            "after early."
        ),
        gettext("What to look out for:") + "\n" + "\n".join(look_out),
        contact,
        gettext("With our best wishes,") + "\n" + clinic.name,
    ]
    subject = ngettext(
        "About your session at %(clinic)s",
        "About your sessions at %(clinic)s",
        len(charts),
    ) % {"clinic": clinic.name}
    return subject, "\n\n".join(paragraphs)


@renderer("recall")
def render_recall(message: Message) -> Rendered:
    notice = RecallNotice.objects.select_related("recall", "clinic", "patient").get(
        pk=message.data["notice"], recall_id=message.data["recall"]
    )
    subject, text = recall_text(notice)
    return Rendered(subject=subject, text=text, html=linebreaks(text, autoescape=True))
