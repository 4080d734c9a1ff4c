"""Patients' pages and the intake questionnaire.

The patient fills the intake online before the visit (/my/intake/); each
filling is a new row. All staff see and edit demographics and contacts
(/staff/<clinic>/patients/); only practitioners and managers reach the
record, and front desk is refused every intake and screening page.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from clinical.models import RecordAccess, ScreeningRecord
from mesoclinic.catalog import get_catalog
from patients.models import Intake, Patient
from tests.clinical_factories import make_course, make_intake, make_screening
from tests.conftest import People

CATALOG = get_catalog()
MY = "/my/intake/"
MY_NEW = "/my/intake/new/"


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def portal_form(**answers: Any) -> dict[str, Any]:
    """The questionnaire as a browser sends it: every yes/no answered no,
    nothing else ticked, unless given."""
    data: dict[str, Any] = {q.key: "no" for q in CATALOG.questions.values() if q.kind == "bool"}
    return data | answers


def staff_url(people: People, rest: str = "") -> str:
    return f"/staff/{people.clinic.slug}/patients/{rest}"


def record_url(people: People, rest: str = "", patient: Patient | None = None) -> str:
    patient = patient or people.patient
    return f"/staff/{people.clinic.slug}/patients/{patient.pk}/record/{rest}"


# -- the patient's own intake -------------------------------------------------------------------


@pytest.mark.django_db
def test_a_patient_without_answers_is_asked_to_fill_the_questionnaire(people: People) -> None:
    response = logged_in(people.patient.user).get(MY)
    assert response.status_code == 200
    assert 'id="no-intake"' in response.content.decode()


@pytest.mark.django_db
def test_the_questionnaire_asks_every_catalog_question_and_the_free_texts(people: People) -> None:
    html = logged_in(people.patient.user).get(MY_NEW).content.decode()
    for question in CATALOG.questions.values():
        assert question.text in html, question.key
    for rule in CATALOG.medicines.values():
        assert f'name="medicine_{rule.key}_last_dose"' in html
    for name in ("medical_history", "other_medicines", "allergies"):
        assert f'name="{name}"' in html
    assert "<script>" not in html and 'style="' not in html


@pytest.mark.django_db
def test_a_patient_fills_the_intake_and_sees_their_answers(people: People) -> None:
    client = logged_in(people.patient.user)
    response = client.post(
        MY_NEW,
        portal_form(
            pregnant="yes",
            infection_areas=["scalp"],
            medicine_aspirin_last_dose=str(people.clinic.today() - timedelta(days=2)),
            allergies="Penicillin",
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == MY
    intake = Intake.objects.get()
    assert intake.patient == people.patient
    assert intake.clinic == people.clinic
    assert intake.via == Intake.Via.PORTAL
    assert intake.submitted_by == people.patient.user
    assert intake.allergies == "Penicillin"
    assert intake.answers["pregnant"] is True
    assert intake.answers["diabetes"] is False
    assert intake.answers["infection_areas"] == ["scalp"]
    assert intake.answers["last_laser"] is None
    assert intake.answers["medicines"] == [
        {
            "medicine": "aspirin",
            "last_dose": str(people.clinic.today() - timedelta(days=2)),
            "prescribed": False,
            "ongoing": False,
        }
    ]
    html = client.get(MY).content.decode()
    assert "Penicillin" in html
    assert 'id="answer-pregnant"' in html


@pytest.mark.django_db
def test_answering_again_makes_a_new_row_and_keeps_the_first(people: People) -> None:
    client = logged_in(people.patient.user)
    assert client.post(MY_NEW, portal_form(pregnant="yes")).status_code == 302
    first = Intake.objects.get()
    assert client.post(MY_NEW, portal_form(pregnant="no")).status_code == 302
    assert Intake.objects.count() == 2
    first.refresh_from_db()
    assert first.answers["pregnant"] is True
    assert Intake.objects.filter(patient=people.patient).first().answers["pregnant"] is False
    # Never edited: one history version (its creation) per row.
    assert Intake.history.count() == 2


@pytest.mark.django_db
def test_the_form_starts_from_the_latest_answers(people: People) -> None:
    make_intake(people.patient, people.patient.user, diabetes=True)
    html = logged_in(people.patient.user).get(MY_NEW).content.decode()
    assert 'name="diabetes" value="yes" id="id_diabetes_0" checked' in html


@pytest.mark.django_db
def test_a_last_dose_in_the_future_is_refused_and_nothing_is_stored(people: People) -> None:
    tomorrow = people.clinic.today() + timedelta(days=1)
    response = logged_in(people.patient.user).post(
        MY_NEW, portal_form(medicine_aspirin_last_dose=str(tomorrow))
    )
    assert response.status_code == 400
    assert "This date is in the future." in response.content.decode()
    assert Intake.objects.count() == 0


@pytest.mark.django_db
def test_another_patient_never_sees_these_answers(people: People) -> None:
    make_intake(people.patient, people.patient.user, allergies_marker=True)
    Intake.objects.update(allergies="Latex, only mine")
    response = logged_in(people.other_patient.user).get(MY)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Latex, only mine" not in html
    assert 'id="no-intake"' in html


@pytest.mark.django_db
def test_staff_and_anonymous_have_no_portal_intake(people: People, client: Client) -> None:
    assert logged_in(people.practitioner).get(MY).status_code == 404
    assert logged_in(people.front_desk).post(MY_NEW, portal_form()).status_code == 404
    response = client.get(MY)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert Intake.objects.count() == 0


# -- staff: patients ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["front_desk", "practitioner", "manager"])
def test_every_staff_role_lists_and_searches_patients(people: People, role: str) -> None:
    Patient.objects.filter(pk=people.patient.pk).update(phone="+91 98765 43210", email="a@x.in")
    client = logged_in(getattr(people, role))
    html = client.get(staff_url(people)).content.decode()
    assert "One, Pat" in html and "Two, Pat" in html
    for query in ("One", "pat one", "98765", "A@X.IN"):
        html = client.get(staff_url(people), {"q": query}).content.decode()
        assert "One, Pat" in html and "Two, Pat" not in html, query
    html = client.get(staff_url(people), {"q": "Nobody"}).content.decode()
    assert 'id="no-patients"' in html


@pytest.mark.django_db
def test_another_clinics_staff_and_patients_do_not_see_the_list(people: People) -> None:
    assert logged_in(people.outsider).get(staff_url(people)).status_code == 404
    assert logged_in(people.patient.user).get(staff_url(people)).status_code == 404
    detail = staff_url(people, f"{people.patient.pk}/")
    assert logged_in(people.outsider).get(detail).status_code == 404


@pytest.mark.django_db
def test_front_desk_adds_a_patient_with_contacts(people: People) -> None:
    response = logged_in(people.front_desk).post(
        staff_url(people, "new/"),
        {
            "first_name": "Asha",
            "last_name": "Rao",
            "date_of_birth": "1990-04-01",
            "sex": "female",
            "phone": "+91 90000 00001",
            "email": "asha@example.in",
            "preferred_language": "hi",
            "consents_to_messages": "on",
        },
    )
    patient = Patient.objects.get(last_name="Rao")
    assert response.status_code == 302
    assert response["Location"] == staff_url(people, f"{patient.pk}/")
    assert patient.clinic == people.clinic
    assert patient.preferred_language == "hi"
    assert patient.consents_to_messages is True
    created = patient.history.get()
    assert created.history_user == people.front_desk
    assert created.history_change_reason == "New patient"


@pytest.mark.django_db
def test_a_birth_date_in_the_future_is_refused(people: People) -> None:
    tomorrow = people.clinic.today() + timedelta(days=1)
    response = logged_in(people.front_desk).post(
        staff_url(people, "new/"),
        {
            "first_name": "A",
            "last_name": "B",
            "date_of_birth": str(tomorrow),
            "preferred_language": "en",
        },
    )
    assert response.status_code == 400
    assert "The date of birth is in the future." in response.content.decode()
    assert Patient.objects.count() == 2


@pytest.mark.django_db
def test_front_desk_sees_contacts_but_no_record_link(people: People) -> None:
    Patient.objects.filter(pk=people.patient.pk).update(phone="+91 11111 22222")
    html = logged_in(people.front_desk).get(staff_url(people, f"{people.patient.pk}/")).content
    assert "+91 11111 22222" in html.decode()
    assert 'id="record-link"' not in html.decode()
    assert RecordAccess.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["practitioner", "manager"])
def test_practitioner_and_manager_get_the_record_link(people: People, role: str) -> None:
    html = logged_in(getattr(people, role)).get(staff_url(people, f"{people.patient.pk}/"))
    assert f'href="{record_url(people)}"' in html.content.decode()


@pytest.mark.django_db
def test_front_desk_edits_contacts_and_the_change_is_attributed(people: People) -> None:
    url = staff_url(people, f"{people.patient.pk}/edit/")
    client = logged_in(people.front_desk)
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "first_name": "Pat",
            "last_name": "One",
            "phone": "+91 22222 33333",
            "emergency_contact": "Ravi, +91 44444 55555",
            "preferred_language": "en",
        },
    )
    assert response.status_code == 302
    people.patient.refresh_from_db()
    assert people.patient.phone == "+91 22222 33333"
    assert people.patient.emergency_contact == "Ravi, +91 44444 55555"
    latest = people.patient.history.first()
    assert latest.history_user == people.front_desk
    assert latest.history_change_reason == "Details edited"
    assert people.patient.history.count() == 2


@pytest.mark.django_db
def test_editing_needs_post_and_another_clinic_gets_404(people: People) -> None:
    url = staff_url(people, f"{people.patient.pk}/edit/")
    assert logged_in(people.outsider).post(url, {"first_name": "X"}).status_code == 404
    people.patient.refresh_from_db()
    assert people.patient.first_name == "Pat"


# -- staff: intake and screening pages ----------------------------------------------------------


def record_pages(people: People) -> list[tuple[str, str]]:
    intake = make_intake(people.patient, people.practitioner)
    record = make_screening(make_course(people.patient, people.practitioner), people.practitioner)
    return [
        ("get", record_url(people, "intake/")),
        ("post", record_url(people, "intake/")),
        ("get", record_url(people, f"intakes/{intake.pk}/")),
        ("get", record_url(people, "screenings/new/")),
        ("post", record_url(people, "screenings/new/")),
        ("get", record_url(people, f"screenings/{record.pk}/")),
        ("post", record_url(people, f"screenings/{record.pk}/override/")),
        ("get", record_url(people, "sessions/1/check-in/")),
    ]


@pytest.mark.django_db
def test_front_desk_is_refused_every_intake_and_screening_page(people: People) -> None:
    client = logged_in(people.front_desk)
    for method, url in record_pages(people):
        assert getattr(client, method)(url).status_code == 403, (method, url)
    assert Intake.objects.count() == 1
    assert ScreeningRecord.objects.count() == 1
    assert RecordAccess.objects.count() == 0


@pytest.mark.django_db
def test_another_clinics_staff_get_404_on_every_page(people: People) -> None:
    client = logged_in(people.outsider)
    for method, url in record_pages(people):
        assert getattr(client, method)(url).status_code == 404, (method, url)


@pytest.mark.django_db
def test_a_manager_reads_intakes_and_screenings_but_writes_none(people: People) -> None:
    client = logged_in(people.manager)
    for method, url in record_pages(people):
        expected = (
            200
            if method == "get"
            and ("intakes/" in url or url.endswith(f"{ScreeningRecord.objects.get().pk}/"))
            else 403
        )
        assert getattr(client, method)(url).status_code == expected, (method, url)


@pytest.mark.django_db
def test_a_practitioner_fills_the_intake_with_the_patient(people: People) -> None:
    client = logged_in(people.practitioner)
    assert client.get(record_url(people, "intake/")).status_code == 200
    response = client.post(record_url(people, "intake/"), portal_form(epilepsy="yes"))
    assert response.status_code == 302
    intake = Intake.objects.get()
    assert intake.via == Intake.Via.STAFF
    assert intake.submitted_by == people.practitioner
    assert intake.answers["epilepsy"] is True
    html = client.get(record_url(people)).content.decode()
    assert 'id="intake-epilepsy"' in html


@pytest.mark.django_db
def test_a_patient_reaching_a_staff_page_is_not_let_in(people: People) -> None:
    client = logged_in(people.patient.user)
    assert client.get(record_url(people, "intake/")).status_code == 404
    assert client.get(staff_url(people, f"{people.other_patient.pk}/")).status_code == 404


# -- API ----------------------------------------------------------------------------------------


def api_post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def api_fields(response: Any) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]


@pytest.mark.django_db
def test_api_contacts_for_every_staff_role_only(people: People, client: Client) -> None:
    url = f"/api/v1/patients/{people.patient.pk}"
    for role in ("front_desk", "practitioner", "manager"):
        response = logged_in(getattr(people, role)).get(url)
        assert response.status_code == 200
        assert response.json()["last_name"] == "One"
    assert client.get(url).status_code == 401
    assert logged_in(people.outsider).get(url).status_code == 404
    assert logged_in(people.patient.user).get(url).status_code == 404
    assert logged_in(people.front_desk).get("/api/v1/patients/999999").status_code == 404


@pytest.mark.django_db
def test_api_intakes_are_refused_to_front_desk_and_other_clinics(people: People) -> None:
    make_intake(people.patient, people.practitioner)
    url = f"/api/v1/patients/{people.patient.pk}/intakes"
    assert logged_in(people.front_desk).get(url).status_code == 403
    assert logged_in(people.outsider).get(url).status_code == 404
    assert logged_in(people.manager).get(url).status_code == 200
    body = {"answers": {"pregnant": False}}
    assert api_post(logged_in(people.manager), url, body).status_code == 403
    assert api_post(logged_in(people.front_desk), url, body).status_code == 403
    assert Intake.objects.count() == 1


@pytest.mark.django_db
def test_api_practitioner_adds_an_intake_row(people: People) -> None:
    url = f"/api/v1/patients/{people.patient.pk}/intakes"
    client = logged_in(people.practitioner)
    response = api_post(
        client,
        url,
        {
            "answers": {
                "pregnant": False,
                "infection_areas": ["face"],
                "medicines": [{"medicine": "nsaids", "ongoing": True}],
            },
            "allergies": "None known",
        },
    )
    assert response.status_code == 201
    assert response.json()["via"] == "staff"
    intake = Intake.objects.get()
    assert intake.answers == {
        "pregnant": False,
        "infection_areas": ["face"],
        "medicines": [
            {"medicine": "nsaids", "last_dose": None, "prescribed": False, "ongoing": True}
        ],
    }
    listed = client.get(url).json()
    assert [i["id"] for i in listed] == [intake.pk]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({"pregnant_maybe": True}, "answers.pregnant_maybe"),
        ({"last_laser": "last spring"}, "answers.last_laser"),
        ({"infection_areas": ["elbow"]}, "answers.infection_areas.0"),
        ({"medicines": [{"medicine": "aspirin"}]}, "answers.medicines.0.last_dose"),
        ({"last_laser": "2999-01-01"}, "answers.last_laser"),
    ],
)
def test_api_bad_intake_answers_are_422_naming_the_field(
    people: People, answers: dict[str, Any], field: str
) -> None:
    response = api_post(logged_in(people.patient.user), "/api/v1/me/intakes", {"answers": answers})
    assert response.status_code == 422
    assert field in api_fields(response)
    assert Intake.objects.count() == 0


@pytest.mark.django_db
def test_api_my_intakes_are_my_own(people: People, client: Client) -> None:
    make_intake(people.other_patient, people.practitioner)
    mine = logged_in(people.patient.user)
    assert mine.get("/api/v1/me/intakes").json() == []
    response = api_post(mine, "/api/v1/me/intakes", {"answers": {"pregnant": True}})
    assert response.status_code == 201
    assert response.json()["via"] == "portal"
    listed = mine.get("/api/v1/me/intakes").json()
    assert len(listed) == 1 and listed[0]["answers"] == {"pregnant": True}
    assert Intake.objects.get(pk=listed[0]["id"]).patient == people.patient
    assert logged_in(people.practitioner).get("/api/v1/me/intakes").status_code == 404
    assert client.get("/api/v1/me/intakes").status_code == 401
