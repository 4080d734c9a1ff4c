"""Triage of reported side effects against the catalog's expected course."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.catalog import load_catalog
from core.followups import follow_up_times
from core.triage import (
    REVIEW_WITHIN_HOURS,
    TriageError,
    TriageInput,
    effects_for,
    triage,
)

CATALOG = load_catalog()


def report(
    effect: str,
    hours: float,
    *,
    onset: float | None = 0,
    signs: tuple[str, ...] = (),
    severity: str = "mild",
    indication: str = "hair_loss",
    area: str = "scalp",
    actives: tuple[str, ...] = (),
) -> TriageInput:
    return TriageInput(
        effect=effect,
        hours_since_session=hours,
        onset_hours=onset,
        signs=signs,
        severity=severity,
        indication=indication,
        area=area,
        actives=actives,
    )


def test_redness_three_hours_after_the_session_is_expected() -> None:
    result = triage(CATALOG, report("redness", 3))
    assert result.level == "expected"
    assert result.review_within_hours is None
    assert result.advice == CATALOG.side_effects["redness"].advice
    assert [r.code for r in result.reasons] == ["within_course"]


def test_redness_noticed_at_three_hours_is_still_expected() -> None:
    assert triage(CATALOG, report("redness", 3, onset=3)).level == "expected"


def test_redness_still_there_the_next_day_goes_for_review() -> None:
    result = triage(CATALOG, report("redness", 24))
    assert result.level == "review"
    assert [r.code for r in result.reasons] == ["lasting"]


def test_bruising_on_day_nine_goes_for_review_within_a_day() -> None:
    result = triage(CATALOG, report("bruising", 9 * 24, onset=4))
    assert result.level == "review"
    assert result.review_within_hours == REVIEW_WITHIN_HOURS == 24
    assert "lasting" in [r.code for r in result.reasons]
    # The same bruise on day 5 is still within its week.
    assert triage(CATALOG, report("bruising", 5 * 24, onset=4)).level == "expected"


def test_fever_with_a_hot_spreading_swelling_is_urgent() -> None:
    result = triage(
        CATALOG,
        report(
            "swelling",
            30,
            signs=("fever", "warm_swelling", "spreading_redness"),
            severity="moderate",
            indication="facial_rejuvenation",
            area="face",
        ),
    )
    assert result.level == "urgent"
    assert result.review_within_hours == 0
    assert [r.code for r in result.reasons].count("warning_sign") == 3
    assert len(result.sign_advice) == 3
    assert not result.emergency


@pytest.mark.parametrize("sign", sorted(CATALOG.warning_signs))
def test_any_warning_sign_makes_even_an_expected_effect_urgent(sign: str) -> None:
    assert triage(CATALOG, report("redness", 1, signs=(sign,))).level == "urgent"


def test_trouble_breathing_says_emergency_first() -> None:
    result = triage(CATALOG, report("swelling", 2, signs=("breathing_or_swallowing",)))
    assert result.level == "urgent" and result.emergency


@pytest.mark.parametrize("effect", ["nodules", "infection", "mycobacterial_infection"])
def test_nodules_and_infections_are_urgent_at_any_time(effect: str) -> None:
    for hours in (2, 24 * 30):
        result = triage(CATALOG, report(effect, hours))
        assert result.level == "urgent", (effect, hours)
        assert result.see_doctor


def test_an_effect_the_catalog_does_not_expect_goes_for_review() -> None:
    assert triage(CATALOG, report("rash", 5)).level == "review"


def test_something_else_in_the_patients_words_goes_for_review() -> None:
    result = triage(CATALOG, report("other", 5))
    assert result.level == "review"
    assert result.effect_key == "other" and result.advice == ""


def test_a_severe_expected_effect_goes_for_review() -> None:
    assert triage(CATALOG, report("swelling", 10, severity="severe")).level == "review"
    assert triage(CATALOG, report("swelling", 10, severity="moderate")).level == "expected"


def test_a_bruise_appearing_weeks_later_is_not_the_usual_course() -> None:
    result = triage(CATALOG, report("bruising", 24 * 10, onset=24 * 10))
    assert result.level == "review"
    assert "late_onset" in [r.code for r in result.reasons]


def test_swelling_after_deoxycholate_follows_its_longer_course() -> None:
    # Ordinary swelling is reviewed after 3 days; after deoxycholic acid it
    # lasts about a week on average (ATX100-2017).
    day5 = 5 * 24
    plain = triage(CATALOG, report("swelling", day5, indication="localised_fat", area="abdomen"))
    deoxy = triage(
        CATALOG,
        report(
            "swelling",
            day5,
            indication="localised_fat",
            area="abdomen",
            actives=("deoxycholate",),
        ),
    )
    assert plain.level == "review"
    assert deoxy.level == "expected"
    assert deoxy.effect_key == "deoxycholate_swelling"


def test_report_choices_replace_general_effects_by_their_refinements() -> None:
    keys = [e.key for e in effects_for(CATALOG, "localised_fat", "abdomen", ("deoxycholate",))]
    assert "deoxycholate_swelling" in keys and "swelling" not in keys
    scalp = [e.key for e in effects_for(CATALOG, "hair_loss", "scalp", ())]
    assert "scarring_alopecia" in scalp and "deoxycholate_swelling" not in scalp


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("effect", {"effect": "headache_of_doom"}),
        ("signs", {"signs": ("itchy_feet",)}),
        ("severity", {"severity": "awful"}),
        ("reported_at", {"hours": -1}),
        ("area", {"area": "elbow"}),
    ],
)
def test_bad_reports_name_the_field(field: str, kwargs: dict[str, object]) -> None:
    base: dict[str, object] = {"effect": "redness", "hours": 3}
    base.update(kwargs)
    effect, hours = base.pop("effect"), base.pop("hours")
    with pytest.raises(TriageError) as caught:
        triage(CATALOG, report(str(effect), float(hours), **base))  # type: ignore[arg-type]
    assert caught.value.field == field


@given(
    effect=st.sampled_from(sorted(CATALOG.side_effects)),
    hours=st.floats(min_value=0, max_value=24 * 120),
    signs=st.lists(st.sampled_from(sorted(CATALOG.warning_signs)), max_size=3),
    severity=st.sampled_from(["mild", "moderate", "severe"]),
)
def test_the_level_never_falls_below_what_the_catalog_demands(
    effect: str, hours: float, signs: list[str], severity: str
) -> None:
    result = triage(CATALOG, report(effect, hours, signs=tuple(signs), severity=severity))
    se = CATALOG.side_effects[effect]
    if signs or se.red_flag:
        assert result.level == "urgent"
    elif not se.expected or severity == "severe":
        assert result.level == "review"
    assert result.reasons, "every verdict says why"
    assert all(r.sources for r in result.reasons), "every reason names its sources"


def test_follow_ups_fall_at_one_day_three_days_a_week_then_weeks_after_the_last_session() -> None:
    session = datetime(2026, 11, 2, 11, 0, tzinfo=UTC)
    last = session + timedelta(weeks=3)
    due = {step.key: at for step, at in follow_up_times(CATALOG, session, last)}
    assert due == {
        "day_1": session + timedelta(days=1),
        "day_3": session + timedelta(days=3),
        "week_1": session + timedelta(weeks=1),
        "week_4": last + timedelta(weeks=4),
        "week_8": last + timedelta(weeks=8),
        "week_12": last + timedelta(weeks=12),
    }
    times = [at for _, at in follow_up_times(CATALOG, session, last)]
    assert times == sorted(times)
    # This session is the latest one: the late check-ins count from it.
    alone = dict((s.key, at) for s, at in follow_up_times(CATALOG, session, session))
    assert alone["week_12"] == session + timedelta(weeks=12)
