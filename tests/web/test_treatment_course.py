"""Treatment courses on the record's pages and over the API: planned within
the protocol's limits, stopped with a reason, moved on only forward, and
shown only to those who may read the record."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from clinical.courses import CourseError, complete, link_booking, mark_active, stop
from clinical.models import RecordAccess, TreatmentCourse
from scheduling.models import Course as BookedCourse
from scheduling.models import Service
from tests.clients import api, login, post_json, record
from tests.clinical_factories import make_course

KOLKATA = ZoneInfo("Asia/Kolkata")
NOON = datetime(2026, 11, 23, 12, 0, tzinfo=KOLKATA)


@pytest.fixture(autouse=True)
def monday_noon() -> Any:
    with time_machine.travel(NOON, tick=False):
        yield


def taper_form(**changes: Any) -> dict[str, Any]:
    """The new-course form for hair loss at the scalp, as the page fills it."""
    data: dict[str, Any] = {
        "treatment": "hair_loss:scalp",
        "protocol": "hair_loss_taper",
        "areas": ["scalp"],
        "sessions": "7",
        "technique": "syringe",
        "notes": "",
    }
    defaults = {2: (7, 10), 3: (7, 10), 4: (7, 10), 5: (14, 14), 6: (14, 14), 7: (28, 31)}
    for number in range(2, 13):
        low, high = defaults.get(number, (28, 31))
        data[f"interval_{number}_min"] = str(low)
        data[f"interval_{number}_max"] = str(high)
    data.update(changes)
    return data


# -- a new course on the page -----------------------------------------------------------------


def test_the_new_course_page_shows_the_plan_previews_protocol_and_its_defaults(
    people: Any,
) -> None:
    page = login(people.practitioner).get(record(people, "courses/new/?treatment=hair_loss:scalp"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Hair mesotherapy cocktail, tapering course" in html
    assert 'name="sessions" id="id_sessions" value="7"' in html
    assert 'name="interval_5_min" id="id_interval_5_min" value="14"' in html
    assert '<option value="syringe" selected>' in html
    # Another protocol the country allows is offered as a choice.
    assert "protocol=hair_loss_monthly" in html


def test_the_practitioner_plans_a_course_with_adjusted_intervals(people: Any) -> None:
    response = login(people.practitioner).post(
        record(people, "courses/new/"),
        taper_form(
            sessions="8",
            interval_2_min="8",
            interval_2_max="9",
            technique="injector_gun",
            notes=" Thin crown ",
        ),
    )
    course = TreatmentCourse.objects.get()
    assert response.status_code == 302
    assert response["Location"] == record(people, f"courses/{course.pk}/")
    assert course.status == "planned"
    assert course.clinic == people.clinic and course.patient == people.patient
    assert (course.indication, course.areas, course.protocol) == (
        "hair_loss",
        ["scalp"],
        "hair_loss_taper",
    )
    assert course.sessions == 8
    # Only the rows up to the number of sessions count.
    assert course.intervals == [[8, 9], [7, 10], [7, 10], [14, 14], [14, 14], [28, 31], [28, 31]]
    assert course.technique == "injector_gun"
    assert course.notes == "Thin crown"
    assert course.created_by == people.practitioner
    first = course.history.get()
    assert (first.history_user, first.history_change_reason) == (
        people.practitioner,
        "Course planned",
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"sessions": "13"}, "sessions", "Choose between 4 and 12 sessions for this protocol."),
        ({"sessions": "many"}, "sessions", "Enter the number of sessions, a whole number."),
        (
            {"interval_5_min": "10"},
            "interval_5_min",
            "Session 5 may come no sooner than 14 days after the one before in this protocol.",
        ),
        (
            {"interval_2_max": "21"},
            "interval_2_max",
            "Session 2 may come no later than 10 days after the one before in this protocol.",
        ),
        ({"interval_3_min": "soon"}, "interval_3_min", "Enter a whole number of days."),
        ({"technique": "dermaroller"}, "technique", "This protocol does not use that technique"),
        ({"areas": []}, "areas", "Choose at least one area."),
        (
            {"areas": ["face"]},
            "areas",
            "This indication is not treated there; choose one of: scalp.",
        ),
    ],
)
def test_the_page_refuses_a_course_outside_the_protocols_limits_naming_the_field(
    people: Any, changes: dict[str, Any], field: str, message: str
) -> None:
    response = login(people.practitioner).post(
        record(people, "courses/new/"), taper_form(**changes)
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    # The message sits beside its field.
    marker = {"sessions": "id_sessions_error", "technique": "id_technique_error"}.get(
        field, f"id_{field}_error" if field.startswith("interval") else "areas_error"
    )
    assert f'id="{marker}"' in html
    assert TreatmentCourse.objects.count() == 0


def test_the_page_refuses_a_treatment_the_clinics_country_bans(people: Any) -> None:
    people.clinic.country = "FR"
    people.clinic.save()
    client = login(people.practitioner)
    shown = client.get(record(people, "courses/new/?treatment=double_chin:submental"))
    assert shown.status_code == 400
    assert "banned by decree 2011-382" in shown.content.decode()
    posted = client.post(
        record(people, "courses/new/"),
        {"treatment": "double_chin:submental", "areas": ["submental"], "sessions": "4"},
    )
    assert posted.status_code == 400
    assert TreatmentCourse.objects.count() == 0


# -- the course page and its changes ----------------------------------------------------------


def test_the_course_page_shows_status_sessions_and_the_missing_consent(people: Any) -> None:
    course = make_course(people.patient, people.practitioner)
    page = login(people.practitioner).get(record(people, f"courses/{course.pk}/"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Hair mesotherapy cocktail, tapering course" in html
    assert "No valid consent: no session can start" in html
    assert record(people, f"courses/{course.pk}/consent/") in html
    assert RecordAccess.objects.filter(user=people.practitioner, what="course").count() == 1


def test_stopping_a_course_needs_a_reason(people: Any) -> None:
    course = make_course(people.patient, people.practitioner)
    client = login(people.practitioner)
    refused = client.post(record(people, f"courses/{course.pk}/stop/"), {"reason": "  "})
    assert refused.status_code == 400
    assert "Say why the course is stopped." in refused.content.decode()
    course.refresh_from_db()
    assert (course.status, course.stop_reason, course.stopped_at) == ("planned", "", None)
    assert course.history.count() == 1

    done = client.post(
        record(people, f"courses/{course.pk}/stop/"), {"reason": "Pregnant; wants to wait."}
    )
    assert done.status_code == 302
    course.refresh_from_db()
    assert course.status == "stopped"
    assert course.stop_reason == "Pregnant; wants to wait."
    assert course.stopped_at == NOON
    latest = course.history.first()
    assert latest is not None
    assert latest.history_user == people.practitioner
    assert latest.history_change_reason == "Course stopped: Pregnant; wants to wait."


def test_a_course_moves_only_forward(people: Any) -> None:
    course = make_course(people.patient, people.practitioner)
    with pytest.raises(CourseError) as planned:
        complete(course, people.practitioner)
    assert planned.value.field == "status"
    mark_active(course, people.practitioner)
    mark_active(course, people.practitioner)  # a second charted session changes nothing
    assert course.status == "active"
    complete(course, people.practitioner)
    assert TreatmentCourse.objects.get().status == "completed"
    for change in (
        lambda: stop(course, "Too late", people.practitioner),
        lambda: complete(course, people.practitioner),
        lambda: mark_active(course, people.practitioner),
    ):
        with pytest.raises(CourseError):
            change()
    course.refresh_from_db()
    assert (course.status, course.stop_reason, course.stopped_at) == ("completed", "", None)
    assert [h.status for h in course.history.order_by("history_id")] == [
        "planned",
        "active",
        "completed",
    ]


def test_the_page_completes_an_active_course_and_refuses_to_complete_a_planned_one(
    people: Any,
) -> None:
    course = make_course(people.patient, people.practitioner)
    client = login(people.practitioner)
    refused = client.post(record(people, f"courses/{course.pk}/complete/"))
    assert refused.status_code == 400
    assert "Only an active course can be completed" in refused.content.decode()
    assert TreatmentCourse.objects.get().status == "planned"
    mark_active(course)
    assert client.post(record(people, f"courses/{course.pk}/complete/")).status_code == 302
    assert TreatmentCourse.objects.get().status == "completed"


def booked_course(people: Any, protocol: str = "hair_loss_taper", patient: Any = None) -> Any:
    service, _ = Service.objects.get_or_create(
        clinic=people.clinic,
        key="hair-loss-scalp",
        defaults={
            "name": "Hair loss, scalp",
            "kind": "session",
            "indication": "hair_loss",
            "area": "scalp",
            "procedure_minutes": 30,
        },
    )
    return BookedCourse.objects.create(
        clinic=people.clinic,
        patient=patient or people.patient,
        service=service,
        protocol=protocol,
        sessions=7,
        intervals=[[7, 10]] * 6,
        created_by=people.front_desk,
    )


def test_the_booked_sessions_are_tied_to_a_course_of_the_same_patient_and_protocol(
    people: Any,
) -> None:
    course = make_course(people.patient, people.practitioner)
    others = booked_course(people, patient=people.other_patient)
    monthly = booked_course(people, protocol="hair_loss_monthly")
    for wrong in (others, monthly):
        with pytest.raises(CourseError) as refused:
            link_booking(course, wrong)
        assert refused.value.field == "booking"
    assert TreatmentCourse.objects.get().booking is None

    booked = booked_course(people)
    page = login(people.practitioner).get(record(people, f"courses/{course.pk}/"))
    assert f'<option value="{booked.pk}">' in page.content.decode()
    response = login(people.practitioner).post(
        record(people, f"courses/{course.pk}/booking/"), {"booking": booked.pk}
    )
    assert response.status_code == 302
    assert TreatmentCourse.objects.get().booking == booked
    second = make_course(people.patient, people.practitioner)
    with pytest.raises(CourseError):
        link_booking(second, booked)


# -- the API ----------------------------------------------------------------------------------


def test_the_api_plans_a_course_with_the_protocols_defaults(people: Any) -> None:
    response = post_json(
        login(people.practitioner),
        api(people, "courses"),
        {"indication": "hair_loss", "areas": ["scalp"]},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["protocol"] == "hair_loss_taper"
    assert body["sessions"] == 7
    assert body["intervals"] == [[7, 10], [7, 10], [7, 10], [14, 14], [14, 14], [28, 31]]
    assert body["technique"] == "syringe"
    assert (body["status"], body["consent"], body["booking"]) == ("planned", None, None)
    assert TreatmentCourse.objects.get().pk == body["id"]
    listed = login(people.manager).get(api(people, "courses")).json()
    assert [c["id"] for c in listed] == [body["id"]]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"sessions": 3}, "sessions"),
        ({"sessions": 5, "intervals": [[7, 10], [7, 10], [7, 10], [7, 14]]}, "intervals.3.min"),
        ({"sessions": 5, "intervals": [[7, 10]]}, "intervals"),
        ({"technique": "dermaroller"}, "technique"),
        ({"areas": ["face"]}, "areas"),
        ({"indication": "tattoos"}, "indication"),
        ({"protocol": "cellulite_course"}, "protocol"),
        ({"sessions": "7"}, "sessions"),
        ({"areas": []}, "areas"),
    ],
)
def test_the_api_refuses_a_course_outside_the_limits_naming_the_field(
    people: Any, changes: dict[str, Any], field: str
) -> None:
    body = {"indication": "hair_loss", "areas": ["scalp"], **changes}
    response = post_json(login(people.practitioner), api(people, "courses"), body)
    assert response.status_code == 422, response.json()
    assert response.json()["errors"][0]["field"] == field
    assert TreatmentCourse.objects.count() == 0


def test_the_api_refuses_a_treatment_the_country_bans(people: Any) -> None:
    people.clinic.country = "FR"
    people.clinic.save()
    response = post_json(
        login(people.practitioner),
        api(people, "courses"),
        {"indication": "localised_fat", "areas": ["abdomen"]},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "indication"
    assert "France" in response.json()["detail"]
    assert TreatmentCourse.objects.count() == 0


def test_the_api_stops_with_a_reason_and_refuses_to_stop_twice(people: Any) -> None:
    course = make_course(people.patient, people.practitioner)
    client = login(people.practitioner)
    url = api(people, f"courses/{course.pk}/stop")
    assert post_json(client, url, {"reason": ""}).json()["errors"][0]["field"] == "reason"
    assert TreatmentCourse.objects.get().status == "planned"
    stopped = post_json(client, url, {"reason": "Moved abroad"})
    assert stopped.status_code == 200
    assert stopped.json()["status"] == "stopped"
    assert stopped.json()["stop_reason"] == "Moved abroad"
    again = post_json(client, url, {"reason": "Again"})
    assert again.status_code == 409
    assert again.json()["errors"][0]["field"] == "status"
    assert TreatmentCourse.objects.get().stop_reason == "Moved abroad"
    completed = post_json(client, api(people, f"courses/{course.pk}/complete"))
    assert completed.status_code == 409


def test_the_api_completes_an_active_course(people: Any) -> None:
    course = make_course(people.patient, people.practitioner)
    mark_active(course)
    response = post_json(login(people.practitioner), api(people, f"courses/{course.pk}/complete"))
    assert response.status_code == 200
    assert response.json()["status"] == "completed"


# -- who may see and change a course ----------------------------------------------------------


def pages(people: Any, course: TreatmentCourse) -> list[str]:
    return [
        record(people, "courses/new/"),
        record(people, f"courses/{course.pk}/"),
    ]


def test_front_desk_is_refused_every_course_page_and_endpoint(people: Any) -> None:
    course = make_course(people.patient, people.practitioner)
    client = login(people.front_desk)
    for url in pages(people, course):
        assert client.get(url).status_code == 403, url
    assert (
        client.post(record(people, f"courses/{course.pk}/stop/"), {"reason": "x"}).status_code
        == 403
    )
    assert client.get(api(people, "courses")).status_code == 403
    assert client.get(api(people, f"courses/{course.pk}")).status_code == 403
    body = {"indication": "hair_loss", "areas": ["scalp"]}
    assert post_json(client, api(people, "courses"), body).status_code == 403
    assert (
        post_json(client, api(people, f"courses/{course.pk}/stop"), {"reason": "x"}).status_code
        == 403
    )
    assert TreatmentCourse.objects.get().status == "planned"
    assert TreatmentCourse.objects.count() == 1


@pytest.mark.parametrize("who", ["outsider", "patient", "other_patient"])
def test_outsiders_and_patients_get_404_on_every_course_page_and_endpoint(
    people: Any, who: str
) -> None:
    course = make_course(people.patient, people.practitioner)
    user = getattr(people, who)
    client = login(user if who == "outsider" else user.user)
    for url in pages(people, course):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(record(people, f"courses/{course.pk}/stop/"), {"reason": "x"}).status_code
        == 404
    )
    assert client.post(record(people, f"courses/{course.pk}/complete/")).status_code == 404
    assert client.get(api(people, "courses")).status_code == 404
    assert client.get(api(people, f"courses/{course.pk}")).status_code == 404
    assert (
        post_json(client, api(people, f"courses/{course.pk}/stop"), {"reason": "x"}).status_code
        == 404
    )
    body = {"indication": "hair_loss", "areas": ["scalp"]}
    assert post_json(client, api(people, "courses"), body).status_code == 404
    assert TreatmentCourse.objects.get().status == "planned"
    assert RecordAccess.objects.count() == 0


def test_another_patients_course_is_not_found_under_this_patient(people: Any) -> None:
    theirs = make_course(people.other_patient, people.practitioner)
    client = login(people.practitioner)
    assert client.get(record(people, f"courses/{theirs.pk}/")).status_code == 404
    assert client.get(api(people, f"courses/{theirs.pk}")).status_code == 404
    stop_url = api(people, f"courses/{theirs.pk}/stop")
    assert post_json(client, stop_url, {"reason": "x"}).status_code == 404
    assert TreatmentCourse.objects.get().status == "planned"


def test_a_manager_reads_a_course_but_may_not_change_it(people: Any) -> None:
    course = make_course(people.patient, people.practitioner)
    client = login(people.manager)
    page = client.get(record(people, f"courses/{course.pk}/"))
    assert page.status_code == 200
    assert "Stop the course" not in page.content.decode()
    preview = client.get(record(people, "courses/new/?treatment=hair_loss:scalp"))
    assert preview.status_code == 200
    assert "Hair mesotherapy cocktail, tapering course" in preview.content.decode()
    assert 'name="sessions"' not in preview.content.decode()
    planned = client.post(record(people, "courses/new/"), taper_form())
    assert planned.status_code == 403
    assert (
        client.post(record(people, f"courses/{course.pk}/stop/"), {"reason": "x"}).status_code
        == 403
    )
    assert (
        post_json(client, api(people, f"courses/{course.pk}/stop"), {"reason": "x"}).status_code
        == 403
    )
    assert client.get(api(people, f"courses/{course.pk}")).status_code == 200
    assert TreatmentCourse.objects.get().status == "planned"


def test_the_hub_lists_the_courses(people: Any) -> None:
    course = make_course(people.patient, people.practitioner)
    page = login(people.practitioner).get(record(people))
    html = page.content.decode()
    assert record(people, f"courses/{course.pk}/") in html
    assert "Hair loss (alopecia) · Scalp" in html
    assert record(people, "courses/new/") in html
    manager = login(people.manager).get(record(people)).content.decode()
    assert record(people, "courses/new/") not in manager
