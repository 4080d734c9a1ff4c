"""POST /api/v1/screenings: every contraindication and medicine of the
catalog fed through the API, and every kind of bad input refused by name."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from core.screening import relevant_questions
from mesoclinic.catalog import get_catalog
from tests.conftest import People

CATALOG = get_catalog()
TODAY = date(2026, 3, 2)
PLANNED = date(2026, 3, 16)
URL = "/api/v1/screenings"
NOT_STOP = "Do not stop a medicine your doctor prescribed."
EMPTY: dict[str, Any] = {"bool": False, "date": None, "areas": [], "medicines": []}


@pytest.fixture(autouse=True)
def frozen_today() -> Iterator[None]:
    # Noon UTC is the same day in India and in France.
    with time_machine.travel(datetime(2026, 3, 2, 12, 0, tzinfo=UTC), tick=False):
        yield


def body(
    indication: str = "hair_loss",
    area: str = "scalp",
    planned: date = PLANNED,
    **answers: Any,
) -> dict[str, Any]:
    """A request answering every question it needs no, never or none."""
    given = {q.key: EMPTY[q.kind] for q in relevant_questions(CATALOG, indication, area)}
    return {
        "indication": indication,
        "area": area,
        "planned_date": planned.isoformat(),
        "answers": given | answers,
    }


def post(client: Client, payload: Any, headers: dict[str, str] | None = None) -> Any:
    data = payload if isinstance(payload, str) else json.dumps(payload)
    return client.post(URL, data, content_type="application/json", headers=headers)


def screened(client: Client, payload: dict[str, Any]) -> dict[str, Any]:
    response = post(client, payload)
    assert response.status_code == 200, response.content
    result: dict[str, Any] = response.json()
    return result


def finding(result: dict[str, Any], code: str) -> dict[str, Any]:
    (found,) = [f for f in result["findings"] if f["code"] == code]
    return found


def errors(response: Any) -> list[str]:
    assert response.status_code == 422, response.content
    data = response.json()
    assert data["detail"].startswith("Invalid input: ")
    return [e["field"] for e in data["errors"]]


def day(n: int) -> str:
    """The planned date plus ``n`` days, as JSON."""
    return (PLANNED + timedelta(days=n)).isoformat()


def medicine(key: str, last_dose: str | None = None, **flags: bool) -> list[dict[str, Any]]:
    return [{"medicine": key, "last_dose": last_dose, **flags}]


# -- every contraindication ---------------------------------------------------

# code, indication, area, answers, overall verdict, the finding's earliest date
CONTRAINDICATIONS: list[tuple[str, str, str, dict[str, Any], str, str | None]] = [
    ("pregnancy", "hair_loss", "scalp", {"pregnant": True}, "not_eligible", None),
    ("breastfeeding", "hair_loss", "scalp", {"breastfeeding": True}, "not_eligible", None),
    ("infection_at_site", "hair_loss", "scalp", {"infection_areas": ["scalp"]}, "defer", None),
    ("diabetes", "hair_loss", "scalp", {"diabetes": True}, "not_eligible", None),
    (
        "bleeding_disorder",
        "stretch_marks",
        "arms",
        {"bleeding_disorder": True},
        "not_eligible",
        None,
    ),
    ("epilepsy", "dry_lips", "lips", {"epilepsy": True}, "not_eligible", None),
    (
        "swallowing_difficulty_submental",
        "double_chin",
        "submental",
        {"swallowing_difficulty": True},
        "caution",
        None,
    ),
    ("tranexamic_pregnancy", "pigmentation", "face", {"pregnant": True}, "not_eligible", None),
    ("tranexamic_lactation", "pigmentation", "face", {"breastfeeding": True}, "not_eligible", None),
    (
        "tranexamic_hormonal_contraception",
        "pigmentation",
        "face",
        {"last_hormonal_contraception": "2025-10-31"},
        "defer",
        "2026-10-31",
    ),
    (
        "tranexamic_bleeding_disorder",
        "pigmentation",
        "face",
        {"bleeding_disorder": True},
        "not_eligible",
        None,
    ),
    (
        "tranexamic_anticoagulants",
        "pigmentation",
        "face",
        {"medicines": medicine("anticoagulants", ongoing=True)},
        "not_eligible",
        None,
    ),
    (
        "tranexamic_thrombosis",
        "pigmentation",
        "face",
        {"thrombosis_history": True},
        "not_eligible",
        None,
    ),
    ("tranexamic_active_infection", "pigmentation", "face", {"infection_now": True}, "defer", None),
    (
        "tranexamic_immunosuppression",
        "pigmentation",
        "face",
        {"immunosuppressed": True},
        "not_eligible",
        None,
    ),
    ("tranexamic_keloids", "pigmentation", "face", {"keloids": True}, "not_eligible", None),
    (
        "rejuvenation_pregnancy",
        "facial_rejuvenation",
        "neck",
        {"pregnant": True},
        "not_eligible",
        None,
    ),
    (
        "rejuvenation_retinoids",
        "facial_rejuvenation",
        "around_eyes",
        {"retinoids": True},
        "not_eligible",
        None,
    ),
    (
        "rejuvenation_recent_laser",
        "facial_rejuvenation",
        "face",
        {"last_laser": "2025-12-01"},
        "defer",
        "2026-06-01",
    ),
    (
        "rejuvenation_keloids",
        "facial_rejuvenation",
        "perioral",
        {"keloids": True},
        "not_eligible",
        None,
    ),
    (
        "severe_overweight_or_excess_skin",
        "body_contouring",
        "abdomen",
        {"severe_overweight_or_excess_skin": True},
        "not_eligible",
        None,
    ),
    ("mild_fat", "localised_fat", "thighs", {"mild_fat": True}, "not_eligible", None),
]


def test_every_contraindication_of_the_catalog_is_fed_to_the_api() -> None:
    assert {case[0] for case in CONTRAINDICATIONS} == set(CATALOG.contraindications)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "indication", "area", "answers", "verdict", "earliest"),
    CONTRAINDICATIONS,
    ids=[case[0] for case in CONTRAINDICATIONS],
)
def test_each_contraindication_gives_its_verdict_and_finding(
    client: Client,
    code: str,
    indication: str,
    area: str,
    answers: dict[str, Any],
    verdict: str,
    earliest: str | None,
) -> None:
    result = screened(client, body(indication, area, **answers))
    ci = CATALOG.contraindications[code]
    assert result["verdict"] == verdict
    found = finding(result, code)
    assert found["kind"] == "contraindication"
    assert found["verdict"] == ci.verdict.value
    assert found["title"] == ci.name
    assert found["message"] == ci.message
    assert found["earliest_date"] == earliest
    assert found["sources"] == [
        {"key": k, "title": CATALOG.sources[k].title, "url": CATALOG.sources[k].url}
        for k in ci.sources
    ]
    assert found["other_views"] == [
        {
            "verdict": alt.verdict.value,
            "pause_days": None,
            "sources": [
                {"key": k, "title": CATALOG.sources[k].title, "url": CATALOG.sources[k].url}
                for k in alt.sources
            ],
        }
        for alt in ci.alternatives
    ]
    if verdict == "defer":
        assert result["earliest_date"] == earliest


@pytest.mark.django_db
def test_a_face_infection_does_not_stop_a_thigh_treatment(client: Client) -> None:
    result = screened(client, body("localised_fat", "thighs", infection_areas=["face"]))
    assert result["verdict"] == "eligible"
    assert result["findings"] == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("indication", "area"),
    [("localised_fat", "face"), ("facial_rejuvenation", "around_eyes"), ("dry_lips", "lips")],
)
def test_a_face_infection_stops_a_treatment_on_the_face(
    client: Client, indication: str, area: str
) -> None:
    result = screened(client, body(indication, area, infection_areas=["face"]))
    assert result["verdict"] == "defer"
    assert result["earliest_date"] is None
    assert [f["code"] for f in result["findings"]] == ["infection_at_site"]
    assert "There is no set date" in result["findings"][0]["message"]


@pytest.mark.django_db
def test_the_worst_finding_decides_through_the_api(client: Client) -> None:
    result = screened(
        client,
        body(
            "double_chin",
            "submental",
            swallowing_difficulty=True,
            epilepsy=True,
            medicines=medicine("aspirin", day(-1)),
        ),
    )
    assert result["verdict"] == "not_eligible"
    assert result["earliest_date"] is None
    assert [(f["code"], f["verdict"]) for f in result["findings"]] == [
        ("epilepsy", "not_eligible"),
        ("aspirin", "defer"),
        ("swallowing_difficulty_submental", "caution"),
    ]


# -- every medicine to pause ----------------------------------------------------

# medicine, days before the planned date of the last dose, verdict, earliest
MEDICINES: list[tuple[str, int, str, str | None]] = [
    case
    for key in ["aspirin", "nsaids", "vitamin_e", "fish_oil", "ginkgo"]
    for case in [
        (key, 3, "defer", day(4)),  # inside the week
        (key, 7, "eligible", None),  # the boundary day: a week exactly
        (key, 8, "eligible", None),  # after
    ]
] + [
    ("alcohol", 1, "defer", day(1)),  # inside the 2 days
    ("alcohol", 2, "caution", None),  # the boundary day: within the week
    ("alcohol", 7, "eligible", None),  # the boundary of the week
    ("alcohol", 8, "eligible", None),
    ("anticoagulants", 1, "caution", None),  # never paused: prescription only
    ("antiplatelets", 1, "caution", None),
]


def test_every_medicine_of_the_catalog_is_fed_to_the_api() -> None:
    assert {case[0] for case in MEDICINES} == set(CATALOG.medicines)


@pytest.mark.django_db
@pytest.mark.parametrize(("key", "days_before", "verdict", "earliest"), MEDICINES)
def test_each_medicine_pauses_by_its_own_date_arithmetic(
    client: Client, key: str, days_before: int, verdict: str, earliest: str | None
) -> None:
    result = screened(client, body(medicines=medicine(key, day(-days_before))))
    assert result["verdict"] == verdict
    assert result["earliest_date"] == earliest
    if verdict == "eligible":
        assert result["findings"] == []
        return
    found = finding(result, key)
    assert found["kind"] == "medicine"
    assert found["verdict"] == verdict
    assert found["earliest_date"] == earliest
    assert [s["key"] for s in found["sources"]] == list(CATALOG.medicines[key].sources)


@pytest.mark.django_db
def test_it_defers_a_week_after_the_last_aspirin(client: Client) -> None:
    result = screened(client, body(medicines=medicine("aspirin", "2026-03-13")))
    assert result["earliest_date"] == "2026-03-20"
    assert finding(result, "aspirin")["message"] == (
        "Aspirin makes bleeding and bruising more likely, so please leave at least 7 days "
        "between your last aspirin and your session."
    )


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["anticoagulants", "antiplatelets", "aspirin", "nsaids"])
@pytest.mark.parametrize("planned", [TODAY, PLANNED])
def test_a_prescribed_blood_thinner_is_never_told_to_stop(
    client: Client, key: str, planned: date
) -> None:
    result = screened(
        client,
        body(
            planned=planned,
            medicines=medicine(key, TODAY.isoformat(), prescribed=True, ongoing=True),
        ),
    )
    assert result["verdict"] == "caution"
    assert result["earliest_date"] is None
    found = finding(result, key)
    assert found["verdict"] == "caution"
    assert found["earliest_date"] is None and found["last_dose_by"] is None
    message = found["message"]
    assert NOT_STOP in message
    assert "Tell your practitioner, who will talk with your prescriber." in message
    for instruction in ["leave at least", "pause", "stop taking", "stop it"]:
        assert instruction not in message.lower()


@pytest.mark.django_db
def test_an_ongoing_supplement_gets_the_last_day_to_take_it(client: Client) -> None:
    result = screened(client, body(medicines=medicine("vitamin_e", ongoing=True)))
    assert result["verdict"] == "caution"
    assert finding(result, "vitamin_e")["last_dose_by"] == day(-7)


# -- the clinic's country -------------------------------------------------------


@pytest.mark.django_db
def test_fat_dissolving_is_refused_for_a_clinic_in_france(client: Client, people: People) -> None:
    result = screened(client, body("localised_fat", "thighs") | {"clinic": "other"})
    assert result["country"] == "FR"
    assert result["verdict"] == "not_eligible"
    found = finding(result, "not_offered_in_country")
    assert found["verdict"] == "not_eligible"
    assert [s["key"] for s in found["sources"]] == ["Legifrance", "HAS2014"]


@pytest.mark.django_db
def test_fat_dissolving_is_refused_when_the_country_is_france(client: Client) -> None:
    result = screened(client, body("cellulite", "hips") | {"country": "fr"})
    assert result["verdict"] == "not_eligible"
    assert [f["code"] for f in result["findings"]] == ["not_offered_in_country"]


@pytest.mark.django_db
def test_without_clinic_or_country_the_demo_clinics_country_applies(client: Client) -> None:
    result = screened(client, body("localised_fat", "thighs"))
    assert result["country"] == "IN"
    assert result["verdict"] == "eligible"


@pytest.mark.django_db
def test_today_is_the_clinics_own_date(client: Client, people: People) -> None:
    # 20:00 UTC on 1 March is already 2 March in India.
    with time_machine.travel(datetime(2026, 3, 1, 20, 0, tzinfo=UTC), tick=False):
        response = post(client, body(planned=date(2026, 3, 1)) | {"clinic": "test"})
    assert errors(response) == ["planned_date"]


# -- the response ---------------------------------------------------------------


@pytest.mark.django_db
def test_an_eligible_result_has_the_full_shape(client: Client) -> None:
    result = screened(client, body("pigmentation", "face"))
    assert result == {
        "verdict": "eligible",
        "earliest_date": None,
        "planned_date": "2026-03-16",
        "indication": "pigmentation",
        "area": "face",
        "country": "IN",
        "protocol": {
            "key": "pigmentation_tranexamic",
            "name": CATALOG.protocols["pigmentation_tranexamic"].name,
        },
        "findings": [],
        "disclaimer": (
            "This screening supports your practitioner's judgement; it never replaces it. "
            "Your practitioner will go through your answers with you before any treatment."
        ),
    }


@pytest.mark.django_db
def test_a_chosen_protocol_is_screened_instead_of_the_default(client: Client) -> None:
    payload = body("pigmentation", "face", keloids=True) | {"protocol": "pigmentation_lightening"}
    result = screened(client, payload)
    assert result["protocol"]["key"] == "pigmentation_lightening"
    assert result["verdict"] == "eligible"


@pytest.mark.django_db
def test_texts_are_translated_before_their_numbers_are_filled(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    aspirin = CATALOG.medicines["aspirin"].message

    def fake_gettext(text: str) -> str:
        return "[hi] {pause_days} दिन" if text == aspirin else f"[hi] {text}"

    monkeypatch.setattr("screening.present.gettext", fake_gettext)
    result = screened(client, body(medicines=medicine("aspirin", day(-1))))
    found = finding(result, "aspirin")
    assert found["message"] == "[hi] 7 दिन"
    assert found["title"] == "[hi] Aspirin"
    assert result["disclaimer"].startswith("[hi] This screening supports")


@pytest.mark.django_db
def test_it_answers_in_the_language_asked_for(client: Client) -> None:
    response = post(client, body(), headers={"Accept-Language": "hi"})
    assert response.status_code == 200
    assert response["Content-Language"] == "hi"


# -- refused input ----------------------------------------------------------------


@pytest.mark.django_db
def test_malformed_json_is_a_400_naming_the_body(client: Client) -> None:
    response = post(client, '{"indication": "hair_loss",')
    assert response.status_code == 400
    assert response.json()["detail"] == "Cannot parse request body"


@pytest.mark.django_db
@pytest.mark.parametrize("raw", ["[1, 2]", "null", '"hello"', ""])
def test_a_body_that_is_not_an_object_is_refused(client: Client, raw: str) -> None:
    assert errors(post(client, raw)) == ["body"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "fields"),
    [
        (lambda b: b.pop("indication"), ["indication"]),
        (lambda b: b.pop("area"), ["area"]),
        (lambda b: b.pop("planned_date"), ["planned_date"]),
        (lambda b: b.pop("answers"), ["answers"]),
        (lambda b: b.update(indication=7), ["indication"]),
        (lambda b: b.update(planned_date="next tuesday"), ["planned_date"]),
        (lambda b: b.update(planned_date="2026-02-30"), ["planned_date"]),
        (lambda b: b.update(answers=[]), ["answers"]),
        (lambda b: b.update(country="France"), ["country"]),
        (lambda b: b.update(surname="Patel"), ["surname"]),
        (lambda b: b["answers"].update(pregnant="yes"), ["answers.pregnant"]),
        (lambda b: b["answers"].update(pregnant=1), ["answers.pregnant"]),
        (lambda b: b["answers"].update(pregnant=None), ["answers.pregnant"]),
        (lambda b: b["answers"].update(shoe_size=42), ["answers.shoe_size"]),
        (lambda b: b["answers"].update(infection_areas="scalp"), ["answers.infection_areas"]),
        (lambda b: b["answers"].update(last_laser="ages ago"), ["answers.last_laser"]),
        (lambda b: b["answers"].update(medicines={}), ["answers.medicines"]),
        (
            lambda b: b["answers"].update(medicines=[{"last_dose": "2026-03-01"}]),
            ["answers.medicines.0.medicine"],
        ),
        (
            lambda b: b["answers"].update(medicines=medicine("aspirin", "yesterday")),
            ["answers.medicines.0.last_dose"],
        ),
        (
            lambda b: b["answers"].update(
                medicines=medicine("aspirin", "2026-03-01", prescribed="no")
            ),
            ["answers.medicines.0.prescribed"],
        ),
        (
            lambda b: b["answers"].update(
                medicines=[{"medicine": "aspirin", "last_dose": "2026-03-01", "dose_mg": 75}]
            ),
            ["answers.medicines.0.dose_mg"],
        ),
    ],
)
def test_a_malformed_field_is_named(client: Client, change: Any, fields: list[str]) -> None:
    payload = body()
    change(payload)
    assert errors(post(client, payload)) == fields


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda b: b.update(area="thighs"), "area"),
        (lambda b: b.update(indication="tattoo_removal"), "indication"),
        (lambda b: b.update(protocol="cellulite_course"), "protocol"),
        (lambda b: b.update(planned_date="2026-03-01"), "planned_date"),
        (lambda b: b.update(planned_date="2031-01-01"), "planned_date"),
        (lambda b: b["answers"].update(infection_areas=["elbow"]), "answers.infection_areas.0"),
        (
            lambda b: b["answers"].update(medicines=medicine("paracetamol", "2026-03-01")),
            "answers.medicines.0.medicine",
        ),
        (
            lambda b: b["answers"].update(medicines=medicine("aspirin")),
            "answers.medicines.0.last_dose",
        ),
        (
            lambda b: b["answers"].update(
                medicines=medicine("alcohol", "2026-03-01", prescribed=True)
            ),
            "answers.medicines.0.prescribed",
        ),
    ],
)
def test_a_domain_refusal_names_the_field(client: Client, change: Any, field: str) -> None:
    payload = body()
    change(payload)
    assert errors(post(client, payload)) == [field]


@pytest.mark.django_db
def test_a_missing_answer_is_never_taken_for_no(client: Client) -> None:
    payload = body("double_chin", "submental")
    del payload["answers"]["pregnant"]
    del payload["answers"]["swallowing_difficulty"]
    result = screened(client, payload)
    assert result["verdict"] == "caution"
    unanswered = [f for f in result["findings"] if f["kind"] == "unanswered"]
    assert [f["code"] for f in unanswered] == [
        "unanswered.pregnant",
        "unanswered.swallowing_difficulty",
    ]
    assert all(f["verdict"] == "caution" for f in unanswered)
    assert "will ask you about it" in unanswered[0]["message"]


@pytest.mark.django_db
def test_an_answered_contraindication_still_decides_when_others_are_missing(
    client: Client,
) -> None:
    payload = {
        "indication": "hair_loss",
        "area": "scalp",
        "planned_date": body()["planned_date"],
        "answers": {"pregnant": True},
    }
    result = screened(client, payload)
    assert result["verdict"] == "not_eligible"
    assert result["findings"][0]["code"] == "pregnancy"


@pytest.mark.django_db
def test_a_question_that_does_not_apply_may_be_left_out(client: Client) -> None:
    payload = body("cellulite", "thighs")
    assert "swallowing_difficulty" not in payload["answers"]
    assert screened(client, payload)["verdict"] == "eligible"


@pytest.mark.django_db
def test_it_refuses_an_unknown_clinic_and_a_country_that_is_not_the_clinics(
    client: Client, people: People
) -> None:
    assert errors_of(post(client, body() | {"clinic": "nowhere"})) == ["clinic"]
    assert errors_of(post(client, body() | {"clinic": "other", "country": "IN"})) == ["country"]


def errors_of(response: Any) -> list[str]:
    assert response.status_code == 422, response.content
    return [e["field"] for e in response.json()["errors"]]


@pytest.mark.django_db
def test_only_post_is_allowed(client: Client) -> None:
    assert client.get(URL).status_code == 405


# -- the questions and the OpenAPI document -----------------------------------------


@pytest.mark.django_db
def test_it_lists_the_questions_a_treatment_needs(client: Client) -> None:
    response = client.get(URL + "/questions", {"indication": "double_chin", "area": "submental"})
    assert response.status_code == 200
    data = response.json()
    assert data["protocol"]["key"] == "double_chin_deoxycholic"
    assert [q["key"] for q in data["questions"]] == [
        q.key for q in relevant_questions(CATALOG, "double_chin", "submental")
    ]
    assert "swallowing_difficulty" in [q["key"] for q in data["questions"]]
    assert [m["key"] for m in data["medicines"]] == list(CATALOG.medicines)
    anticoagulants = data["medicines"][2]
    assert anticoagulants["key"] == "anticoagulants"
    assert anticoagulants["prescription_only"] is True


@pytest.mark.django_db
def test_listing_questions_for_a_wrong_area_names_it(client: Client) -> None:
    response = client.get(URL + "/questions", {"indication": "double_chin", "area": "scalp"})
    assert errors_of(response) == ["area"]


@pytest.mark.django_db
def test_the_openapi_document_describes_every_answer(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    assert "post" in schema["paths"]["/api/v1/screenings"]
    answers = schema["components"]["schemas"]["ScreeningAnswers"]
    assert set(answers["properties"]) == set(CATALOG.questions)
    assert answers["additionalProperties"] is False


def test_the_cores_fixed_texts_are_marked_for_translation() -> None:
    from core.screening import FIXED_TEXTS
    from screening.present import CORE_TEXTS

    assert CORE_TEXTS == FIXED_TEXTS
