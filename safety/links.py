"""Follow-up links: a patient's way back to the clinic after a session.

A link is a long random token for one session (chart); whoever holds it sees
that session's follow-up page, nothing else, without logging in. It lasts
until 16 weeks after the course's latest charted session: the follow-ups
reach 12 weeks past the last session (mycobacterial infections show 1 to 12
weeks after, DOMAIN.md), and a patient answering late should still get in.
Charting a later session of the course extends the links of the earlier
ones, so a patient mid-course keeps every link working.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from clinical.models import SessionChart
from safety.models import FollowUpLink

LIFETIME = timedelta(weeks=16)


def expiry_for(chart: SessionChart) -> datetime:
    """16 weeks after the course's latest charted session (one query). The
    chart's ``charted_at`` stands for the session's end: it is never before
    it, so the link never expires early."""
    latest = SessionChart.objects.filter(course_id=chart.course_id).aggregate(
        latest=Max("charted_at")
    )["latest"]
    return max(latest or chart.charted_at, chart.charted_at) + LIFETIME


def extend_course_links(chart: SessionChart) -> int:
    """Move the expiry of every live link of the chart's course to 16 weeks
    after its latest session; never shortens one. Returns how many moved."""
    expires = expiry_for(chart)
    return FollowUpLink.objects.filter(
        chart__course_id=chart.course_id, revoked_at__isnull=True, expires_at__lt=expires
    ).update(expires_at=expires)


def link_for(chart: SessionChart) -> FollowUpLink:
    """The chart's follow-up link, made on first use (idempotent: one link
    per chart, the database's one-to-one decides a race). Its expiry, and
    that of the course's other links, follows the latest session. A revoked
    link is returned as it is: the clinic revoked it on purpose."""
    expires = expiry_for(chart)
    link = FollowUpLink.objects.filter(chart=chart).first()
    if link is None:
        try:
            with transaction.atomic():
                link = FollowUpLink.objects.create(
                    clinic_id=chart.clinic_id,
                    patient_id=chart.patient_id,
                    chart=chart,
                    expires_at=expires,
                )
        except IntegrityError:
            # Another request made it between the read and the write.
            link = FollowUpLink.objects.filter(chart=chart).first()
            if link is None:
                raise
    if extend_course_links(chart):
        link.refresh_from_db(fields=["expires_at"])
    return link


def follow_up_url(link: FollowUpLink, step: str = "") -> str:
    """The absolute address of the link's page (settings.MESOCLINIC_SITE_URL),
    with the follow-up ``step`` it answers when given (a catalog follow-up
    key: "day_1", "week_4"...)."""
    base = str(settings.MESOCLINIC_SITE_URL).rstrip("/")
    path = reverse("followup:home", kwargs={"token": link.token})
    query = f"?{urlencode({'step': step})}" if step else ""
    return f"{base}{path}{query}"


def open_link(token: str) -> FollowUpLink:
    """The live link of ``token``, its chart, patient and clinic loaded.
    Raises Http404 alike for an unknown, expired or revoked token, so the
    answer tells nothing about which. The lookup is by the unique token
    (an index), not a scan comparing tokens one by one."""
    if not token or len(token) > 64:
        raise Http404("No such follow-up link.")
    link = (
        FollowUpLink.objects.filter(token=token)
        .select_related("clinic", "patient", "chart", "chart__course")
        .first()
    )
    if link is None or link.revoked_at is not None or link.expires_at <= timezone.now():
        raise Http404("No such follow-up link.")
    return link
