"""Follow-up links: one session's pages for whoever holds the token, for 16
weeks after the course's latest session, private, and nothing else."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.http import Http404
from django.test import Client

from safety.links import follow_up_url, link_for, open_link
from safety.models import AdverseEvent, FollowUpLink
from tests.clinical_factories import make_chart
from tests.conftest import People
from tests.safety_support import SESSION_END, Session, charted_session, local


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def session(people: People) -> Session:
    return charted_session(people)


def report(client: Client, token: str, **values: Any) -> Any:
    day, hour = local(SESSION_END + timedelta(minutes=30))
    form = {
        "effect": "redness",
        "started_date": day,
        "started_time": hour,
        "severity": "mild",
    } | values
    return client.post(f"/follow-up/{token}/report/", form)


def test_a_link_is_made_once_per_session_and_lasts_16_weeks_after_it(session: Session) -> None:
    assert link_for(session.chart) == session.link
    assert FollowUpLink.objects.count() == 1
    assert session.link.expires_at == SESSION_END + timedelta(weeks=16)
    assert (session.link.clinic, session.link.patient) == (
        session.chart.clinic,
        session.chart.patient,
    )
    assert len(session.link.token) >= 40


def test_charting_a_later_session_extends_the_earlier_links_of_the_course(
    session: Session, people: People
) -> None:
    later = SESSION_END + timedelta(days=14)
    with time_machine.travel(later, tick=False):
        second = make_chart(session.chart.course, people.practitioner, session_number=2)
    session.link.refresh_from_db()
    assert session.link.expires_at == later + timedelta(weeks=16)
    assert link_for(second).expires_at == later + timedelta(weeks=16)
    # Another course's link is not touched.
    other = charted_session(people, patient=people.other_patient)
    assert other.link.expires_at == SESSION_END + timedelta(weeks=16)


def test_follow_up_url_is_absolute_and_names_the_step(session: Session, settings: Any) -> None:
    settings.MESOCLINIC_SITE_URL = "https://clinic.example/"
    token = session.link.token
    assert follow_up_url(session.link) == f"https://clinic.example/follow-up/{token}/"
    assert follow_up_url(session.link, "week_4") == (
        f"https://clinic.example/follow-up/{token}/?step=week_4"
    )


def test_follow_up_pages_are_private(session: Session) -> None:
    with time_machine.travel(SESSION_END + timedelta(hours=2), tick=False):
        client = Client()
        pages = [
            client.get(f"/follow-up/{session.link.token}/"),
            client.get(f"/follow-up/{session.link.token}/report/"),
            report(client, session.link.token, severity=""),  # refused: still private
            client.get("/follow-up/not-a-real-token/"),
        ]
    for response in pages:
        # The origin at most, never the address with its token (safety/views_public.py).
        assert response["Referrer-Policy"] == "strict-origin"
        assert '<meta name="referrer" content="strict-origin">' in response.text
        assert response["Cache-Control"] == "private, no-store"
        assert "noindex" in response["X-Robots-Tag"]
        assert '<meta name="robots" content="noindex, nofollow">' in response.text
    assert [r.status_code for r in pages] == [200, 200, 400, 404]


def test_the_pages_speak_the_patients_language(session: Session, people: People) -> None:
    people.patient.preferred_language = "hi"
    people.patient.save()
    with time_machine.travel(SESSION_END + timedelta(hours=2), tick=False):
        response = Client().get(f"/follow-up/{session.link.token}/")
    assert response.status_code == 200
    assert '<html lang="hi"' in response.text


@pytest.mark.parametrize("state", ["unknown", "expired", "revoked"])
def test_an_unknown_expired_or_revoked_link_opens_nothing(session: Session, state: str) -> None:
    token = session.link.token
    now = SESSION_END + timedelta(days=1)
    if state == "unknown":
        token = token[:-4] + "AAAA"
    elif state == "expired":
        now = SESSION_END + timedelta(weeks=16, minutes=1)
    else:
        session.link.revoked_at = SESSION_END + timedelta(hours=1)
        session.link.save()
    client = Client()
    with time_machine.travel(now, tick=False):
        responses = [
            client.get(f"/follow-up/{token}/"),
            client.get(f"/follow-up/{token}/report/"),
            report(client, token),
            client.post(f"/follow-up/{token}/fine/"),
            client.post(
                f"/api/v1/follow-up/{token}/adverse-events",
                json.dumps(
                    {"effect": "redness", "started_at": now.isoformat(), "severity": "mild"}
                ),
                content_type="application/json",
            ),
        ]
        with pytest.raises(Http404):
            open_link(token)
    assert [r.status_code for r in responses] == [404] * 5
    assert "This link does not work" in responses[0].text
    assert "Pat" not in responses[0].text  # nothing of the patient on the refusal
    assert responses[4].json()["errors"][0]["field"] == "token"
    assert AdverseEvent.objects.count() == 0


def test_one_patients_link_shows_nothing_of_another(session: Session, people: People) -> None:
    other = charted_session(people, patient=people.other_patient)
    with time_machine.travel(SESSION_END + timedelta(hours=2), tick=False):
        client = Client()
        report(client, other.link.token)
        theirs = AdverseEvent.objects.get()
        mine_home = client.get(f"/follow-up/{session.link.token}/")
        peek = client.get(f"/follow-up/{session.link.token}/reports/{theirs.pk}/")
        own = client.get(f"/follow-up/{other.link.token}/reports/{theirs.pk}/")
    assert peek.status_code == 404 and own.status_code == 200
    assert "Pat Two" not in mine_home.text and f"reports/{theirs.pk}/" not in mine_home.text
    assert "Hello Pat." in mine_home.text
    # The link's own report is tied to its own session.
    assert theirs.chart == other.chart and theirs.patient == people.other_patient


def test_the_link_lookup_is_by_token_only(session: Session) -> None:
    with time_machine.travel(SESSION_END + timedelta(hours=1), tick=False):
        assert open_link(session.link.token) == session.link
        for bad in ["", "x" * 65, session.link.token.upper()]:
            with pytest.raises(Http404):
                open_link(bad)


def test_the_follow_up_page_shows_the_sessions_aftercare_and_its_pdf(session: Session) -> None:
    with time_machine.travel(SESSION_END + timedelta(hours=2), tick=False):
        client = Client()
        home = client.get(f"/follow-up/{session.link.token}/")
        pdf = client.get(f"/follow-up/{session.link.token}/aftercare.pdf")
        refused = client.get("/follow-up/not-a-real-token/aftercare.pdf")
    # Without a login: the sheet of this scalp session, inline, and its PDF by the token.
    assert 'id="aftercare-sheet"' in home.text
    assert f'href="/follow-up/{session.link.token}/aftercare.pdf"' in home.text
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert pdf["Cache-Control"] == "private, no-store"
    assert refused.status_code == 404


def test_the_patient_reaches_the_report_form_from_their_own_record(
    session: Session, people: People
) -> None:
    from tests.clients import login

    with time_machine.travel(SESSION_END + timedelta(days=2), tick=False):
        page = login(people.patient.user).get("/my/record/").content.decode()
        assert f'href="/follow-up/{session.link.token}/report/"' in page
        # Another patient's record shows no link to this session.
        other = login(people.other_patient.user).get("/my/record/").content.decode()
        assert session.link.token not in other
        # A revoked link is no longer offered.
        session.link.revoked_at = SESSION_END
        session.link.save()
        page = login(people.patient.user).get("/my/record/").content.decode()
        assert session.link.token not in page
