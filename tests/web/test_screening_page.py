"""The public questionnaire at /screening/: a plain form, no JavaScript needed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.test.utils import override_settings

from core.screening import relevant_questions
from mesoclinic.catalog import get_catalog
from tests.conftest import People

CATALOG = get_catalog()
URL = "/screening/"


@pytest.fixture(autouse=True)
def frozen_today() -> Iterator[None]:
    with time_machine.travel(datetime(2026, 3, 2, 12, 0, tzinfo=UTC), tick=False):
        yield


def form(indication: str = "hair_loss", area: str = "scalp", **answers: Any) -> dict[str, Any]:
    """What the browser sends when every question this treatment needs is
    answered no and every medicine left blank."""
    data: dict[str, Any] = {"indication": indication, "area": area, "planned_date": "2026-03-16"}
    for q in relevant_questions(CATALOG, indication, area):
        if q.kind == "bool":
            data[q.key] = "no"
    return data | answers


def verdict_of(html: str) -> str:
    match = re.search(r'<p id="verdict" class="verdict verdict-([a-z_]+)">', html)
    assert match, "no verdict on the page"
    return match.group(1)


@pytest.mark.django_db
def test_the_page_asks_every_question_of_the_catalog(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="csrfmiddlewaretoken"' in html
    for question in CATALOG.questions.values():
        assert question.text in html, question.key
    for rule in CATALOG.medicines.values():
        assert f'name="medicine_{rule.key}_last_dose"' in html
    assert 'id="verdict"' not in html


@pytest.mark.django_db
def test_the_page_has_no_inline_script(client: Client) -> None:
    html = client.get(URL).content.decode()
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts and all('src="' in attrs for attrs in scripts)
    assert 'src="/static/js/screening.js"' in html


@pytest.mark.django_db
def test_each_area_names_its_indications_for_the_script(client: Client) -> None:
    html = client.get(URL).content.decode()
    assert '<option value="submental" data-indications="double_chin">' in html
    assert '<option value="perioral" data-indications="facial_rejuvenation dry_lips">' in html


@pytest.mark.django_db
def test_a_prescribed_only_medicine_has_no_prescribed_box(client: Client) -> None:
    html = client.get(URL).content.decode()
    assert 'name="medicine_aspirin_prescribed"' in html
    assert 'name="medicine_anticoagulants_prescribed"' not in html
    assert 'name="medicine_alcohol_prescribed"' not in html


@pytest.mark.django_db
def test_all_noes_show_an_eligible_verdict_and_the_disclaimer(client: Client) -> None:
    response = client.post(URL, form())
    assert response.status_code == 200
    html = response.content.decode()
    assert verdict_of(html) == "eligible"
    assert "None of your answers raised a concern." in html
    assert "This screening supports your practitioner&#x27;s judgement" in html


@pytest.mark.django_db
def test_a_recent_aspirin_shows_the_deferral_its_date_and_sources(client: Client) -> None:
    response = client.post(URL, form(medicine_aspirin_last_dose="2026-03-13"))
    assert response.status_code == 200
    html = response.content.decode()
    assert verdict_of(html) == "defer"
    assert "The earliest date for your session is March 20, 2026." in html
    assert 'id="finding-aspirin"' in html
    assert "leave at least 7 days between your last aspirin and your session" in html
    assert "(004_cc642f6ce635f2ff.txt)" in html
    assert "(ClinicPages)" in html


@pytest.mark.django_db
def test_an_infection_at_the_site_defers_without_a_date(client: Client) -> None:
    html = client.post(URL, form(infection_areas=["scalp"])).content.decode()
    assert verdict_of(html) == "defer"
    assert "There is no set date yet" in html
    assert 'id="finding-infection_at_site"' in html


@pytest.mark.django_db
def test_an_infection_elsewhere_leaves_a_scalp_treatment_eligible(client: Client) -> None:
    html = client.post(URL, form(infection_areas=["thighs"])).content.decode()
    assert verdict_of(html) == "eligible"


@pytest.mark.django_db
def test_epilepsy_shows_not_suitable(client: Client) -> None:
    html = client.post(URL, form(epilepsy="yes")).content.decode()
    assert verdict_of(html) == "not_eligible"
    assert CATALOG.contraindications["epilepsy"].message in html


@pytest.mark.django_db
def test_a_prescribed_anticoagulant_is_a_caution_that_says_not_to_stop(client: Client) -> None:
    data = form(
        medicine_anticoagulants_last_dose="2026-03-01", medicine_anticoagulants_ongoing="on"
    )
    html = client.post(URL, data).content.decode()
    assert verdict_of(html) == "caution"
    assert "Do not stop a medicine your doctor prescribed." in html
    assert "earliest-date" not in html


@pytest.mark.django_db
@override_settings(MESOCLINIC_PUBLIC_CLINIC="other")
def test_the_public_clinics_country_decides_what_is_offered(client: Client, people: People) -> None:
    html = client.post(URL, form("localised_fat", "thighs")).content.decode()
    assert verdict_of(html) == "not_eligible"
    assert 'id="finding-not_offered_in_country"' in html


@pytest.mark.django_db
def test_an_area_outside_the_indication_is_refused_beside_the_field(client: Client) -> None:
    response = client.post(URL, form("hair_loss", "scalp") | {"area": "thighs"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_area_error"' in html
    assert "Choose an area where this indication is treated." in html
    assert 'id="verdict"' not in html


@pytest.mark.django_db
def test_a_past_date_is_refused_beside_the_field(client: Client) -> None:
    response = client.post(URL, form(planned_date="2026-03-01"))
    assert response.status_code == 400
    assert "The planned date is in the past." in response.content.decode()


@pytest.mark.django_db
def test_an_unanswered_question_the_treatment_needs_is_refused(client: Client) -> None:
    data = form("double_chin", "submental")
    del data["swallowing_difficulty"]
    response = client.post(URL, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_swallowing_difficulty_error"' in html
    assert "Please answer this question." in html


@pytest.mark.django_db
def test_a_question_that_does_not_apply_may_be_left_blank(client: Client) -> None:
    data = form("hair_loss", "scalp")
    assert "swallowing_difficulty" not in data
    assert client.post(URL, data).status_code == 200


@pytest.mark.django_db
def test_a_medicine_too_far_ahead_is_refused_beside_its_date(client: Client) -> None:
    response = client.post(URL, form(medicine_aspirin_last_dose="2029-01-01"))
    assert response.status_code == 400
    assert 'id="id_medicine_aspirin_last_dose_error"' in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        {},
        {"indication": "tattoo", "area": "moon", "planned_date": "soon"},
        {"indication": "hair_loss", "area": "scalp", "planned_date": "2026-03-16", "pregnant": 7},
        {
            "indication": "hair_loss",
            "area": "scalp",
            "planned_date": "2026-03-16",
            "infection_areas": ["elbow"],
            "medicine_aspirin_last_dose": "yesterday",
        },
    ],
)
def test_garbage_is_refused_with_the_form_never_a_server_error(
    client: Client, data: dict[str, Any]
) -> None:
    response = client.post(URL, data)
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()


@pytest.mark.django_db
def test_posting_without_the_csrf_token_is_forbidden() -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.post(URL, form()).status_code == 403


@pytest.mark.django_db
def test_only_get_and_post_are_allowed(client: Client) -> None:
    assert client.put(URL).status_code == 405
