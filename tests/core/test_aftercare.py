"""Aftercare rules: which apply where, for how long, and on what sources."""

from datetime import UTC, datetime

import pytest

from core.aftercare import ends_at, rules_for, rules_for_protocol
from core.catalog import load_catalog

CATALOG = load_catalog()
EVERYWHERE = [
    "no_pressure",
    "cold_compress",
    "no_scratching",
    "daily_activities",
    "call_if_disrupting",
    "call_if_lasting",
]


def keys(indication: str, area: str, actives: tuple[str, ...] = ()) -> list[str]:
    return [r.key for r in rules_for(CATALOG, indication, area, actives)]


def test_a_hair_session_gets_the_scalp_rules_first_then_the_general_ones() -> None:
    assert keys("hair_loss", "scalp") == [
        "scalp_no_washing",
        "scalp_no_medicine_or_oil",
        *EVERYWHERE,
    ]


def test_scalp_rules_say_no_washing_no_medicine_and_no_oil_for_24_hours() -> None:
    rules = {r.key: r for r in rules_for(CATALOG, "hair_loss", "scalp")}
    assert [(rules[k].text, rules[k].hours) for k in keys("hair_loss", "scalp")[:2]] == [
        ("Do not wash your hair for 24 hours after a hair mesotherapy session.", 24),
        ("Do not put any medicine or oil on your scalp for 24 hours after the session.", 24),
    ]


@pytest.mark.parametrize("area", ["face", "around_eyes", "perioral", "lips", "submental"])
def test_every_facial_area_gets_no_sun_and_no_other_actives_for_72_hours(area: str) -> None:
    rules = [r for r in rules_for(CATALOG, "facial_rejuvenation", area) if r.hours is not None]
    assert [(r.key, r.hours) for r in rules] == [
        ("face_no_sun", 72),
        ("face_no_other_actives", 72),
    ]


@pytest.mark.parametrize(
    ("indication", "area"), [("facial_rejuvenation", "neck"), ("cellulite", "thighs")]
)
def test_neck_and_body_sessions_get_only_the_general_rules(indication: str, area: str) -> None:
    assert keys(indication, area) == EVERYWHERE


def test_only_a_tranexamic_acid_melasma_course_gets_the_relapse_check() -> None:
    txa = rules_for_protocol(CATALOG, CATALOG.protocols["pigmentation_tranexamic"], "face")
    assert txa[-1].key == "melasma_relapse_check"
    assert txa[-1].sources == ("JPAD2838", "Budamakuntla2013", "Pazyar2023")
    assert "melasma_relapse_check" not in keys("pigmentation", "face", ("vitamin_c",))
    assert "melasma_relapse_check" not in keys("acne_scars", "face", ("tranexamic_acid",))


def test_every_rule_cites_its_sources() -> None:
    cited = {r.key: r.sources for r in CATALOG.aftercare.values()}
    assert cited == {
        "scalp_no_washing": ("003_a19211cc0e41e4e0.txt",),
        "scalp_no_medicine_or_oil": ("003_a19211cc0e41e4e0.txt",),
        "face_no_sun": ("003_a19211cc0e41e4e0.txt",),
        "face_no_other_actives": ("003_a19211cc0e41e4e0.txt",),
        "no_pressure": ("000_ceb4ff80bd68d871.txt", "001_86e63943bbc55325.txt"),
        "cold_compress": ("001_86e63943bbc55325.txt", "004_cc642f6ce635f2ff.txt"),
        "no_scratching": ("004_cc642f6ce635f2ff.txt",),
        "daily_activities": (
            "000_ceb4ff80bd68d871.txt",
            "001_86e63943bbc55325.txt",
            "003_a19211cc0e41e4e0.txt",
            "004_cc642f6ce635f2ff.txt",
        ),
        "call_if_disrupting": ("000_ceb4ff80bd68d871.txt", "001_86e63943bbc55325.txt"),
        "call_if_lasting": ("004_cc642f6ce635f2ff.txt",),
        "melasma_relapse_check": ("JPAD2838", "Budamakuntla2013", "Pazyar2023"),
    }


def test_a_timed_rule_ends_its_hours_after_the_session_and_an_open_one_never() -> None:
    end = datetime(2030, 1, 7, 10, 30, tzinfo=UTC)
    assert ends_at(CATALOG.aftercare["face_no_sun"], end) == datetime(
        2030, 1, 10, 10, 30, tzinfo=UTC
    )
    assert ends_at(CATALOG.aftercare["no_pressure"], end) is None


def test_an_unknown_area_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        rules_for(CATALOG, "hair_loss", "elbow")
