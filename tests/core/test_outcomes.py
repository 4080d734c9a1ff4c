"""Outcome measures: the catalog's knowledge of them, checking a rating,
a course's progress and the geometry of its chart."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from core.catalog import load_catalog
from core.outcomes import (
    Score,
    chart,
    check_rating,
    check_value,
    measures_for,
    plain,
    progress,
)
from tests.core.test_catalog_validation import Data, assert_refused, break_catalog

CATALOG = load_catalog()
M = CATALOG.measures


# -- the catalog -------------------------------------------------------------------------------


def test_every_indication_is_followed_with_gais_by_clinician_and_patient() -> None:
    for key in CATALOG.indications:
        measures = measures_for(CATALOG, key)
        assert measures[0].key == "gais"
        assert measures[0].raters == ("clinician", "patient")


def test_each_indication_gets_the_measure_that_fits_it() -> None:
    def own(indication: str) -> list[str]:
        return [m.key for m in measures_for(CATALOG, indication)][1:]

    assert own("hair_loss") == ["hair_density"]
    assert own("pigmentation") == ["mmasi", "masi"]
    assert own("cellulite") == ["hexsel_css"]
    assert own("double_chin") == ["submental_fat_clinician", "submental_fat_patient"]
    assert own("facial_rejuvenation") == ["wsrs"]
    assert own("localised_fat") == []
    assert own("no_such_indication") == []


def test_the_scales_are_those_the_sources_define() -> None:
    gais = M["gais"]
    assert (gais.scale.min, gais.scale.max, gais.step) == (1, 5, 1)
    assert [label.text for label in gais.labels] == [
        "Very much improved",
        "Much improved",
        "Improved",
        "No change",
        "Worse",
    ]
    assert not gais.higher_is_better
    assert (M["masi"].scale.max, M["mmasi"].scale.max) == (48, 24)
    assert M["mmasi"].step == Decimal("0.1")
    hexsel = M["hexsel_css"]
    assert len(hexsel.items) == 5
    assert all((i.scale.min, i.scale.max) == (0, 3) for i in hexsel.items)
    assert (hexsel.scale.min, hexsel.scale.max) == (0, 15)
    density = M["hair_density"]
    assert density.scale.max is None and density.higher_is_better
    assert density.unit == "hairs/cm²"
    for measure in M.values():
        assert "OutcomeMeasures" in measure.sources


def test_measure_texts_are_offered_for_translation() -> None:
    texts = CATALOG.texts
    assert "Global Aesthetic Improvement Scale" in texts
    assert "Much improved" in texts
    assert "Depth of depressions" in texts


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        (lambda d: d["hexsel_css"].update(scale=[0, 12]), ["[hexsel_css]", "sum of its items"]),
        (lambda d: d["gais"].update(sources=["Nobody2020"]), ["[gais]", "unknown source"]),
        (lambda d: d["masi"].update(indications=["warts"]), ["[masi]", "unknown indication"]),
        (lambda d: d["gais"].update(raters=["nurse"]), ["[gais]", "raters"]),
        (lambda d: d["mmasi"].update(step=0.7), ["[mmasi]", "whole steps"]),
        (lambda d: d["mmasi"].update(step=0), ["[mmasi]", "positive number"]),
        (lambda d: d["wsrs"].update(scale=[5, 1]), ["[wsrs]", "impossible range"]),
        (lambda d: d["gais"].update(every_indication=False), ["[gais]", "every_indication"]),
        (lambda d: d["gais"].update(labels=[{"value": 9, "text": "x"}]), ["label value 9"]),
        (lambda d: d["gais"].update(colour="red"), ["[gais]", "unknown field(s): colour"]),
        (
            lambda d: d["hexsel_css"]["items"].append(d["hexsel_css"]["items"][0]),
            ["[hexsel_css]", "item key is used twice"],
        ),
    ],
)
def test_a_broken_measure_fails_loudly_naming_it(
    tmp_path: Path, change: object, fragments: list[str]
) -> None:
    def mutate(data: Data) -> None:
        change(data)  # type: ignore[operator]

    assert_refused(break_catalog(tmp_path, "measures", mutate), *fragments)


def test_an_indication_without_any_measure_is_refused(tmp_path: Path) -> None:
    def mutate(data: Data) -> None:
        data["gais"]["every_indication"] = False
        data["gais"]["indications"] = ["hair_loss"]

    assert_refused(
        break_catalog(tmp_path, "measures", mutate), "has no outcome measure", "measures.toml"
    )


# -- checking a rating -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("measure", "raw", "expected"),
    [
        ("gais", "2", Decimal("2")),
        ("gais", 5, Decimal("5")),
        ("mmasi", "12.3", Decimal("12.3")),
        ("mmasi", 0, Decimal("0")),
        ("masi", "48", Decimal("48")),
        ("hair_density", "180", Decimal("180")),
        ("hair_density", "2500", Decimal("2500")),
    ],
)
def test_a_value_on_the_scale_is_accepted(measure: str, raw: object, expected: Decimal) -> None:
    assert check_value(M[measure], raw) == (expected, None)


@pytest.mark.parametrize(
    ("measure", "raw", "message"),
    [
        ("gais", "", "Enter a value."),
        ("gais", None, "Enter a value."),
        ("gais", "much", "Enter a number."),
        ("gais", "NaN", "Enter a number."),
        ("gais", True, "Enter a number."),
        ("gais", "0", "Enter a value from 1 to 5."),
        ("gais", "6", "Enter a value from 1 to 5."),
        ("gais", "2.5", "Enter a value in steps of 1."),
        ("mmasi", "24.1", "Enter a value from 0 to 24."),
        ("mmasi", "3.25", "Enter a value in steps of 0.1."),
        ("masi", "-0.1", "Enter a value from 0 to 48."),
        ("hair_density", "-3", "Enter a value of 0 or more."),
        ("hair_density", "120.5", "Enter a value in steps of 1."),
    ],
)
def test_a_value_off_the_scale_is_refused_naming_the_value(
    measure: str, raw: object, message: str
) -> None:
    value, problem = check_value(M[measure], raw)
    assert value is None
    assert problem is not None
    assert (problem.field, problem.message) == ("value", message)


def test_a_rater_the_measure_does_not_have_is_refused() -> None:
    rating, problems = check_rating(M["hair_density"], "patient", "150")
    assert rating is None
    assert [p.field for p in problems] == ["rater"]
    rating, problems = check_rating(M["gais"], "patient", "1")
    assert rating is not None and rating.value == 1 and problems == []


HEXSEL_ITEMS = {
    "number_of_depressions": 2,
    "depth_of_depressions": 1,
    "surface_appearance": 3,
    "laxity": 0,
    "nurnberger_muller": 2,
}


def test_hexsel_is_rated_by_item_and_recorded_as_their_sum() -> None:
    rating, problems = check_rating(M["hexsel_css"], "clinician", None, HEXSEL_ITEMS)
    assert problems == []
    assert rating is not None
    assert rating.value == Decimal(8)
    assert dict(rating.items) == HEXSEL_ITEMS
    # A total given with the items must be their sum.
    assert check_rating(M["hexsel_css"], "clinician", "8", HEXSEL_ITEMS)[0] is not None
    rating, problems = check_rating(M["hexsel_css"], "clinician", "9", HEXSEL_ITEMS)
    assert rating is None
    assert [(p.field, p.message) for p in problems] == [
        ("value", "The score is the sum of its items (8).")
    ]


def test_each_wrong_hexsel_item_is_named() -> None:
    items: dict[str, object] = {**HEXSEL_ITEMS, "laxity": 4, "depth_of_depressions": "1.5"}
    del items["nurnberger_muller"]
    items["colour"] = 1
    rating, problems = check_rating(M["hexsel_css"], "clinician", None, items)
    assert rating is None
    assert {p.field: p.message for p in problems} == {
        "items.colour": "Hexsel Cellulite Severity Scale has no item 'colour'.",
        "items.depth_of_depressions": "Enter a whole number.",
        "items.laxity": "Rate this item from 0 to 3.",
        "items.nurnberger_muller": "Rate this item.",
    }


def test_items_given_to_a_single_score_are_refused() -> None:
    rating, problems = check_rating(M["gais"], "clinician", "2", {"laxity": 1})
    assert rating is None
    assert [p.field for p in problems] == ["items"]


# -- progress and its chart --------------------------------------------------------------------


def scores() -> list[Score]:
    return [
        Score("gais", "clinician", 3, Decimal(2)),
        Score("gais", "clinician", 1, Decimal(4)),
        Score("gais", "patient", 3, Decimal(3)),
        Score("hair_density", "clinician", 1, Decimal(110)),
        Score("hair_density", "clinician", 4, Decimal(138)),
        Score("wsrs", "clinician", 1, Decimal(3)),  # not a hair loss measure
    ]


def test_progress_is_one_series_per_measure_and_rater_by_session() -> None:
    series = progress(measures_for(CATALOG, "hair_loss"), scores())
    assert [(s.measure, s.rater, s.points) for s in series] == [
        ("gais", "clinician", ((1, Decimal(4)), (3, Decimal(2)))),
        ("gais", "patient", ((3, Decimal(3)),)),
        ("hair_density", "clinician", ((1, Decimal(110)), (4, Decimal(138)))),
    ]


def test_the_chart_scales_points_into_the_plot_over_the_whole_scale() -> None:
    series = progress(measures_for(CATALOG, "hair_loss"), scores())
    drawn = chart(M["gais"], series, sessions=5, width=480, height=220)
    assert (drawn.left, drawn.right, drawn.top, drawn.bottom) == (44.0, 464.0, 12.0, 186.0)
    assert [t.label for t in drawn.x_ticks] == ["1", "2", "3", "4", "5"]
    assert [t.at for t in drawn.x_ticks] == [44.0, 149.0, 254.0, 359.0, 464.0]
    assert [(t.label, t.at) for t in drawn.y_ticks] == [
        ("1", 186.0),
        ("2", 142.5),
        ("3", 99.0),
        ("4", 55.5),
        ("5", 12.0),
    ]
    clinician, patient = drawn.lines
    assert clinician.rater == "clinician"
    assert [(d.x, d.y, d.session, d.value, d.label) for d in clinician.dots] == [
        (44.0, 55.5, 1, "4", "No change"),
        (254.0, 142.5, 3, "2", "Much improved"),
    ]
    assert clinician.path == "M 44.0 55.5 L 254.0 142.5"
    assert patient.path == "M 254.0 99.0"
    assert drawn.raters == ("clinician", "patient")
    assert [(r.session, r.values, r.labels) for r in drawn.rows] == [
        (1, ("4", ""), ("No change", "")),
        (3, ("2", "3"), ("Much improved", "Improved")),
    ]
    assert not drawn.higher_is_better


def test_a_count_with_no_upper_bound_gets_a_round_top_above_its_largest_value() -> None:
    series = progress([M["hair_density"]], scores())
    drawn = chart(M["hair_density"], series, sessions=6)
    assert [t.label for t in drawn.y_ticks] == ["0", "50", "100", "150"]
    top = drawn.lines[0].dots[-1]
    assert drawn.top < top.y < drawn.bottom
    assert drawn.higher_is_better


def test_the_chart_reaches_past_the_planned_sessions_when_more_were_rated() -> None:
    series = progress([M["hair_density"]], scores())
    drawn = chart(M["hair_density"], series, sessions=2)
    assert [t.label for t in drawn.x_ticks] == ["1", "2", "3", "4"]


def test_a_long_course_thins_its_session_ticks_but_keeps_the_last() -> None:
    drawn = chart(M["gais"], [], sessions=15)
    assert [t.label for t in drawn.x_ticks] == ["1", "3", "5", "7", "9", "11", "13", "15"]
    assert drawn.empty and drawn.rows == ()


def test_a_single_session_sits_in_the_middle() -> None:
    series = progress([M["gais"]], [Score("gais", "clinician", 1, Decimal(3))])
    drawn = chart(M["gais"], series, sessions=1)
    assert drawn.lines[0].dots[0].x == 254.0
    assert drawn.lines[0].dots[0].y == 99.0


def test_decimal_scales_tick_at_round_values() -> None:
    assert [t.label for t in chart(M["mmasi"], []).y_ticks] == ["0", "5", "10", "15", "20"]
    assert [t.label for t in chart(M["hexsel_css"], []).y_ticks] == ["0", "5", "10", "15"]


def test_plain_numbers_have_no_exponent_or_trailing_zeros() -> None:
    assert plain(Decimal("120.00")) == "120"
    assert plain(Decimal("3.50")) == "3.5"
    assert plain(Decimal("0.00")) == "0"
