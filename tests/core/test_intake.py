"""core.intake: intake answers to stored JSON and back, and merging."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from core.catalog import load_catalog
from core.intake import decode, encode, merge
from core.screening import AnswerValue, MedicineAnswer

CATALOG = load_catalog()


def every_kind() -> dict[str, AnswerValue]:
    """One answer of each kind the catalog asks."""
    return {
        "pregnant": True,
        "diabetes": False,
        "last_laser": date(2026, 1, 5),
        "last_hormonal_contraception": None,
        "infection_areas": ("scalp", "face"),
        "medicines": (
            MedicineAnswer("aspirin", date(2026, 2, 27), prescribed=False, ongoing=False),
            MedicineAnswer("anticoagulants", None, prescribed=True, ongoing=True),
        ),
    }


def test_it_round_trips_every_kind_of_answer_through_json() -> None:
    answers = every_kind()
    stored = json.loads(json.dumps(encode(answers)))
    assert decode(CATALOG, stored) == answers


def test_it_stores_dates_as_iso_text_and_medicines_as_objects() -> None:
    stored = encode(every_kind())
    assert stored["last_laser"] == "2026-01-05"
    assert stored["last_hormonal_contraception"] is None
    assert stored["infection_areas"] == ["scalp", "face"]
    assert stored["medicines"] == [
        {"medicine": "aspirin", "last_dose": "2026-02-27", "prescribed": False, "ongoing": False},
        {"medicine": "anticoagulants", "last_dose": None, "prescribed": True, "ongoing": True},
    ]


def test_an_empty_list_of_medicines_round_trips_as_none_taken() -> None:
    stored = encode({"medicines": ()})
    assert stored == {"medicines": []}
    assert decode(CATALOG, stored) == {"medicines": ()}


def test_it_drops_a_question_the_catalog_no_longer_asks() -> None:
    assert decode(CATALOG, {"pregnant": False, "asked_in_2019": True}) == {"pregnant": False}


@pytest.mark.parametrize(
    ("stored", "named"),
    [
        ({"pregnant": "yes"}, "pregnant"),
        ({"last_laser": "last spring"}, "last_laser"),
        ({"medicines": [{"last_dose": "2026-01-01"}]}, "medicines"),
        ({"medicines": [{"medicine": "aspirin", "last_dose": "2026-13-01"}]}, "medicines"),
        ({"infection_areas": 3}, "infection_areas"),
    ],
)
def test_a_malformed_value_raises_naming_the_question(stored: dict[str, Any], named: str) -> None:
    with pytest.raises(ValueError, match=f"^{named}: "):
        decode(CATALOG, stored)


def test_merge_puts_the_newer_answers_over_the_earlier_ones() -> None:
    earlier = {"pregnant": False, "diabetes": False, "infection_areas": []}
    newer = {"pregnant": True, "infection_areas": ["scalp"]}
    assert merge(earlier, newer) == {
        "pregnant": True,
        "diabetes": False,
        "infection_areas": ["scalp"],
    }
    assert earlier == {"pregnant": False, "diabetes": False, "infection_areas": []}
