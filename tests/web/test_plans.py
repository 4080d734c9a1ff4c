"""POST /api/v1/plans/preview: the preview, its refusals, and bad input."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinics.models import Clinic

pytestmark = pytest.mark.django_db

URL = "/api/v1/plans/preview"
# Noon UTC: 1 January 2030 in the demo clinic's zone (Asia/Kolkata, or the
# server's zone when the test database has no clinic).
NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
HAIR = {"indication": "hair_loss", "area": "scalp", "start_date": "2030-01-01"}


@pytest.fixture(autouse=True)
def frozen_today() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def client() -> Client:
    # The API takes no cookie credentials, so it needs no CSRF token: prove it.
    return Client(enforce_csrf_checks=True)


def post(client: Client, body: Any, raw: bool = False) -> Any:
    return client.post(URL, data=body if raw else json.dumps(body), content_type="application/json")


def fields(response: Any) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]


def test_it_previews_the_default_hair_loss_course(client: Client) -> None:
    r = post(client, HAIR)
    assert r.status_code == 200
    body = r.json()
    assert list(body) == [
        "country",
        "currency",
        "indication",
        "area",
        "protocol",
        "other_protocols",
        "actives",
        "techniques",
        "needle",
        "depth",
        "volume_per_point_ml",
        "point_spacing_cm",
        "max_points",
        "session_range",
        "sessions",
        "minutes",
        "aftercare",
        "price",
        "price_note",
        "evidence",
        "maintenance",
        "notes",
        "regulatory_notes",
        "sources",
    ]
    assert (body["country"], body["currency"]) == ("IN", "INR")
    assert body["protocol"] == {
        "key": "hair_loss_taper",
        "name": "Hair mesotherapy cocktail, tapering course",
    }
    assert [p["key"] for p in body["other_protocols"]] == [
        "hair_loss_dutasteride",
        "hair_loss_monthly",
    ]
    assert [(s["number"], s["earliest"], s["latest"]) for s in body["sessions"]] == [
        (1, "2030-01-01", "2030-01-01"),
        (2, "2030-01-08", "2030-01-11"),
        (3, "2030-01-15", "2030-01-18"),
        (4, "2030-01-22", "2030-01-25"),
        (5, "2030-02-05", "2030-02-05"),
        (6, "2030-02-19", "2030-02-19"),
        (7, "2030-03-19", "2030-03-22"),
    ]
    assert body["sessions"][0]["interval_days"] is None
    assert body["sessions"][1]["interval_days"] == {"min": 7, "max": 10}
    assert body["needle"] == {
        "gauge": [27, 30, 31, 32],
        "length_mm": {"min": 4.0, "max": 13.0},
        "angle_degrees": {"min": 30, "max": 45},
        "sources": ["004_cc642f6ce635f2ff.txt", "Mammucari2011"],
    }
    assert body["session_range"] == {"min": 4, "max": 12}
    assert body["minutes"] == {
        "numbing": {"min": 20, "max": 30},
        "procedure": {"min": 30, "max": 45},
        "total": {"min": 50, "max": 75},
    }
    assert body["aftercare"][0] == {
        "key": "scalp_no_washing",
        "text": "Do not wash your hair for 24 hours after a hair mesotherapy session.",
        "hours": 24,
        "sources": ["003_a19211cc0e41e4e0.txt"],
    }
    assert body["price"]["total"] == {"min": 105000, "max": 280000}
    assert (body["evidence"]["level"], body["evidence"]["weak"]) == ("limited", True)
    keys = [s["key"] for s in body["sources"]]
    assert len(keys) == len(set(keys))
    assert {"Abdallah", "003_a19211cc0e41e4e0.txt", "JDT2023"} <= set(keys)
    assert all(s["title"] for s in body["sources"])


def test_four_sessions_in_inr_are_priced_60000_to_160000(client: Client) -> None:
    r = post(client, {**HAIR, "sessions": 4})
    assert r.status_code == 200
    assert r.json()["price"] == {
        "currency": "INR",
        "unit": "session",
        "per_session": {"min": 15000, "max": 40000},
        "total": {"min": 60000, "max": 160000},
        "sessions": 4,
        "origin": "catalog",
        "note": "Per session in India; the price depends on the area treated.",
        "sources": ["000_ceb4ff80bd68d871.txt", "001_86e63943bbc55325.txt"],
    }
    assert r.json()["price_note"] is None


def test_a_usd_clinic_gets_no_invented_price_for_hair_loss(client: Client) -> None:
    r = post(client, {**HAIR, "country": "us", "currency": "usd"})
    assert r.status_code == 200
    body = r.json()
    assert (body["country"], body["currency"], body["price"]) == ("US", "USD", None)
    assert body["price_note"] == "No price in USD is known for this treatment; the clinic sets it."


def test_a_usd_clinic_gets_the_anticellulite_course_price(client: Client) -> None:
    r = post(
        client,
        {
            "indication": "cellulite",
            "area": "thighs",
            "start_date": "2030-01-02",
            "country": "US",
            "currency": "USD",
        },
    )
    assert r.status_code == 200
    price = r.json()["price"]
    assert (price["unit"], price["per_session"], price["total"]) == (
        "course",
        None,
        {"min": 900, "max": 2500},
    )
    assert [n["status"] for n in r.json()["regulatory_notes"]] == ["warning"]


def test_the_double_chin_course_has_no_latest_dates(client: Client) -> None:
    r = post(client, {"indication": "double_chin", "area": "submental", "start_date": "2030-01-01"})
    assert r.status_code == 200
    assert [(s["latest"], s["interval_days"]) for s in r.json()["sessions"][1:]] == [
        (None, {"min": 31, "max": None})
    ] * 3


def test_france_is_refused_a_fat_dissolving_course_naming_the_indication(client: Client) -> None:
    r = post(
        client,
        {
            "indication": "localised_fat",
            "area": "abdomen",
            "start_date": "2030-01-01",
            "country": "FR",
        },
    )
    assert r.status_code == 422
    body = r.json()
    reason = (
        "In France, fat-dissolving injections (phosphatidylcholine, deoxycholate and "
        "mesotherapy mixtures meant to dissolve fat) are banned by decree 2011-382, upheld "
        "by the Conseil d'État in 2012."
    )
    assert body["detail"] == reason
    assert body["errors"] == [{"field": "indication", "message": reason}]
    assert [(g["key"], g["status"], g["sources"]) for g in body["regulations"]] == [
        ("france_lipolysis_ban", "banned", ["Legifrance", "HAS2014"])
    ]
    assert [s["key"] for s in body["sources"]] == ["Legifrance", "HAS2014"]


def test_france_is_refused_a_chosen_fat_dissolving_protocol_naming_protocol(client: Client) -> None:
    r = post(
        client,
        {
            "indication": "double_chin",
            "area": "submental",
            "start_date": "2030-01-01",
            "protocol": "double_chin_deoxycholic",
            "country": "FR",
        },
    )
    assert r.status_code == 422
    assert fields(r) == ["protocol"]


def test_france_is_offered_hair_mesotherapy(client: Client) -> None:
    r = post(client, {**HAIR, "country": "FR", "currency": "EUR"})
    assert r.status_code == 200
    assert (r.json()["regulatory_notes"], r.json()["price"]) == ([], None)


def test_a_course_may_start_today_but_not_yesterday(client: Client) -> None:
    assert post(client, {**HAIR, "start_date": "2030-01-01"}).status_code == 200
    r = post(client, {**HAIR, "start_date": "2029-12-31"})
    assert r.status_code == 422
    assert r.json() == {
        "detail": "The first session cannot be in the past.",
        "errors": [{"field": "start_date", "message": "The first session cannot be in the past."}],
    }


def test_a_clinic_west_of_utc_may_still_start_on_its_today() -> None:
    Clinic.objects.create(
        name="Honolulu", slug="hnl", country="US", currency="USD", time_zone="Pacific/Honolulu"
    )
    # 1 January, 20:00 in Honolulu is already 2 January in UTC.
    with time_machine.travel(datetime(2030, 1, 2, 6, 0, tzinfo=UTC), tick=False):
        r = post(Client(), {**HAIR, "start_date": "2030-01-01", "clinic": "hnl"})
        refused = post(Client(), {**HAIR, "start_date": "2029-12-31", "clinic": "hnl"})
    assert r.status_code == 200
    assert (r.json()["country"], r.json()["currency"]) == ("US", "USD")
    assert refused.status_code == 422


@pytest.mark.parametrize(
    ("body", "bad"),
    [
        ({}, ["indication", "area", "start_date"]),
        ({"area": "scalp", "start_date": "2030-01-01"}, ["indication"]),
        ({**HAIR, "indication": 5}, ["indication"]),
        ({**HAIR, "indication": ""}, ["indication"]),
        ({**HAIR, "indication": ["hair_loss"]}, ["indication"]),
        ({**HAIR, "area": None}, ["area"]),
        ({**HAIR, "start_date": "tomorrow"}, ["start_date"]),
        ({**HAIR, "start_date": 1893456000}, ["start_date"]),
        ({**HAIR, "start_date": "2030-02-30"}, ["start_date"]),
        ({**HAIR, "start_date": None}, ["start_date"]),
        ({**HAIR, "sessions": "4"}, ["sessions"]),
        ({**HAIR, "sessions": True}, ["sessions"]),
        ({**HAIR, "sessions": 4.5}, ["sessions"]),
        ({**HAIR, "sessions": 4.0}, ["sessions"]),
        ({**HAIR, "protocol": 7}, ["protocol"]),
        ({**HAIR, "protocol": ""}, ["protocol"]),
        ({**HAIR, "country": "France"}, ["country"]),
        ({**HAIR, "country": ["IN"]}, ["country"]),
        ({**HAIR, "currency": "RS"}, ["currency"]),
        ({**HAIR, "currency": 356}, ["currency"]),
        ({**HAIR, "clinic": "demo"}, ["clinic"]),
        ({**HAIR, "sessions": "x", "country": 1, "notes": ""}, ["sessions", "country", "notes"]),
        # The domain's refusals, once the schema has accepted the input.
        ({**HAIR, "indication": "tattoo_removal"}, ["indication"]),
        ({**HAIR, "area": "face"}, ["area"]),
        ({**HAIR, "area": "elbow"}, ["area"]),
        ({**HAIR, "sessions": 13}, ["sessions"]),
        ({**HAIR, "sessions": 3}, ["sessions"]),
        ({**HAIR, "sessions": 10**30}, ["sessions"]),
        ({**HAIR, "protocol": "rejuvenation_taper"}, ["protocol"]),
        ({**HAIR, "protocol": "no_such_protocol"}, ["protocol"]),
        ({**HAIR, "start_date": "2020-06-01"}, ["start_date"]),
        ({**HAIR, "start_date": "9999-12-30"}, ["start_date"]),
    ],
)
def test_bad_input_is_refused_naming_each_bad_field(
    client: Client, body: dict[str, Any], bad: list[str]
) -> None:
    r = post(client, body)
    assert r.status_code == 422
    assert fields(r) == bad
    assert all(e["message"] for e in r.json()["errors"])


def test_a_number_of_sessions_out_of_range_says_the_range(client: Client) -> None:
    r = post(client, {**HAIR, "sessions": 13})
    assert r.json()["errors"] == [
        {"field": "sessions", "message": "Choose between 4 and 12 sessions for this protocol."}
    ]


def test_an_area_the_indication_does_not_treat_lists_the_areas_it_does(client: Client) -> None:
    r = post(client, {**HAIR, "area": "face"})
    assert r.json()["errors"] == [
        {
            "field": "area",
            "message": "This indication is not treated there; choose one of: scalp.",
        }
    ]


def test_a_body_that_is_not_json_is_a_bad_request(client: Client) -> None:
    r = post(client, '{"indication": "hair_loss",', raw=True)
    assert r.status_code == 400
    assert r.json()["detail"] == "Cannot parse request body"
    assert fields(r) == ["body"]


@pytest.mark.parametrize("raw", ["", "null", "[1, 2]", '"hair_loss"', "42"])
def test_a_body_that_is_not_an_object_is_refused(client: Client, raw: str) -> None:
    r = post(client, raw, raw=True)
    assert r.status_code == 422
    # The view's argument name means nothing to a client: the whole body is named.
    assert fields(r) == ["body"]


def test_only_post_is_allowed(client: Client) -> None:
    assert client.get(URL).status_code == 405


def test_texts_are_translated_but_keys_and_citations_are_not(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("api.plans.gettext", lambda text: f"[{text}]")
    body = post(client, {**HAIR, "currency": "EUR"}).json()
    assert body["protocol"] == {
        "key": "hair_loss_taper",
        "name": "[Hair mesotherapy cocktail, tapering course]",
    }
    assert body["sessions"][1]["phase"] == "[Every 7-10 days at first]"
    assert body["aftercare"][0]["text"] == (
        "[Do not wash your hair for 24 hours after a hair mesotherapy session.]"
    )
    assert body["aftercare"][0]["sources"] == ["003_a19211cc0e41e4e0.txt"]
    # The template is translated first, then filled in.
    assert body["price_note"] == (
        "[No price in EUR is known for this treatment; the clinic sets it.]"
    )
    assert body["sources"][0]["title"] == (
        "Mesotherapy: Treatment, Procedure, Cost and Side Effects (patient page, India)"
    )
    # An empty text stays empty: gettext("") would give the catalog's header.
    assert body["notes"].startswith("[")
    assert post(client, {**HAIR, "protocol": "hair_loss_monthly"}).json()["maintenance"] == ""


def test_the_openapi_document_describes_the_preview(client: Client) -> None:
    doc = client.get("/api/v1/openapi.json").json()
    operation = doc["paths"][URL]["post"]
    assert set(operation["responses"]) == {"200", "422"}
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = doc["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["indication", "area", "start_date"]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
VALUES = {
    "indication": st.sampled_from(["hair_loss", "double_chin", "localised_fat", "x"]) | JSON,
    "area": st.sampled_from(["scalp", "submental", "thighs", "face"]) | JSON,
    "start_date": st.dates().map(str) | JSON,
    "sessions": st.integers(-2, 20) | JSON,
    "protocol": st.sampled_from(["hair_loss_dutasteride", "double_chin_deoxycholic"]) | JSON,
    "country": st.sampled_from(["IN", "FR", "US", "fr"]) | JSON,
    "currency": st.sampled_from(["INR", "USD", "EUR"]) | JSON,
}


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.fixed_dictionaries({}, optional=VALUES))
def test_no_input_makes_the_server_fail(client: Client, body: dict[str, Any]) -> None:
    r = post(client, body)
    assert r.status_code in (200, 422)
    if r.status_code == 422:
        assert fields(r)
