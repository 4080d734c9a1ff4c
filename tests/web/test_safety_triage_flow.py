"""A patient reports a side effect by their follow-up link, through the real
pages and API: triaged as the issue's acceptance cases say, linked to the
session and its lots, photos stored clean, bad input refused by field with
nothing written."""

from __future__ import annotations

import base64
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from messaging.models import Message
from messaging.render import render
from safety.models import AdverseEvent, EventPhoto, FollowUpAnswer
from tests.clients import login
from tests.conftest import People
from tests.safety_support import MAKE, SESSION_END, Session, charted_session, exif_jpeg, local

SIGNS = ["fever", "warm_swelling", "spreading_redness"]


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def session(people: People) -> Session:
    people.clinic.phone = "+91 80 4000 1234"
    people.clinic.email = "desk@test-clinic.example"
    people.clinic.save()
    return charted_session(people)


def page(session: Session, rest: str = "") -> str:
    return f"/follow-up/{session.link.token}/{rest}"


def report_form(**values: Any) -> dict[str, Any]:
    started = values.pop("started", SESSION_END + timedelta(minutes=30))
    day, hour = local(started)
    form = {
        "effect": "redness",
        "site": "Crown of the scalp",
        "description": "",
        "started_date": day,
        "started_time": hour,
        "severity": "mild",
        "signs": [],
    }
    form.update(values)
    return form


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def alerts() -> list[Message]:
    return list(Message.objects.filter(kind="alert"))


# -- the three acceptance cases ----------------------------------------------------------------


def test_redness_three_hours_after_the_session_is_expected_and_the_patient_reassured(
    session: Session,
) -> None:
    client = Client()
    with time_machine.travel(SESSION_END + timedelta(hours=3), tick=False):
        home = client.get(page(session))
        assert home.status_code == 200
        assert "All is well" in home.text and "Report a problem" in home.text
        # The session's time as the patient reads it: clinic time with its zone.
        assert "11:10 IST (Asia/Kolkata)" in home.text
        response = client.post(page(session, "report/"), report_form())
        assert response.status_code == 302
        event = AdverseEvent.objects.get()
        assert response["Location"] == page(session, f"reports/{event.pk}/")
        advice = client.get(response["Location"])

    assert (event.level, event.status, event.effect) == ("expected", "reassured", "redness")
    assert event.review_due_at is None
    assert event.reported_via == "patient" and event.link == session.link
    assert event.triage["reasons"][0]["code"] == "within_course"
    assert event.triage["reasons"][0]["sources"]  # every reason names its sources
    assert alerts() == []
    assert advice.status_code == 200
    assert "This is a common, expected reaction after a session." in advice.text
    assert "Mild redness where the needles went in is normal." in advice.text  # catalog advice
    assert "When to contact the clinic:" in advice.text
    assert "If the redness lasts longer than that, spreads" in advice.text
    assert "does not replace, your practitioner's judgement" in advice.text
    assert "Contact the clinic now" not in advice.text
    # Answering "something is wrong" counts as the check-in's answer.
    assert list(FollowUpAnswer.objects.values_list("answer", flat=True)) == ["problem"]


def test_bruising_on_day_nine_goes_for_review_within_a_day(
    session: Session, people: People
) -> None:
    now = SESSION_END + timedelta(days=9)
    with time_machine.travel(now, tick=False):
        response = Client().post(
            page(session, "report/"),
            report_form(effect="bruising", started=SESSION_END + timedelta(hours=6)),
        )
        event = AdverseEvent.objects.get()
        advice = Client().get(response["Location"])
        listed = login(people.practitioner).get("/staff/test/safety/")

    assert (event.level, event.status) == ("review", "open")
    assert event.review_due_at == now + timedelta(hours=24)
    assert [r["code"] for r in event.triage["reasons"]] == ["lasting"]
    assert "A practitioner will look at this within a day." in advice.text
    assert "If a bruise shows no improvement after a week" in advice.text
    assert alerts() == []
    assert listed.status_code == 200
    assert f'id="event-{event.pk}"' in listed.text
    assert "Tuesday 3 March 2026" not in listed.text  # due in a day, from day 9
    assert "Thursday 12 March 2026, 11:30 IST" in listed.text


def test_swelling_with_fever_and_a_hot_spreading_area_is_urgent_and_alerts_the_clinic(
    session: Session,
) -> None:
    now = SESSION_END + timedelta(days=2)
    with time_machine.travel(now, tick=False):
        response = Client().post(
            page(session, "report/"),
            report_form(
                effect="swelling",
                started=SESSION_END + timedelta(hours=20),
                severity="moderate",
                signs=SIGNS,
                description="It is hot and getting bigger.",
            ),
        )
        event = AdverseEvent.objects.get()
        advice = Client().get(response["Location"])

    assert (event.level, event.status) == ("urgent", "open")
    assert event.review_due_at == now
    assert event.signs == SIGNS
    assert {r["code"] for r in event.triage["reasons"]} == {"warning_sign"}
    (alert,) = alerts()
    assert alert.key == f"alert:event:{event.pk}" and alert.data == {"event": event.pk}
    assert alert.to == "desk@test-clinic.example" and alert.patient is None
    assert "Contact the clinic now: +91 80 4000 1234" in advice.text
    assert "The clinic has been alerted to your report." in advice.text
    # The effect's own see-doctor text and each sign's advice.
    assert "If the swelling lasts longer than 3 days" in advice.text
    assert "can be a sign of infection" in advice.text
    assert 'id="emergency"' not in advice.text  # no sign said to call the emergency number

    # What the clinic's mail says: enough to act, and the way in, no more.
    written = render(alert)
    assert written.subject.startswith("Urgent")
    assert "Pat One" in written.text and "Swelling" in written.text
    assert "Do you have a fever" in written.text
    assert f"http://127.0.0.1:8000/staff/test/safety/events/{event.pk}/" in written.text
    assert "It is hot and getting bigger." not in written.text  # description stays behind login


def test_trouble_breathing_tells_the_patient_to_call_the_emergency_number(
    session: Session,
) -> None:
    with time_machine.travel(SESSION_END + timedelta(hours=1), tick=False):
        response = Client().post(
            page(session, "report/"),
            report_form(effect="swelling", signs=["breathing_or_swallowing"]),
        )
        advice = Client().get(response["Location"])
    assert AdverseEvent.objects.get().level == "urgent"
    assert 'id="emergency"' in advice.text
    assert (
        "If you have trouble breathing or swelling of the lips, tongue or throat, call your "
        "local emergency number." in advice.text
    )


def test_something_else_in_the_patients_own_words_goes_for_review(session: Session) -> None:
    with time_machine.travel(SESSION_END + timedelta(hours=5), tick=False):
        Client().post(
            page(session, "report/"),
            report_form(effect="other", description="My ear is ringing."),
        )
    event = AdverseEvent.objects.get()
    assert (event.effect, event.level, event.description) == (
        "other",
        "review",
        "My ear is ringing.",
    )


# -- what the event is linked to ---------------------------------------------------------------


def test_the_event_is_linked_to_its_session_and_exactly_the_lots_injected(
    session: Session, people: People
) -> None:
    other = charted_session(people, patient=people.other_patient)  # lots never used on Pat One
    with time_machine.travel(SESSION_END + timedelta(hours=2), tick=False):
        Client().post(page(session, "report/"), report_form())
    event = AdverseEvent.objects.get()
    assert event.chart == session.chart and event.patient == people.patient
    assert event.clinic == people.clinic
    assert sorted(event.lots.values_list("number", flat=True)) == sorted(
        lot.number for lot in session.lots
    )
    assert not set(event.lots.all()) & set(other.lots)


def test_photos_are_stored_without_their_location_and_camera(session: Session, media: Path) -> None:
    upload = SimpleUploadedFile("IMG_0001.jpg", exif_jpeg(), content_type="image/jpeg")
    with time_machine.travel(SESSION_END + timedelta(hours=2), tick=False):
        response = Client().post(page(session, "report/"), report_form(photos=[upload]))
    assert response.status_code == 302
    (photo,) = EventPhoto.objects.all()
    assert photo.event == AdverseEvent.objects.get() and photo.uploaded_by is None
    for stored in (photo.image, photo.thumbnail):
        data = stored.open("rb").read()
        assert b"SpyCam" not in data and b"Home Street" not in data
        with Image.open(io.BytesIO(data)) as image:
            assert MAKE not in image.getexif() and "comment" not in image.info
    assert (photo.width, photo.height) == (320, 240)
    assert "IMG_0001" not in photo.image.name
    assert len(stored_files(media)) == 2


# -- bad input ---------------------------------------------------------------------------------


def huge_photo() -> SimpleUploadedFile:
    data = exif_jpeg() + b"\0" * (15 * 1024 * 1024)
    return SimpleUploadedFile("big.jpg", data, content_type="image/jpeg")


BAD_FORMS = {
    "future start": (
        "started_at",
        lambda: {"started": SESSION_END + timedelta(hours=5)},
        "cannot have started in the future",
    ),
    "before the session": (
        "started_at",
        lambda: {"started": SESSION_END - timedelta(hours=2)},
        "cannot have started before the session",
    ),
    "no start": ("started_at", lambda: {"started_time": "not a time"}, "Give the day and time"),
    "unknown effect": ("effect", lambda: {"effect": "werewolf"}, "Choose what you noticed"),
    "no severity": ("severity", lambda: {"severity": ""}, "Choose how bad it is"),
    "bad severity": ("severity", lambda: {"severity": "apocalyptic"}, "Choose how bad it is"),
    "unknown sign": ("signs", lambda: {"signs": ["fever", "glowing"]}, "Tick only the signs"),
    "other, not described": (
        "description",
        lambda: {"effect": "other", "description": "  "},
        "Describe what you noticed",
    ),
    "huge photo": ("photos", lambda: {"photos": [huge_photo()]}, "larger than 15 MB"),
    "not an image": (
        "photos",
        lambda: {"photos": [SimpleUploadedFile("x.jpg", b"%PDF-1.4 not a photo")]},
        "not a JPEG, PNG or WebP photo",
    ),
    "four photos": (
        "photos",
        lambda: {
            "photos": [SimpleUploadedFile(f"{n}.jpg", exif_jpeg()) for n in range(4)],
            "signs": ["fever"],
        },
        "at most 3 photos",
    ),
}


@pytest.mark.parametrize("case", list(BAD_FORMS), ids=list(BAD_FORMS))
def test_bad_input_is_refused_by_field_and_nothing_is_written(
    session: Session, media: Path, case: str
) -> None:
    field, values, message = BAD_FORMS[case]
    form = report_form(**values())
    with time_machine.travel(SESSION_END + timedelta(hours=3), tick=False):
        response = Client().post(page(session, "report/"), form)
    assert response.status_code == 400
    assert f'id="error-{field}"' in response.text
    assert message in response.text
    assert AdverseEvent.objects.count() == 0 and EventPhoto.objects.count() == 0
    assert alerts() == [] and FollowUpAnswer.objects.count() == 0
    assert stored_files(media) == []


# -- the same over the API ---------------------------------------------------------------------


def api_report(session: Session, **values: Any) -> Any:
    body = {
        "effect": "redness",
        "started_at": (SESSION_END + timedelta(minutes=30)).isoformat(),
        "severity": "mild",
        "signs": [],
        "site": "scalp",
    }
    body.update(values)
    return Client().post(
        f"/api/v1/follow-up/{session.link.token}/adverse-events",
        json.dumps(body),
        content_type="application/json",
    )


def test_the_api_triages_the_three_cases_like_the_pages(session: Session) -> None:
    with time_machine.travel(SESSION_END + timedelta(hours=3), tick=False):
        redness = api_report(session)
    with time_machine.travel(SESSION_END + timedelta(days=9), tick=False):
        bruising = api_report(
            session,
            effect="bruising",
            started_at=(SESSION_END + timedelta(hours=5)).isoformat(),
            step="week_1",
        )
        urgent = api_report(session, effect="swelling", signs=SIGNS, severity="moderate")
    assert [r.status_code for r in (redness, bruising, urgent)] == [201, 201, 201]
    assert [r.json()["level"] for r in (redness, bruising, urgent)] == [
        "expected",
        "review",
        "urgent",
    ]
    assert redness.json()["status"] == "reassured"
    assert "Mild redness" in redness.json()["advice"]
    assert urgent.json()["contact_clinic_now"] is True
    assert urgent.json()["clinic_phone"] == "+91 80 4000 1234"
    assert "does not replace" in urgent.json()["disclaimer"]
    # Nothing internal for the patient: no lots, no reasons, no other events.
    assert "lots" not in urgent.json() and "reasons" not in urgent.json()
    assert [m.data for m in alerts()] == [{"event": urgent.json()["id"]}]
    assert FollowUpAnswer.objects.filter(step="week_1").count() == 1


def test_the_api_refuses_bad_input_by_field(session: Session) -> None:
    cases = [
        ({"started_at": (SESSION_END + timedelta(days=1)).isoformat()}, "started_at"),
        ({"effect": "werewolf"}, "effect"),
        ({"severity": "none"}, "severity"),
        ({"photos": ["not base64!"]}, "photos.0"),
        ({"photos": [base64.b64encode(b"GIF89a nope").decode()]}, "photos"),
    ]
    with time_machine.travel(SESSION_END + timedelta(hours=3), tick=False):
        for values, field in cases:
            response = api_report(session, **values)
            assert response.status_code == 422, values
            assert response.json()["errors"][0]["field"] == field
        missing = Client().post(
            f"/api/v1/follow-up/{session.link.token}/adverse-events",
            json.dumps({"effect": "redness"}),
            content_type="application/json",
        )
    assert missing.status_code == 422
    assert {e["field"] for e in missing.json()["errors"]} == {"started_at", "severity"}
    assert AdverseEvent.objects.count() == 0 and alerts() == []


def test_the_api_stores_a_base64_photo_clean(session: Session) -> None:
    photo = base64.b64encode(exif_jpeg()).decode()
    with time_machine.travel(SESSION_END + timedelta(hours=3), tick=False):
        response = api_report(session, photos=[photo])
    assert response.status_code == 201
    (stored,) = EventPhoto.objects.all()
    assert b"SpyCam" not in stored.image.open("rb").read()


def test_a_link_takes_a_days_sensible_number_of_reports_then_asks_for_a_call(
    session: Session,
) -> None:
    with time_machine.travel(SESSION_END + timedelta(hours=3), tick=False):
        statuses = [api_report(session).status_code for _ in range(11)]
    assert statuses == [201] * 10 + [429]
    assert AdverseEvent.objects.count() == 10


def test_all_is_well_is_recorded_with_its_check_in(session: Session) -> None:
    client = Client()
    with time_machine.travel(SESSION_END + timedelta(days=1), tick=False):
        home = client.get(page(session, "?step=day_1"))
        assert 'name="step" value="day_1"' in home.text
        response = client.post(page(session, "fine/"), {"step": "day_1"})
        thanks = client.get(response["Location"])
    assert response.status_code == 302 and thanks.status_code == 200
    assert "Thank you" in thanks.text
    (answer,) = FollowUpAnswer.objects.all()
    assert (answer.answer, answer.step, answer.link) == ("fine", "day_1", session.link)
    assert AdverseEvent.objects.count() == 0


def test_a_request_too_large_for_its_photos_is_refused_before_it_is_read(
    session: Session, monkeypatch: pytest.MonkeyPatch, media: Path
) -> None:
    # The real limit is three 15 MB photos and a megabyte; a small one here.
    monkeypatch.setattr("safety.report_form.MAX_REQUEST_BYTES", 1_000)
    upload = SimpleUploadedFile("big.jpg", exif_jpeg(), content_type="image/jpeg")
    with time_machine.travel(SESSION_END + timedelta(hours=3), tick=False):
        response = Client().post(page(session, "report/"), report_form(photos=[upload]))
    assert response.status_code == 413
    assert 'id="error-photos"' in response.text
    assert AdverseEvent.objects.count() == 0 and stored_files(media) == []


def test_triage_counts_the_protocols_actives_as_the_aftercare_sheet_does(
    people: People,
) -> None:
    # A fat-dissolving course whose product names no actives: the protocol's
    # deoxycholate still gives the longer swelling course (ATX100-2017), on
    # the sheet and in the triage alike.
    from clinical.aftercare_sheet import sheet_for_chart
    from safety.events import effect_choices
    from tests.clinical_factories import make_chart, make_course

    course = make_course(people.patient, people.practitioner, "localised_fat", ("abdomen",))
    assert course.protocol == "localised_fat_pc_dc"
    chart = make_chart(course, people.practitioner)
    choices = [effect.key for effect in effect_choices(chart)]
    assert "deoxycholate_swelling" in choices and "swelling" not in choices
    normal = [effect.key for effect in sheet_for_chart(chart).normal]
    assert "deoxycholate_swelling" in normal and "swelling" not in normal
