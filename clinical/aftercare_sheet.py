"""The aftercare sheet of one charted session: on screen, as PDF, in a message.

The content comes from core.aftercare.sheet, for the chart's indication (its
course's), its area and the actives that went in: those of every product
injected at the chart's points (Product.actives) and those of the course's
protocol in the catalog. Times count from the end of the session
(clinical.charting.session_end) and are shown in the clinic's local time with
its zone (messaging.render.local_time).

Catalog texts are English; they are translated here with gettext in the
active language, as the education and record pages translate them (the
catalog's own messages, ``manage.py catalog_messages``). A text without a
translation stays English.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from django.http import Http404
from django.template.loader import render_to_string
from django.utils import formats
from django.utils.translation import gettext, gettext_noop

from clinical.charting import chart_actives, session_end
from clinical.models import SessionChart
from core.aftercare import CallLevel, CallReason, Instruction, NormalEffect, Sheet, sheet
from core.catalog.model import Source
from core.planning import Message
from mesoclinic.catalog import get_catalog
from messaging.render import local_time

if TYPE_CHECKING:
    from clinics.models import Clinic
    from patients.models import Patient

FOOTER = gettext_noop("This sheet supports, and does not replace, the advice of your practitioner.")
EMERGENCY = gettext_noop("In an emergency, call your local emergency number.")


# -- what the sheet is built from -----------------------------------------------------------


def _text(text: str) -> str:
    # gettext("") returns the .po header, never what a sheet wants.
    return gettext(text) if text else ""


def _message(message: Message) -> Message:
    return Message(_text(message.text), message.params)


def translated(content: Sheet) -> Sheet:
    """The sheet with every catalog text in the active language."""
    return replace(
        content,
        indication_name=_text(content.indication_name),
        area_name=_text(content.area_name),
        do_and_avoid=tuple(replace(i, text=_text(i.text)) for i in content.do_and_avoid),
        normal=tuple(
            replace(
                n,
                name=_text(n.name),
                advice=_text(n.advice),
                usual_course=tuple(_message(m) for m in n.usual_course),
                see_doctor=_text(n.see_doctor),
            )
            for n in content.normal
        ),
        call=tuple(
            replace(c, name=_text(c.name), text=_text(c.text), about=_text(c.about))
            for c in content.call
        ),
    )


def sheet_for_chart(chart: SessionChart) -> Sheet:
    """The aftercare sheet of ``chart``, in the active language. Two queries
    beyond the chart's course (its points' products, and the appointment
    when the session end needs it). Raises KeyError when the chart's area is
    no longer in the catalog."""
    content = sheet(
        get_catalog(),
        chart.course.indication,
        chart.area,
        chart_actives(chart),
        session_end(chart),
    )
    return translated(content)


# -- the sheet as a reader sees it ----------------------------------------------------------


@dataclass(frozen=True)
class DoLine:
    key: str
    text: str
    hours: int | None
    ends_at: datetime | None
    until: str  # the end in the clinic's local time with its zone; "" when untimed
    sources: tuple[str, ...]


@dataclass(frozen=True)
class NormalLine:
    key: str
    name: str
    advice: str
    course: str  # "Usually lasts up to 6 hours." or ""
    see_doctor: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class CallLine:
    key: str
    level: CallLevel
    name: str
    text: str
    about: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class SheetView:
    """Everything a page, a PDF or a message shows, in the active language."""

    sheet: Sheet
    chart: SessionChart
    clinic: Clinic
    patient: Patient
    patient_name: str
    area_name: str
    indication_name: str
    session_day: str
    session_end: str
    do_and_avoid: tuple[DoLine, ...]
    normal: tuple[NormalLine, ...]
    call: tuple[CallLine, ...]
    sources: tuple[Source, ...]
    footer: str
    emergency: str

    @property
    def urgent(self) -> tuple[CallLine, ...]:
        return tuple(c for c in self.call if c.level == "urgent")

    @property
    def other_calls(self) -> tuple[CallLine, ...]:
        return tuple(c for c in self.call if c.level != "urgent")


def _local(moment: datetime, clinic: Clinic) -> str:
    return local_time(moment, clinic)


def _do(item: Instruction, clinic: Clinic) -> DoLine:
    return DoLine(
        key=item.key,
        text=item.text,
        hours=item.hours,
        ends_at=item.ends_at,
        until=_local(item.ends_at, clinic) if item.ends_at else "",
        sources=item.sources,
    )


def _normal(item: NormalEffect) -> NormalLine:
    course = " ".join(m.render() + "." for m in item.usual_course)
    return NormalLine(item.key, item.name, item.advice, course, item.see_doctor, item.sources)


def _call(item: CallReason) -> CallLine:
    return CallLine(item.key, item.level, item.name, item.text, item.about, item.sources)


def sheet_view(chart: SessionChart) -> SheetView:
    """The chart's sheet laid out for reading, in the active language."""
    content = sheet_for_chart(chart)
    clinic = chart.clinic
    patient = chart.patient
    return SheetView(
        sheet=content,
        chart=chart,
        clinic=clinic,
        patient=patient,
        patient_name=f"{patient.first_name} {patient.last_name}".strip(),
        area_name=content.area_name,
        indication_name=content.indication_name,
        session_day=formats.date_format(chart.performed_on, "j F Y"),
        session_end=_local(content.session_end, clinic),
        do_and_avoid=tuple(_do(i, clinic) for i in content.do_and_avoid),
        normal=tuple(_normal(n) for n in content.normal),
        call=tuple(_call(c) for c in content.call),
        sources=content.sources,
        footer=gettext(FOOTER),
        emergency=gettext(EMERGENCY),
    )


# -- in a message ---------------------------------------------------------------------------


def _until(line: DoLine) -> str:
    return gettext("Until %(time)s.") % {"time": line.until}


def sheet_text(chart: SessionChart, *, short: bool = False) -> str:
    """The sheet as plain text, for an email's body or an SMS/WhatsApp
    message. ``short`` leaves out what is normal, the effects' descriptions
    and the sources, for channels that charge by length."""
    view = sheet_view(chart)
    clinic = view.clinic
    lines = [
        gettext("Aftercare after your session on %(day)s: %(area)s")
        % {"day": view.session_day, "area": view.area_name},
        clinic.name + (f", {clinic.phone}" if clinic.phone else ""),
        "",
        gettext("What to do and avoid"),
    ]
    for line in view.do_and_avoid:
        lines.append("- " + line.text + (" " + _until(line) if line.until else ""))
    if not short:
        lines += ["", gettext("What is normal")]
        for n in view.normal:
            lines.append("- " + " ".join(p for p in (f"{n.name}: {n.advice}", n.course) if p))
    lines += ["", gettext("When to call the clinic")]
    if clinic.phone:
        lines.append(gettext("Phone: %(phone)s") % {"phone": clinic.phone})
    for c in view.call:
        prefix = gettext("Get help quickly") + ": " if c.level == "urgent" else ""
        if c.name:
            about = f" {c.about}" if c.about and not short else ""
            lines.append(f"- {prefix}{c.name}.{about} {c.text}")
        else:
            lines.append(f"- {prefix}{c.text}")
    lines.append(view.emergency)
    if not short:
        lines += ["", gettext("Sources")]
        lines += [f"- {s.key}: {s.title}" + (f" {s.url}" if s.url else "") for s in view.sources]
    lines += ["", view.footer]
    return "\n".join(lines)


def sheet_html(chart: SessionChart) -> str:
    """The sheet as an HTML fragment for an email (no page around it)."""
    return render_to_string("clinical/aftercare/email.html", {"view": sheet_view(chart)})


# -- for the pages and the API ----------------------------------------------------------------


def find_chart(clinic: Clinic, patient: Patient, chart_id: int) -> SessionChart:
    """The patient's chart at the clinic; Http404 when it is not theirs."""
    chart = (
        SessionChart.objects.filter(clinic=clinic, patient=patient, pk=chart_id)
        .select_related("course", "clinic", "patient", "appointment")
        .first()
    )
    if chart is None:
        raise Http404("No such chart.")
    return chart


def chart_sheet(chart: SessionChart) -> SheetView:
    """The chart's sheet; Http404 when its area has left the catalog."""
    try:
        return sheet_view(chart)
    except KeyError:
        raise Http404("No aftercare sheet for this area.") from None
