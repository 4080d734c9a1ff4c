"""The staff's side of adverse events: the review list, the event page,
the review, a practitioner's own report, and the same over the API; each
for the roles that may, refused for the others."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from clinical.models import RecordAccess
from messaging.models import Message
from safety.events import Report, report_event
from safety.models import AdverseEvent, EventPhoto
from tests.clients import login, post_json
from tests.clinical_factories import clean_device
from tests.conftest import People
from tests.safety_support import SESSION_END, Session, charted_session, exif_jpeg, local

LIST = "/staff/test/safety/"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def session(people: People) -> Session:
    return charted_session(people)


def reported(
    session: Session,
    effect: str,
    hours_after: float,
    signs: tuple[str, ...] = (),
    photos: tuple[bytes, ...] = (),
) -> AdverseEvent:
    """An event reported by the patient ``hours_after`` the session ended."""
    with time_machine.travel(SESSION_END + timedelta(hours=hours_after), tick=False):
        return report_event(
            session.chart,
            Report(
                effect=effect,
                started_at=SESSION_END + timedelta(minutes=10),
                severity="moderate",
                signs=signs,
                photos=photos,
            ),
            via="patient",
            link=session.link,
        )


def row_classes(text: str, event: AdverseEvent) -> str:
    found = re.search(rf'<tr id="event-{event.pk}" class="([^"]*)"', text)
    assert found, f"event {event.pk} is not listed"
    return found.group(1)


def event_url(event: AdverseEvent, rest: str = "") -> str:
    return f"/staff/test/safety/events/{event.pk}/{rest}"


# -- the review list ---------------------------------------------------------------------------


def test_the_review_list_puts_urgent_first_then_by_when_review_is_due(
    session: Session, people: People
) -> None:
    expected = reported(session, "redness", 2)
    late_review = reported(session, "bruising", 24 * 9 + 12)
    early_review = reported(session, "soreness", 24 * 8)
    urgent = reported(session, "swelling", 24 * 10 - 2, signs=("fever",))
    with time_machine.travel(SESSION_END + timedelta(days=10), tick=False):
        response = login(people.practitioner).get(LIST)
        everything = login(people.practitioner).get(LIST + "?show=all")
        only_review = login(people.practitioner).get(LIST + "?level=review")
    order = [f'id="event-{e.pk}"' for e in (urgent, early_review, late_review)]
    positions = [response.text.index(o) for o in order]
    assert positions == sorted(positions)
    assert f'id="event-{expected.pk}"' not in response.text  # reassured: not waiting
    assert f'id="event-{expected.pk}"' in everything.text
    assert f'id="event-{urgent.pk}"' not in only_review.text
    assert f'id="event-{early_review.pk}"' in only_review.text
    # On day 10 the soreness (due on day 9) is overdue, the bruising (due at 10.5) not yet.
    assert "overdue" in row_classes(response.text, early_review)
    assert "overdue" not in row_classes(response.text, late_review)
    assert "overdue" in row_classes(response.text, urgent)  # due at once, two hours ago


def test_bad_filters_are_named(people: People, session: Session) -> None:
    response = login(people.manager).get(LIST + "?show=some&level=apocalyptic")
    assert response.status_code == 400
    assert 'id="error-show"' in response.text and 'id="error-level"' in response.text


@pytest.mark.parametrize(
    ("who", "status"),
    [("practitioner", 200), ("manager", 200), ("front_desk", 403), ("outsider", 404)],
)
def test_who_may_see_the_review_list_and_an_event(
    session: Session, people: People, who: str, status: int
) -> None:
    event = reported(session, "bruising", 24 * 9)
    client = login(getattr(people, who))
    assert client.get(LIST).status_code == status
    assert client.get(event_url(event)).status_code == status
    reads = RecordAccess.objects.filter(patient=people.patient, what=f"adverse event {event.pk}")
    assert reads.count() == (1 if status == 200 else 0)


def test_anonymous_staff_pages_ask_for_a_login(session: Session) -> None:
    event = reported(session, "bruising", 24 * 9)
    for url in (LIST, event_url(event)):
        response = Client().get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_event_page_shows_the_triage_lots_device_cleaning_and_photos(
    session: Session, people: People
) -> None:
    device = people.clinic.devices.create(name="Gun 2", kind="injector_gun")
    cleaning = clean_device(
        device, people.practitioner, at=SESSION_END - timedelta(hours=3), cycle="C-77"
    )
    session.chart.device, session.chart.device_cleaning = device, cleaning
    session.chart.save()
    event = reported(
        session, "swelling", 30, signs=("fever", "warm_swelling"), photos=(exif_jpeg(),)
    )
    response = login(people.manager).get(event_url(event))
    assert response.status_code == 200
    text = response.text
    assert "Warning sign: Do you have a fever" in text
    assert 'href="/sources/#src-Ma2024"' in text  # the fever reason's source, linked
    for lot in session.lots:
        assert lot.number in text
    assert "Gun 2" in text and "C-77" in text
    (photo,) = EventPhoto.objects.all()
    assert event_url(event, f"photos/{photo.pk}/thumbnail/") in text
    assert f"/staff/test/patients/{people.patient.pk}/record/" in text  # the patient's record
    assert 'id="review-form"' not in text  # a manager reads; a practitioner reviews


def test_event_photos_are_served_only_to_those_who_may_see_them(
    session: Session, people: People
) -> None:
    event = reported(session, "redness", 2, photos=(exif_jpeg(),))
    photo = EventPhoto.objects.get()
    url = event_url(event, f"photos/{photo.pk}/")
    response = login(people.practitioner).get(url)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert b"SpyCam" not in b"".join(response.streaming_content)
    assert RecordAccess.objects.filter(what=f"adverse event {event.pk} photo").count() == 1
    assert login(people.front_desk).get(url).status_code == 403
    assert login(people.outsider).get(url).status_code == 404
    assert login(people.outsider).get(f"/staff/other/safety/events/{event.pk}/").status_code == 404
    assert Client().get(url).status_code == 302


# -- the review --------------------------------------------------------------------------------


def test_a_practitioner_records_the_outcome_treatment_who_and_when(
    session: Session, people: People
) -> None:
    event = reported(session, "swelling", 30, signs=("fever",))
    reviewed_at = SESSION_END + timedelta(hours=31)
    with time_machine.travel(reviewed_at, tick=False):
        response = login(people.practitioner).post(
            event_url(event, "review/"),
            {
                "outcome": "improving",
                "treatment": "Oral antibiotics for 7 days; culture sent.",
                "notes": "Seen in clinic.",
                "level": "urgent",
            },
        )
    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.status, event.outcome) == ("reviewed", "improving")
    assert event.treatment == "Oral antibiotics for 7 days; culture sent."
    assert (event.reviewed_by, event.reviewed_at) == (people.practitioner, reviewed_at)
    latest = event.history.latest()
    assert latest.history_user == people.practitioner
    assert latest.history_change_reason == "Reviewed"
    assert event.history.earliest().history_change_reason == "Reported by the patient"
    page = login(people.practitioner).get(event_url(event))
    assert "Oral antibiotics for 7 days" in page.text and 'id="review-done"' in page.text


def test_changing_the_level_needs_a_reason_and_keeps_it(session: Session, people: People) -> None:
    event = reported(session, "bruising", 24 * 9)
    client = login(people.practitioner)
    refused = client.post(
        event_url(event, "review/"), {"outcome": "ongoing", "level": "urgent", "close": "1"}
    )
    assert refused.status_code == 400 and 'id="error-level_reason"' in refused.text
    event.refresh_from_db()
    assert (event.status, event.level, event.reviewed_at) == ("open", "review", None)
    assert event.history.count() == 1

    client.post(
        event_url(event, "review/"),
        {
            "outcome": "ongoing",
            "level": "urgent",
            "level_reason": "Hard lump under the bruise.",
            "close": "1",
        },
    )
    event.refresh_from_db()
    assert (event.status, event.level) == ("closed", "urgent")
    assert event.level_change_reason == "Hard lump under the bruise."
    assert event.triage["level"] == "review"  # the triage's own verdict is kept
    assert "review -> urgent: Hard lump" in event.history.latest().history_change_reason


def test_a_review_without_an_outcome_is_refused_by_field(session: Session, people: People) -> None:
    event = reported(session, "bruising", 24 * 9)
    response = login(people.practitioner).post(event_url(event, "review/"), {"treatment": "x"})
    assert response.status_code == 400 and 'id="error-outcome"' in response.text
    event.refresh_from_db()
    assert (event.status, event.treatment) == ("open", "")


@pytest.mark.parametrize(
    ("who", "status"), [("manager", 403), ("front_desk", 403), ("outsider", 404)]
)
def test_only_the_clinics_practitioners_review(
    session: Session, people: People, who: str, status: int
) -> None:
    event = reported(session, "bruising", 24 * 9)
    response = login(getattr(people, who)).post(
        event_url(event, "review/"), {"outcome": "resolved"}
    )
    assert response.status_code == status
    event.refresh_from_db()
    assert event.status == "open" and event.reviewed_by is None


# -- a practitioner's report -------------------------------------------------------------------


def staff_report_url(session: Session) -> str:
    chart = session.chart
    return f"/staff/test/safety/patients/{chart.patient_id}/charts/{chart.pk}/report/"


def test_a_practitioner_reports_an_event_for_a_session(session: Session, people: People) -> None:
    day, hour = local(SESSION_END + timedelta(days=20))
    with time_machine.travel(SESSION_END + timedelta(days=21), tick=False):
        client = login(people.practitioner)
        assert client.get(staff_report_url(session)).status_code == 200
        response = client.post(
            staff_report_url(session),
            {
                "effect": "nodules",
                "site": "Left temple",
                "started_date": day,
                "started_time": hour,
                "severity": "moderate",
                "signs": ["painful_lump"],
                "photos": [SimpleUploadedFile("a.jpg", exif_jpeg())],
            },
        )
    event = AdverseEvent.objects.get()
    assert response.status_code == 302 and response["Location"] == event_url(event)
    assert (event.reported_via, event.reported_by, event.level) == (
        "staff",
        people.practitioner,
        "urgent",
    )
    assert event.history.earliest().history_user == people.practitioner
    assert EventPhoto.objects.get().uploaded_by == people.practitioner
    assert Message.objects.filter(kind="alert", key=f"alert:event:{event.pk}").count() == 1


@pytest.mark.parametrize(
    ("who", "status"), [("manager", 403), ("front_desk", 403), ("outsider", 404)]
)
def test_only_the_clinics_practitioners_report_for_staff(
    session: Session, people: People, who: str, status: int
) -> None:
    client = login(getattr(people, who))
    assert client.get(staff_report_url(session)).status_code == status
    day, hour = local(SESSION_END + timedelta(hours=1))
    response = client.post(
        staff_report_url(session),
        {"effect": "redness", "started_date": day, "started_time": hour, "severity": "mild"},
    )
    assert response.status_code == status
    assert AdverseEvent.objects.count() == 0


# -- the API -----------------------------------------------------------------------------------


def api_chart(session: Session) -> str:
    return f"/api/v1/patients/{session.chart.patient_id}/charts/{session.chart.pk}/adverse-events"


def test_the_api_lists_the_clinics_events_with_filters(session: Session, people: People) -> None:
    expected = reported(session, "redness", 2)
    review = reported(session, "bruising", 24 * 9)
    urgent = reported(session, "swelling", 24 * 10, signs=("fever",))
    client = login(people.manager)
    everything = client.get("/api/v1/clinics/test/adverse-events").json()
    assert [e["id"] for e in everything] == [urgent.pk, review.pk, expected.pk]
    open_only = client.get("/api/v1/clinics/test/adverse-events?status=open").json()
    assert [e["id"] for e in open_only] == [urgent.pk, review.pk]
    urgent_only = client.get("/api/v1/clinics/test/adverse-events?level=urgent").json()
    assert [e["id"] for e in urgent_only] == [urgent.pk]
    first = everything[0]
    assert sorted(lot["number"] for lot in first["lots"]) == sorted(
        lot.number for lot in session.lots
    )
    assert first["reasons"][0]["code"] == "warning_sign" and first["reasons"][0]["sources"]
    bad = client.get("/api/v1/clinics/test/adverse-events?level=apocalyptic")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "level"


@pytest.mark.parametrize(
    ("who", "status"),
    [("practitioner", 200), ("manager", 200), ("front_desk", 403), ("outsider", 404)],
)
def test_who_may_read_events_over_the_api(
    session: Session, people: People, who: str, status: int
) -> None:
    event = reported(session, "bruising", 24 * 9)
    client = login(getattr(people, who))
    assert client.get("/api/v1/clinics/test/adverse-events").status_code == status
    assert client.get(f"/api/v1/clinics/test/adverse-events/{event.pk}").status_code == status
    assert client.get(api_chart(session)).status_code == status
    assert Client().get("/api/v1/clinics/test/adverse-events").status_code == 401


def test_a_practitioner_reports_and_reviews_over_the_api(session: Session, people: People) -> None:
    client = login(people.practitioner)
    with time_machine.travel(SESSION_END + timedelta(days=9), tick=False):
        created = post_json(
            client,
            api_chart(session),
            {
                "effect": "bruising",
                "started_at": (SESSION_END + timedelta(hours=4)).isoformat(),
                "severity": "mild",
                "site": "crown",
            },
        )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["level"], body["status"], body["reported_via"]) == ("review", "open", "staff")
    event_id = body["id"]
    refused = post_json(
        client,
        f"/api/v1/clinics/test/adverse-events/{event_id}/review",
        {"outcome": "resolved", "level": "expected"},
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "level_reason"
    done = post_json(
        client,
        f"/api/v1/clinics/test/adverse-events/{event_id}/review",
        {"outcome": "resolved", "treatment": "None needed.", "close": True},
    )
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["reviewed_by"]) == ("closed", "practitioner")
    assert done.json()["treatment"] == "None needed."
    listed = client.get(api_chart(session)).json()
    assert [e["id"] for e in listed] == [event_id]


def test_the_api_refuses_reports_and_reviews_to_the_wrong_roles(
    session: Session, people: People
) -> None:
    event = reported(session, "bruising", 24 * 9)
    body = {
        "effect": "redness",
        "started_at": (SESSION_END + timedelta(minutes=20)).isoformat(),
        "severity": "mild",
    }
    for who, status in [("manager", 403), ("front_desk", 403), ("outsider", 404)]:
        client = login(getattr(people, who))
        assert post_json(client, api_chart(session), body).status_code == status
        review = post_json(
            client,
            f"/api/v1/clinics/test/adverse-events/{event.pk}/review",
            {"outcome": "resolved"},
        )
        assert review.status_code == status
    assert AdverseEvent.objects.count() == 1
    event.refresh_from_db()
    assert event.status == "open"


def test_a_staff_report_with_bad_input_names_the_field_and_writes_nothing(
    session: Session, people: People
) -> None:
    client = login(people.practitioner)
    with time_machine.travel(SESSION_END + timedelta(hours=3), tick=False):
        response = client.post(
            api_chart(session),
            json.dumps(
                {
                    "effect": "redness",
                    "started_at": (SESSION_END + timedelta(hours=4)).isoformat(),
                    "severity": "mild",
                }
            ),
            content_type="application/json",
        )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "started_at"
    assert AdverseEvent.objects.count() == 0
