"""How far a practitioner may adjust a protocol: areas, sessions, the days
between sessions and the technique, within the catalog's limits."""

from dataclasses import replace

import pytest

from core.catalog import load_catalog
from core.course_limits import (
    Choices,
    default_choices,
    default_intervals,
    problems,
    protocol_for_course,
)
from core.planning import NotOffered, PlanError, phase_for

CATALOG = load_catalog()
TAPER = CATALOG.protocols["hair_loss_taper"]  # 4-12 sessions: 7-10 days x3, 14 x2, then 28-31


def fields(choices: Choices, protocol=TAPER) -> list[str]:  # type: ignore[no-untyped-def]
    return [p.field for p in problems(protocol, choices)]


def test_the_default_choices_are_the_protocols_own_and_within_its_limits() -> None:
    choices = default_choices(TAPER, ["scalp"])
    assert choices.areas == ("scalp",)
    assert choices.sessions == TAPER.default_sessions == 7
    assert choices.intervals == ((7, 10), (7, 10), (7, 10), (14, 14), (14, 14), (28, 31))
    assert choices.technique == TAPER.techniques[0]
    assert problems(TAPER, choices) == ()


@pytest.mark.parametrize("protocol", sorted(CATALOG.protocols), ids=str)
def test_every_protocols_defaults_are_within_its_limits(protocol: str) -> None:
    item = CATALOG.protocols[protocol]
    choices = default_choices(item)
    assert len(choices.intervals) == item.default_sessions - 1
    assert problems(item, choices) == ()


def test_intervals_follow_the_phase_each_session_falls_in() -> None:
    steps = default_intervals(TAPER, 12)
    for number, (low, high) in enumerate(steps, start=2):
        phase = phase_for(TAPER, number)
        assert phase is not None
        assert (low, high) == (phase.interval_days.min, phase.interval_days.max)


def test_a_narrower_interval_inside_the_phase_is_allowed() -> None:
    choices = replace(
        default_choices(TAPER),
        intervals=((8, 9), (7, 7), (10, 10), *default_choices(TAPER).intervals[3:]),
    )
    assert problems(TAPER, choices) == ()


def test_it_refuses_an_interval_shorter_than_its_phase_allows() -> None:
    steps = list(default_choices(TAPER).intervals)
    steps[3] = (10, 14)  # session 5 is in the two-weekly phase: 14 days
    found = problems(TAPER, replace(default_choices(TAPER), intervals=tuple(steps)))
    assert [p.field for p in found] == ["intervals.3.min"]
    assert "session 5" in found[0].render().lower()
    assert "14 days" in found[0].render()


def test_it_refuses_an_interval_longer_than_its_phase_allows() -> None:
    steps = list(default_choices(TAPER).intervals)
    steps[0] = (7, 21)
    assert fields(replace(default_choices(TAPER), intervals=tuple(steps))) == ["intervals.0.max"]


def test_an_open_ended_longest_interval_is_refused_where_the_phase_has_a_maximum() -> None:
    steps = list(default_choices(TAPER).intervals)
    steps[5] = (28, None)
    assert fields(replace(default_choices(TAPER), intervals=tuple(steps))) == ["intervals.5.max"]


def test_an_open_phase_takes_any_longest_interval() -> None:
    chin = CATALOG.protocols["double_chin_deoxycholic"]
    phase = phase_for(chin, 2)
    assert phase is not None and phase.interval_days.max is None
    choices = default_choices(chin)
    assert choices.intervals[0] == (phase.interval_days.min, None)
    longer = replace(
        choices, intervals=tuple((phase.interval_days.min, 60) for _ in choices.intervals)
    )
    assert problems(chin, longer) == ()
    sooner = replace(
        choices, intervals=tuple((phase.interval_days.min - 1, None) for _ in choices.intervals)
    )
    assert [p.field for p in problems(chin, sooner)] == [
        f"intervals.{i}.min" for i in range(len(choices.intervals))
    ]


def test_it_refuses_a_longest_interval_shorter_than_the_shortest_and_a_zero_day_gap() -> None:
    steps = list(default_choices(TAPER).intervals)
    steps[0] = (10, 8)
    steps[1] = (0, 10)
    assert fields(replace(default_choices(TAPER), intervals=tuple(steps))) == [
        "intervals.0.max",
        "intervals.1.min",
    ]


@pytest.mark.parametrize("sessions", [0, 3, 13])
def test_it_refuses_a_number_of_sessions_outside_the_protocol(sessions: int) -> None:
    choices = replace(default_choices(TAPER), sessions=sessions)
    found = problems(TAPER, choices)
    assert [p.field for p in found] == ["sessions"]
    assert found[0].render() == "Choose between 4 and 12 sessions for this protocol."


def test_it_names_an_exact_number_of_sessions() -> None:
    dutasteride = CATALOG.protocols["hair_loss_dutasteride"]
    found = problems(dutasteride, replace(default_choices(dutasteride), sessions=8))
    assert [p.render() for p in found] == ["This protocol is given in exactly 7 sessions."]


def test_it_wants_one_interval_per_session_after_the_first() -> None:
    choices = replace(default_choices(TAPER), sessions=9)  # still 6 intervals
    found = problems(TAPER, choices)
    assert [p.field for p in found] == ["intervals"]
    assert "8 in all" in found[0].render()
    assert problems(TAPER, replace(choices, intervals=default_intervals(TAPER, 9))) == ()


def test_it_refuses_an_area_the_protocol_does_not_cover() -> None:
    found = problems(TAPER, replace(default_choices(TAPER), areas=("scalp", "face")))
    assert [p.field for p in found] == ["areas"]
    assert "face" in found[0].render()


def test_it_refuses_no_area_and_an_area_twice() -> None:
    assert fields(replace(default_choices(TAPER), areas=())) == ["areas"]
    assert fields(replace(default_choices(TAPER), areas=("scalp", "scalp"))) == ["areas"]


def test_it_refuses_a_technique_the_protocol_does_not_use() -> None:
    found = problems(TAPER, replace(default_choices(TAPER), technique="dermaroller"))
    assert [p.field for p in found] == ["technique"]
    assert "syringe" in found[0].render()


def test_it_names_every_problem_at_once() -> None:
    choices = Choices(areas=("face",), sessions=20, intervals=(), technique="laser")
    assert fields(choices) == ["areas", "sessions", "technique"]


def test_the_protocol_is_the_plan_previews_default() -> None:
    chosen = protocol_for_course(CATALOG, "hair_loss", ["scalp"], None, "IN")
    assert chosen.key == "hair_loss_taper"
    named = protocol_for_course(CATALOG, "hair_loss", ["scalp"], "hair_loss_monthly", "IN")
    assert named.key == "hair_loss_monthly"


def test_it_refuses_an_unknown_indication_or_protocol_naming_the_field() -> None:
    with pytest.raises(PlanError) as unknown:
        protocol_for_course(CATALOG, "tattoo_removal", ["scalp"], None, "IN")
    assert unknown.value.field == "indication"
    with pytest.raises(PlanError) as wrong:
        protocol_for_course(CATALOG, "hair_loss", ["scalp"], "cellulite_course", "IN")
    assert wrong.value.field == "protocol"
    with pytest.raises(PlanError) as elsewhere:
        protocol_for_course(CATALOG, "hair_loss", ["face"], None, "IN")
    assert elsewhere.value.field == "areas"
    with pytest.raises(PlanError) as none:
        protocol_for_course(CATALOG, "hair_loss", [], None, "IN")
    assert none.value.field == "areas"


def test_a_treatment_the_country_bans_is_not_offered() -> None:
    # Fat-dissolving injections are banned in France (regulations.toml, Legifrance).
    with pytest.raises(NotOffered) as refusal:
        protocol_for_course(CATALOG, "double_chin", ["submental"], None, "FR")
    assert refusal.value.field == "indication"
    assert {n.key for n in refusal.value.notes} == {"france_lipolysis_ban"}
    assert protocol_for_course(CATALOG, "double_chin", ["submental"], None, "IN").key == (
        "double_chin_deoxycholic"
    )
