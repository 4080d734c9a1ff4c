"""The public plan-preview page at /plan/."""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client
from pytest_django.fixtures import Settings

from clinics.models import Clinic

pytestmark = [pytest.mark.django_db]

URL = "/plan/"
NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def plans_app(settings: Settings) -> Iterator[None]:
    settings.MESOCLINIC_PUBLIC_CLINIC = "public"
    with time_machine.travel(NOW, tick=False):
        yield


def clinic(country: str, currency: str) -> Clinic:
    return Clinic.objects.create(
        name="Public", slug="public", country=country, currency=currency, time_zone="UTC"
    )


def test_the_empty_form_starts_today_and_lists_every_treatment() -> None:
    clinic("IN", "INR")
    r = Client().get(URL)
    assert r.status_code == 200
    html = r.content.decode()
    assert 'value="2030-01-01"' in html
    assert 'min="2030-01-01"' in html
    assert html.count('value="hair_loss:scalp"') == 1
    assert html.count('value="localised_fat:') == 7
    assert "plan-sessions" not in html


def test_it_shows_the_course_dates_time_aftercare_and_price() -> None:
    clinic("IN", "INR")
    r = Client().get(
        URL, {"treatment": "hair_loss:scalp", "start_date": "2030-01-07", "sessions": "4"}
    )
    assert r.status_code == 200
    plan = r.context["plan"]
    assert (plan.protocol.key, len(plan.sessions)) == ("hair_loss_taper", 4)
    html = r.content.decode()
    for text in [
        "Mon 7 Jan 2030",
        "Mon 14 Jan 2030",
        "Thu 17 Jan 2030",
        "Each session takes 50 to 75 minutes, numbing cream included.",
        "Do not wash your hair for 24 hours after a hair mesotherapy session.",
        "The course: 60,000 to 160,000 INR.",
        "Limited evidence",
    ]:
        assert text in html, text


def test_a_french_clinic_shows_why_it_does_not_offer_fat_dissolving_injections() -> None:
    clinic("FR", "EUR")
    r = Client().get(URL, {"treatment": "double_chin:submental", "start_date": "2030-01-07"})
    assert r.status_code == 200
    assert "plan" not in r.context
    assert r.context["refusal"]["sources"] == ["Legifrance", "HAS2014"]
    html = r.content.decode()
    assert "Not offered here" in html
    assert "banned by decree 2011-382" in html


def test_a_clinic_without_a_price_in_its_currency_says_so() -> None:
    clinic("FR", "EUR")
    r = Client().get(URL, {"treatment": "hair_loss:scalp", "start_date": "2030-01-07"})
    assert r.context["price_note"] == (
        "No price in EUR is known for this treatment; the clinic sets it."
    )
    assert "the clinic sets it." in r.content.decode()


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        (
            {"treatment": "hair_loss:scalp", "start_date": "2029-12-31"},
            "start_date",
            "The first session cannot be in the past.",
        ),
        (
            {"treatment": "hair_loss:scalp", "start_date": "2030-01-07", "sessions": "13"},
            "sessions",
            "Choose between 4 and 12 sessions for this protocol.",
        ),
        (
            {"treatment": "hair_loss:face", "start_date": "2030-01-07"},
            "treatment",
            "Select a valid choice. hair_loss:face is not one of the available choices.",
        ),
        (
            {"treatment": "hair_loss:scalp", "start_date": "soon"},
            "start_date",
            "Enter a valid date.",
        ),
    ],
)
def test_bad_input_shows_the_error_beside_its_field(
    query: dict[str, str], field: str, message: str
) -> None:
    clinic("IN", "INR")
    r = Client().get(URL, query)
    assert r.status_code == 200
    assert r.context["form"].errors == {field: [message]}
    assert "plan" not in r.context
