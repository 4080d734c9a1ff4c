"""Properties of core.screening that must hold for every input."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from core.catalog.model import MedicineRule, Verdict
from core.screening import (
    AnswerValue,
    ClinicPolicy,
    MedicineAnswer,
    ScreeningRequest,
    add_months,
    relevant_questions,
    screen,
    worst,
)
from tests.core.test_screening import CATALOG, EMPTY, TODAY

PAIRS = [(i.key, a) for i in CATALOG.indications.values() for a in i.areas]
PAUSED = [m for m in CATALOG.medicines.values() if not m.prescription_only]
VERDICTS = list(Verdict)


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
    st.integers(min_value=0, max_value=240),
)
def test_adding_months_lands_in_the_right_month_on_the_clamped_day(day: date, months: int) -> None:
    result = add_months(day, months)
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == months
    assert result.day == min(day.day, calendar.monthrange(result.year, result.month)[1])
    assert result >= day
    assert (result > day) == (months > 0)


@given(st.lists(st.sampled_from(VERDICTS)))
def test_the_worst_verdict_is_the_most_severe_and_eligible_for_none(
    verdicts: list[Verdict],
) -> None:
    result = worst(verdicts)
    assert result.severity == max((v.severity for v in verdicts), default=0)
    assert all(v.severity <= result.severity for v in verdicts)


@st.composite
def screenings(draw: st.DrawFn) -> ScreeningRequest:
    """A screening of a random treatment with random yes/no answers."""
    indication, area = draw(st.sampled_from(PAIRS))
    answers: dict[str, AnswerValue] = {}
    for q in relevant_questions(CATALOG, indication, area):
        answers[q.key] = draw(st.booleans()) if q.kind == "bool" else EMPTY[q.kind]
    planned = TODAY + timedelta(days=draw(st.integers(min_value=0, max_value=60)))
    country = draw(st.sampled_from(["IN", "FR", "US", "GB", ""]))
    return ScreeningRequest(indication, area, planned, TODAY, answers, country)


@settings(max_examples=200)
@given(screenings())
def test_the_verdict_is_the_worst_of_its_findings(request: ScreeningRequest) -> None:
    result = screen(CATALOG, request)
    assert result.verdict is worst([f.verdict for f in result.findings])
    severities = [f.verdict.severity for f in result.findings]
    assert severities == sorted(severities, reverse=True)


@settings(max_examples=200)
@given(screenings(), st.data())
def test_one_more_yes_never_makes_the_verdict_milder(
    request: ScreeningRequest, data: st.DataObject
) -> None:
    noes = [k for k, v in request.answers.items() if v is False]
    if not noes:
        return
    key = data.draw(st.sampled_from(noes))
    more = ScreeningRequest(
        request.indication,
        request.area,
        request.planned_date,
        request.answered_on,
        {**request.answers, key: True},
        request.country,
    )
    before, after = screen(CATALOG, request), screen(CATALOG, more)
    assert after.verdict.severity >= before.verdict.severity
    assert {f.code for f in before.findings} <= {f.code for f in after.findings}


def _medicine_request(
    rule_key: str, last: date | None, planned: date, *, prescribed: bool, ongoing: bool
) -> ScreeningRequest:
    answers: dict[str, AnswerValue] = {
        q.key: EMPTY[q.kind] for q in relevant_questions(CATALOG, "hair_loss", "scalp")
    }
    answers["medicines"] = (MedicineAnswer(rule_key, last, prescribed, ongoing),)
    return ScreeningRequest("hair_loss", "scalp", planned, TODAY, answers, "IN")


@settings(max_examples=300)
@given(
    st.sampled_from(PAUSED),
    st.integers(min_value=-30, max_value=60),
    st.integers(min_value=0, max_value=60),
)
def test_a_non_prescribed_dose_defers_exactly_until_its_pause_is_over(
    rule: MedicineRule, dose_offset: int, planned_offset: int
) -> None:
    planned = TODAY + timedelta(days=planned_offset)
    last = TODAY + timedelta(days=dose_offset)
    result = screen(
        CATALOG, _medicine_request(rule.key, last, planned, prescribed=False, ongoing=False)
    )
    ends = last + timedelta(days=rule.pause_days)
    if ends > planned:
        assert result.verdict is Verdict.DEFER
        assert result.earliest_date == ends
        assert result.earliest_date > planned
    elif rule.caution_days and last + timedelta(days=rule.caution_days) > planned:
        assert result.verdict is Verdict.CAUTION
        assert result.earliest_date is None
    else:
        assert result.verdict is Verdict.ELIGIBLE
        assert result.findings == ()


@settings(max_examples=300)
@given(
    st.sampled_from([m.key for m in CATALOG.medicines.values() if m.may_be_prescribed]),
    st.integers(min_value=-30, max_value=60),
    st.integers(min_value=0, max_value=60),
    st.booleans(),
)
def test_a_prescribed_medicine_never_gets_a_date_to_stop_or_wait_for(
    key: str, dose_offset: int, planned_offset: int, ongoing: bool
) -> None:
    planned = TODAY + timedelta(days=planned_offset)
    last = TODAY + timedelta(days=dose_offset)
    result = screen(
        CATALOG, _medicine_request(key, last, planned, prescribed=True, ongoing=ongoing)
    )
    assert result.verdict in {Verdict.ELIGIBLE, Verdict.CAUTION}
    for finding in result.findings:
        assert finding.earliest_date is None and finding.last_dose_by is None
        assert "Do not stop a medicine your doctor prescribed." in finding.text


@settings(max_examples=200)
@given(
    st.lists(st.sampled_from(PAUSED), min_size=1, max_size=4, unique_by=lambda r: r.key),
    st.lists(st.integers(min_value=0, max_value=20), min_size=4, max_size=4),
    st.one_of(st.none(), st.integers(min_value=0, max_value=400)),
)
def test_the_earliest_date_is_the_latest_dated_deferral(
    rules: list[MedicineRule], days_ago: list[int], laser_days_ago: int | None
) -> None:
    planned = TODAY + timedelta(days=5)
    answers: dict[str, AnswerValue] = {
        q.key: EMPTY[q.kind] for q in relevant_questions(CATALOG, "facial_rejuvenation", "face")
    }
    medicines = []
    for rule, ago in zip(rules, days_ago, strict=False):
        medicines.append(MedicineAnswer(rule.key, TODAY - timedelta(days=ago)))
    answers["medicines"] = tuple(medicines)
    if laser_days_ago is not None:
        answers["last_laser"] = TODAY - timedelta(days=laser_days_ago)
    result = screen(
        CATALOG,
        ScreeningRequest(
            "facial_rejuvenation", "face", planned, TODAY, answers, "IN", None, ClinicPolicy()
        ),
    )
    dated = [f.earliest_date for f in result.findings if f.verdict is Verdict.DEFER]
    if result.verdict is Verdict.DEFER:
        assert dated and all(d is not None for d in dated)
        assert result.earliest_date == max(d for d in dated if d is not None)
        assert result.earliest_date > planned
    else:
        assert result.earliest_date is None
        assert dated == []
