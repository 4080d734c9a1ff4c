"""The demo's follow-up: the demo patient reported, from her follow-up link,
swelling that has lasted since her latest session, so the review list has
an event to work and the link can be tried (load_demo prints it)."""

from __future__ import annotations

from datetime import timedelta

from clinical.models import SessionChart
from clinics.models import Clinic
from safety.events import Report, report_event
from safety.links import follow_up_url, link_for
from safety.models import AdverseEvent, ReportedVia


def load(clinic: Clinic) -> str | None:
    """Once: the report on the demo patient's latest session. Returns the
    follow-up link of that session (None without a charted session)."""
    chart = (
        SessionChart.objects.filter(clinic=clinic, patient__user__username="patient")
        .order_by("-performed_on", "-pk")
        .first()
    )
    if chart is None:
        return None
    link = link_for(chart)
    if not AdverseEvent.objects.filter(chart=chart).exists():
        report_event(
            chart,
            Report(
                effect="swelling",
                started_at=chart.charted_at + timedelta(hours=2),
                severity="mild",
                site="Crown of the head",
                description="A soft swelling where the injections were; it is going down slowly.",
                step="week_1",
            ),
            via=ReportedVia.PATIENT,
            link=link,
        )
    return follow_up_url(link)
