"""Screening in the record: at the consultation, at each check-in, and the
practitioner's override of a verdict that stops a session.

Verdicts come from the real catalog (contraindications.toml); the charting
gate (clinical.gates) reads the check-in screening these pages make.
"""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from accounts.models import User
from clinical.gates import session_blockers
from clinical.models import ScreeningRecord, TreatmentCourse
from clinics.models import StaffMember
from mesoclinic.catalog import get_catalog
from patients.models import Intake
from scheduling.models import Appointment, Course, Service, ServiceKind
from tests.clinical_factories import make_course, make_intake, make_screening, sign_consent
from tests.conftest import People

CATALOG = get_catalog()


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def record_url(people: People, rest: str = "") -> str:
    return f"/staff/{people.clinic.slug}/patients/{people.patient.pk}/record/{rest}"


def booked_session(people: People, course: TreatmentCourse, days_ahead: int = 1) -> Appointment:
    """Session 1 of ``course``, booked ``days_ahead`` days from the clinic's
    today at 11:00 its time, its booking tied to the treatment course."""
    clinic = people.clinic
    service = Service.objects.create(
        clinic=clinic,
        key="hair-loss-scalp",
        name="Hair loss: Scalp",
        kind=ServiceKind.SESSION,
        indication=course.indication,
        area=course.areas[0],
        procedure_minutes=30,
    )
    booking = Course.objects.create(
        clinic=clinic,
        patient=course.patient,
        service=service,
        protocol=course.protocol,
        sessions=course.sessions,
        intervals=course.intervals,
        created_by=people.front_desk,
    )
    TreatmentCourse.objects.filter(pk=course.pk).update(booking=booking)
    course.refresh_from_db()
    day = clinic.today() + timedelta(days=days_ahead)
    starts = datetime.combine(day, time(11, 0), tzinfo=ZoneInfo(clinic.time_zone))
    ends = starts + timedelta(minutes=30)
    return Appointment.objects.create(
        clinic=clinic,
        patient=course.patient,
        service=service,
        practitioner=StaffMember.objects.get(clinic=clinic, user=people.practitioner),
        starts_at=starts,
        ends_at=ends,
        blocked_from=starts,
        blocked_until=ends,
        course=booking,
        session_number=1,
        created_by=people.front_desk,
    )


def consultation_form(people: People, **fields: Any) -> dict[str, Any]:
    return {
        "indication": "hair_loss",
        "area": "scalp",
        "planned_date": str(people.clinic.today()),
    } | fields


def check_in_form(**answers: Any) -> dict[str, Any]:
    """The check-in of a hair-loss course on the scalp, nothing to report."""
    return {"area": "scalp", "pregnant": "no", "breastfeeding": "no"} | answers


# -- consultation ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_clean_intake_screens_eligible_at_the_consultation(people: People) -> None:
    make_intake(people.patient, people.practitioner)
    client = logged_in(people.practitioner)
    assert client.get(record_url(people, "screenings/new/")).status_code == 200
    response = client.post(record_url(people, "screenings/new/"), consultation_form(people))
    record = ScreeningRecord.objects.get()
    assert response.status_code == 302
    assert response["Location"] == record_url(people, f"screenings/{record.pk}/")
    assert record.occasion == ScreeningRecord.Occasion.CONSULTATION
    assert record.verdict == "eligible"
    assert record.findings == []
    assert record.protocol == CATALOG.default_protocol("hair_loss", "scalp").key
    assert record.intake == Intake.objects.get()
    assert record.screened_by == people.practitioner
    assert record.course is None and record.appointment is None


@pytest.mark.django_db
def test_pregnancy_gives_the_catalogs_verdict_with_its_finding(people: People) -> None:
    make_intake(people.patient, people.practitioner, pregnant=True)
    client = logged_in(people.practitioner)
    client.post(record_url(people, "screenings/new/"), consultation_form(people))
    record = ScreeningRecord.objects.get()
    rule = CATALOG.contraindications["pregnancy"]
    assert record.verdict == rule.verdict.value == "not_eligible"
    assert [f["code"] for f in record.findings] == ["pregnancy"]
    finding = record.findings[0]
    assert finding["kind"] == "contraindication"
    assert finding["message"] == rule.message
    assert finding["sources"] == list(rule.sources)
    html = client.get(record_url(people, f"screenings/{record.pk}/")).content.decode()
    assert 'class="verdict verdict-not_eligible"' in html
    assert 'id="finding-pregnancy"' in html
    assert rule.message in html
    assert "it never replaces it" in html
    assert 'id="stops"' in html


@pytest.mark.django_db
def test_a_medicine_finding_keeps_its_pause_as_a_parameter(people: People) -> None:
    yesterday = people.clinic.today() - timedelta(days=1)
    make_intake(
        people.patient,
        people.practitioner,
        medicines=[{"medicine": "aspirin", "last_dose": str(yesterday), "prescribed": False}],
    )
    logged_in(people.practitioner).post(
        record_url(people, "screenings/new/"), consultation_form(people)
    )
    record = ScreeningRecord.objects.get()
    pause = CATALOG.medicines["aspirin"].pause_days
    assert record.verdict == "defer"
    [finding] = record.findings
    assert finding["params"]["pause_days"] == pause
    assert finding["earliest_date"] == str(yesterday + timedelta(days=pause))
    assert f"at least {pause} days" in finding["text"]


@pytest.mark.django_db
def test_a_consultation_needs_an_intake_first(people: People) -> None:
    response = logged_in(people.practitioner).post(
        record_url(people, "screenings/new/"), consultation_form(people)
    )
    assert response.status_code == 400
    assert "has not filled the intake questionnaire yet" in response.content.decode()
    assert ScreeningRecord.objects.count() == 0


@pytest.mark.django_db
def test_an_area_the_indication_does_not_treat_is_refused_beside_the_field(people: People) -> None:
    make_intake(people.patient, people.practitioner)
    response = logged_in(people.practitioner).post(
        record_url(people, "screenings/new/"), consultation_form(people, area="abdomen")
    )
    assert response.status_code == 400
    assert 'id="id_area_error"' in response.content.decode()
    assert "is not an area for this indication" in response.content.decode()
    assert ScreeningRecord.objects.count() == 0


@pytest.mark.django_db
def test_a_consultation_screening_may_name_its_course(people: People) -> None:
    make_intake(people.patient, people.practitioner)
    course = make_course(people.patient, people.practitioner)
    logged_in(people.practitioner).post(
        record_url(people, "screenings/new/"), consultation_form(people, course=course.pk)
    )
    assert ScreeningRecord.objects.get().course == course


# -- check-in ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_check_in_asks_again_what_can_change(people: People) -> None:
    make_intake(people.patient, people.practitioner)
    appointment = booked_session(people, make_course(people.patient, people.practitioner))
    html = (
        logged_in(people.practitioner)
        .get(record_url(people, f"sessions/{appointment.pk}/check-in/"))
        .content.decode()
    )
    for key in ("pregnant", "breastfeeding", "infection_areas", "medicines"):
        assert f'id="question-{key}"' in html, key
    # Not re-asked: a lasting condition, answered at the consultation.
    assert 'id="question-diabetes"' not in html


@pytest.mark.django_db
def test_an_infection_at_the_site_defers_the_session_and_the_gate_stops_it(
    people: People,
) -> None:
    make_intake(people.patient, people.practitioner, diabetes=False)
    course = make_course(people.patient, people.practitioner)
    sign_consent(people.patient, people.practitioner, course)
    appointment = booked_session(people, course)
    response = logged_in(people.practitioner).post(
        record_url(people, f"sessions/{appointment.pk}/check-in/"),
        check_in_form(infection_areas=["scalp"]),
    )
    record = ScreeningRecord.objects.get()
    assert response.status_code == 302
    assert response["Location"] == record_url(people, f"screenings/{record.pk}/")
    assert record.occasion == ScreeningRecord.Occasion.CHECK_IN
    assert record.verdict == CATALOG.contraindications["infection_at_site"].verdict.value
    assert record.verdict == "defer"
    assert [f["code"] for f in record.findings] == ["infection_at_site"]
    assert record.appointment == appointment and record.course == course
    assert record.planned_date == people.clinic.today() + timedelta(days=1)
    # The check-in answers are a new intake, merged over the latest.
    assert Intake.objects.count() == 2
    assert record.intake == Intake.objects.first()
    assert record.intake.answers["infection_areas"] == ["scalp"]
    assert record.intake.answers["diabetes"] is False
    codes = [b.code for b in session_blockers(course, appointment, record.planned_date)]
    assert codes == ["screening_stops"]


@pytest.mark.django_db
def test_the_check_in_requires_the_yes_no_questions_and_stores_nothing_without(
    people: People,
) -> None:
    make_intake(people.patient, people.practitioner)
    appointment = booked_session(people, make_course(people.patient, people.practitioner))
    response = logged_in(people.practitioner).post(
        record_url(people, f"sessions/{appointment.pk}/check-in/"), {"area": "scalp"}
    )
    assert response.status_code == 400
    assert 'id="id_pregnant_error"' in response.content.decode()
    assert Intake.objects.count() == 1
    assert ScreeningRecord.objects.count() == 0


@pytest.mark.django_db
def test_a_clean_check_in_clears_the_gate(people: People) -> None:
    make_intake(people.patient, people.practitioner)
    course = make_course(people.patient, people.practitioner)
    sign_consent(people.patient, people.practitioner, course)
    appointment = booked_session(people, course)
    logged_in(people.practitioner).post(
        record_url(people, f"sessions/{appointment.pk}/check-in/"), check_in_form()
    )
    assert ScreeningRecord.objects.get().verdict == "eligible"
    assert session_blockers(course, appointment, appointment.starts_at.date()) == []


@pytest.mark.django_db
def test_another_patients_appointment_is_not_found(people: People) -> None:
    course = make_course(people.other_patient, people.practitioner)
    appointment = booked_session(people, course)
    response = logged_in(people.practitioner).post(
        record_url(people, f"sessions/{appointment.pk}/check-in/"), check_in_form()
    )
    assert response.status_code == 404
    assert ScreeningRecord.objects.count() == 0


# -- override ----------------------------------------------------------------------------------


def stopped_session(people: People) -> tuple[TreatmentCourse, Appointment, ScreeningRecord]:
    make_intake(people.patient, people.practitioner, infection_areas=["scalp"])
    course = make_course(people.patient, people.practitioner)
    sign_consent(people.patient, people.practitioner, course)
    appointment = booked_session(people, course)
    record = make_screening(course, people.practitioner, verdict="defer", appointment=appointment)
    return course, appointment, record


def unchanged(record: ScreeningRecord, versions: int) -> None:
    record.refresh_from_db()
    assert record.override_reason == ""
    assert record.overridden_by is None and record.overridden_at is None
    assert record.history.count() == versions
    assert record.stops_session


@pytest.mark.django_db
@pytest.mark.parametrize("reason", ["", "   \n "])
def test_an_override_without_a_reason_is_refused_and_changes_nothing(
    people: People, reason: str
) -> None:
    _, _, record = stopped_session(people)
    versions = record.history.count()
    response = logged_in(people.practitioner).post(
        record_url(people, f"screenings/{record.pk}/override/"), {"reason": reason}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert f'id="reason-error-{record.pk}"' in html
    assert "Reason: Write why the session may go ahead despite the verdict." in html
    unchanged(record, versions)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "status"), [("manager", 403), ("front_desk", 403), ("outsider", 404)]
)
def test_only_a_practitioner_may_override(people: People, role: str, status: int) -> None:
    _, _, record = stopped_session(people)
    versions = record.history.count()
    response = logged_in(getattr(people, role)).post(
        record_url(people, f"screenings/{record.pk}/override/"), {"reason": "Healed."}
    )
    assert response.status_code == status
    unchanged(record, versions)


@pytest.mark.django_db
def test_an_override_with_a_reason_clears_the_gate_and_is_kept(people: People) -> None:
    course, appointment, record = stopped_session(people)
    assert [b.code for b in session_blockers(course, appointment, record.planned_date)] == [
        "screening_stops"
    ]
    client = logged_in(people.practitioner)
    response = client.post(
        record_url(people, f"screenings/{record.pk}/override/"),
        {"reason": "  Examined: the patch is a healed scar, not active.  "},
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.override_reason == "Examined: the patch is a healed scar, not active."
    assert record.overridden_by == people.practitioner
    assert record.overridden_at is not None
    assert record.verdict == "defer"  # the verdict stays what the screening said
    assert not record.stops_session
    assert session_blockers(course, appointment, record.planned_date) == []
    latest = record.history.first()
    assert latest.history_user == people.practitioner
    assert latest.history_change_reason == (
        "Override: Examined: the patch is a healed scar, not active."
    )
    html = client.get(record_url(people)).content.decode()
    assert "Examined: the patch is a healed scar, not active." in html
    assert f'id="override-{record.pk}"' in html


@pytest.mark.django_db
def test_an_override_is_made_once(people: People) -> None:
    _, _, record = stopped_session(people)
    client = logged_in(people.practitioner)
    url = record_url(people, f"screenings/{record.pk}/override/")
    assert client.post(url, {"reason": "First."}).status_code == 302
    assert client.post(url, {"reason": "Second."}).status_code == 409
    record.refresh_from_db()
    assert record.override_reason == "First."


@pytest.mark.django_db
def test_the_hub_shows_the_override_form_to_practitioners_only(people: People) -> None:
    _, _, record = stopped_session(people)
    form = f'action="{record_url(people, f"screenings/{record.pk}/override/")}"'
    assert form in logged_in(people.practitioner).get(record_url(people)).content.decode()
    assert form not in logged_in(people.manager).get(record_url(people)).content.decode()


# -- API ---------------------------------------------------------------------------------------


def api_url(people: People, rest: str = "") -> str:
    return f"/api/v1/patients/{people.patient.pk}/screenings{rest}"


def post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def fields(response: Any) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]


@pytest.mark.django_db
def test_api_consultation_screening(people: People) -> None:
    make_intake(people.patient, people.practitioner, pregnant=True)
    body = {"occasion": "consultation", "indication": "hair_loss", "area": "scalp"}
    response = post(logged_in(people.practitioner), api_url(people), body)
    assert response.status_code == 201
    data = response.json()
    assert data["verdict"] == "not_eligible"
    assert data["stops_session"] is True
    assert data["planned_date"] == str(people.clinic.today())
    assert [f["code"] for f in data["findings"]] == ["pregnancy"]
    assert "never replaces it" in data["disclaimer"]
    assert ScreeningRecord.objects.get().pk == data["id"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"area": "abdomen"}, "area"),
        ({"indication": "tattoo_removal"}, "indication"),
        ({"planned_date": "2026-02-30"}, "planned_date"),
        ({"planned_date": "2000-01-01"}, "planned_date"),
        ({"protocol": "nope"}, "protocol"),
        ({"course_id": 999999}, "course_id"),
        ({"colour": "blue"}, "colour"),
        ({"answers": {"pregnant": True}}, "answers"),
    ],
)
def test_api_bad_consultation_input_is_422_naming_the_field(
    people: People, body: dict[str, Any], field: str
) -> None:
    make_intake(people.patient, people.practitioner)
    base = {"occasion": "consultation", "indication": "hair_loss", "area": "scalp"}
    response = post(logged_in(people.practitioner), api_url(people), base | body)
    assert response.status_code == 422
    assert field in fields(response)
    assert ScreeningRecord.objects.count() == 0


@pytest.mark.django_db
def test_api_check_in_with_an_infection_defers_and_stops_the_session(people: People) -> None:
    make_intake(people.patient, people.practitioner)
    course = make_course(people.patient, people.practitioner)
    sign_consent(people.patient, people.practitioner, course)
    appointment = booked_session(people, course)
    body = {
        "occasion": "check_in",
        "appointment_id": appointment.pk,
        "answers": {"pregnant": False, "breastfeeding": False, "infection_areas": ["scalp"]},
    }
    response = post(logged_in(people.practitioner), api_url(people), body)
    assert response.status_code == 201
    data = response.json()
    assert data["verdict"] == "defer"
    assert data["appointment_id"] == appointment.pk and data["course_id"] == course.pk
    assert [
        b.code for b in session_blockers(course, appointment, appointment.starts_at.date())
    ] == ["screening_stops"]
    assert Intake.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({"pregnant": False, "breastfeeding": False, "infection_areas": [], "x": 1}, "answers.x"),
        ({"pregnant": False, "infection_areas": []}, "answers.breastfeeding"),
        (
            {"pregnant": False, "breastfeeding": False, "infection_areas": [], "diabetes": True},
            "answers.diabetes",
        ),
        ({"pregnant": "no", "breastfeeding": False, "infection_areas": []}, "answers.pregnant"),
    ],
)
def test_api_bad_check_in_answers_are_422_and_store_nothing(
    people: People, answers: dict[str, Any], field: str
) -> None:
    make_intake(people.patient, people.practitioner)
    appointment = booked_session(people, make_course(people.patient, people.practitioner))
    body = {"occasion": "check_in", "appointment_id": appointment.pk, "answers": answers}
    response = post(logged_in(people.practitioner), api_url(people), body)
    assert response.status_code == 422
    assert field in fields(response)
    assert Intake.objects.count() == 1
    assert ScreeningRecord.objects.count() == 0


@pytest.mark.django_db
def test_api_screenings_access(people: People, client: Client) -> None:
    make_intake(people.patient, people.practitioner)
    body = {"occasion": "consultation", "indication": "hair_loss", "area": "scalp"}
    assert post(client, api_url(people), body).status_code == 401
    assert post(logged_in(people.front_desk), api_url(people), body).status_code == 403
    assert post(logged_in(people.manager), api_url(people), body).status_code == 403
    assert post(logged_in(people.outsider), api_url(people), body).status_code == 404
    assert post(logged_in(people.patient.user), api_url(people), body).status_code == 404
    assert ScreeningRecord.objects.count() == 0
    assert post(logged_in(people.practitioner), api_url(people), body).status_code == 201
    assert client.get(api_url(people)).status_code == 401
    assert logged_in(people.front_desk).get(api_url(people)).status_code == 403
    assert logged_in(people.outsider).get(api_url(people)).status_code == 404
    assert logged_in(people.patient.user).get(api_url(people)).status_code == 404
    listed = logged_in(people.manager).get(api_url(people))
    assert listed.status_code == 200 and len(listed.json()) == 1


@pytest.mark.django_db
def test_api_override(people: People) -> None:
    course, appointment, record = stopped_session(people)
    url = api_url(people, f"/{record.pk}/override")
    versions = record.history.count()
    response = post(logged_in(people.practitioner), url, {"reason": "  "})
    assert response.status_code == 422 and fields(response) == ["reason"]
    response = post(logged_in(people.practitioner), url, {})
    assert response.status_code == 422 and fields(response) == ["reason"]
    assert post(logged_in(people.manager), url, {"reason": "Fine."}).status_code == 403
    assert post(logged_in(people.front_desk), url, {"reason": "Fine."}).status_code == 403
    assert post(logged_in(people.outsider), url, {"reason": "Fine."}).status_code == 404
    missing = api_url(people, "/999999/override")
    assert post(logged_in(people.practitioner), missing, {"reason": "x"}).status_code == 404
    unchanged(record, versions)
    response = post(logged_in(people.practitioner), url, {"reason": "Healed; checked."})
    assert response.status_code == 200
    data = response.json()
    assert data["override_reason"] == "Healed; checked."
    assert data["overridden_by"] == "practitioner"
    assert data["stops_session"] is False
    assert session_blockers(course, appointment, record.planned_date) == []
    again = post(logged_in(people.practitioner), url, {"reason": "Again."})
    assert again.status_code == 409


@pytest.mark.django_db
def test_api_an_eligible_verdict_has_nothing_to_override(people: People) -> None:
    course = make_course(people.patient, people.practitioner)
    record = make_screening(course, people.practitioner, verdict="eligible")
    response = post(
        logged_in(people.practitioner), api_url(people, f"/{record.pk}/override"), {"reason": "x"}
    )
    assert response.status_code == 422 and fields(response) == ["verdict"]
    record.refresh_from_db()
    assert record.overridden_by is None


@pytest.mark.django_db
def test_api_check_in_of_a_session_without_a_treatment_course_is_refused(people: People) -> None:
    make_intake(people.patient, people.practitioner)
    course = make_course(people.patient, people.practitioner)
    appointment = booked_session(people, course)
    TreatmentCourse.objects.filter(pk=course.pk).update(booking=None)
    body = {
        "occasion": "check_in",
        "appointment_id": appointment.pk,
        "answers": {"pregnant": False, "breastfeeding": False, "infection_areas": []},
    }
    response = post(logged_in(people.practitioner), api_url(people), body)
    assert response.status_code == 422 and fields(response) == ["appointment_id"]
    # Named explicitly, the course is used.
    response = post(
        logged_in(people.practitioner), api_url(people), body | {"course_id": course.pk}
    )
    assert response.status_code == 201
    assert ScreeningRecord.objects.get().course == course
    assert Intake.objects.count() == 2


@pytest.mark.django_db
def test_a_patient_asking_for_another_patients_record_over_the_api_gets_404(
    people: People,
) -> None:
    make_intake(people.other_patient, people.practitioner)
    client = logged_in(people.patient.user)
    other = f"/api/v1/patients/{people.other_patient.pk}"
    for url in (other, f"{other}/intakes", f"{other}/screenings"):
        assert client.get(url).status_code == 404, url
    assert post(client, f"{other}/intakes", {"answers": {}}).status_code == 404
    assert Intake.objects.count() == 1


@pytest.mark.django_db
def test_a_consultation_screening_is_linked_to_its_course_later(people: People) -> None:
    from clinical.screen import ScreenError, link_course

    make_intake(people.patient, people.practitioner)
    logged_in(people.practitioner).post(
        record_url(people, "screenings/new/"), consultation_form(people)
    )
    record = ScreeningRecord.objects.get()
    with pytest.raises(ScreenError):
        link_course(record, make_course(people.other_patient, people.practitioner))
    record.refresh_from_db()
    assert record.course is None
    course = make_course(people.patient, people.practitioner)
    link_course(record, course)
    record.refresh_from_db()
    assert record.course == course
    assert record.history.first().history_change_reason == "Linked to its course"


@pytest.mark.django_db
def test_a_refused_check_in_leaves_no_intake_behind(people: People) -> None:
    make_intake(people.patient, people.practitioner)
    appointment = booked_session(
        people, make_course(people.patient, people.practitioner), days_ahead=-1
    )
    response = logged_in(people.practitioner).post(
        record_url(people, f"sessions/{appointment.pk}/check-in/"), check_in_form()
    )
    assert response.status_code == 400
    assert "The planned date is in the past." in response.content.decode()
    assert Intake.objects.count() == 1
    assert ScreeningRecord.objects.count() == 0
