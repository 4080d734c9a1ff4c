"""Properties of core.course_fitting, checked against a brute-force search."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.availability import Clinic, Slot
from core.catalog.model import IntRange
from core.course_fitting import (
    CourseFailure,
    CoursePlan,
    Preferences,
    Window,
    fit_course,
    next_window,
)

PARIS = ZoneInfo("Europe/Paris")
CLINIC = Clinic("Europe/Paris")
START = date(2027, 3, 1)  # sixty days from here cross the spring clock change
PRACTITIONERS = ["ana", "ben", "cy"]
PROPERTY_SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@dataclass(frozen=True)
class Case:
    first: Window
    intervals: list[IntRange]
    slots: list[Slot]
    preferences: Preferences
    today: date | None
    horizon: int

    def fit(self) -> CoursePlan | CourseFailure:
        return fit_course(
            self.first,
            self.intervals,
            self.slots,
            CLINIC,
            self.preferences,
            today=self.today,
            open_window_days=self.horizon,
        )

    def window(self, k: int, previous: date | None) -> Window:
        window = self.first if previous is None else next_window(previous, self.intervals[k - 1])
        if window.latest is None:
            return Window(window.earliest, window.earliest + timedelta(days=self.horizon - 1))
        return window

    def feasible(self, allowed: set[str]) -> bool:
        """Whether any assignment exists, by exhaustive search over dates."""
        days = {
            local_day(s)
            for s in self.slots
            if s.practitioner_id in allowed and (self.today is None or local_day(s) >= self.today)
        }

        @cache
        def place(k: int, previous: date | None) -> bool:
            window = self.window(k, previous)
            return any(
                window.contains(d) and (k == len(self.intervals) or place(k + 1, d)) for d in days
            )

        return place(0, None)


def local_day(s: Slot) -> date:
    return s.start.astimezone(PARIS).date()


@st.composite
def cases(draw: st.DrawFn, sessions: int = 4) -> Case:
    practitioners = PRACTITIONERS[: draw(st.integers(1, 3))]
    # Each practitioner has a free hour or two on some of the days; how many
    # days varies from case to case, from a full diary to an empty one.
    density = draw(st.integers(0, 10))
    slots = []
    for offset in range(60):
        for practitioner in practitioners:
            # One draw per practitioner-day keeps generation fast: it says
            # whether they are free that day, and at which hour or two.
            code = draw(st.integers(0, 99))
            if code >= 10 * density:
                continue
            hours = {10 + code % 9} | ({10 + code // 9 % 9} if code % 3 == 0 else set())
            for hour in sorted(hours):
                start = datetime.combine(START + timedelta(days=offset), time(hour), PARIS)
                start = start.astimezone(UTC)
                slots.append(Slot(start, start + timedelta(hours=1), practitioner, "r1", None))
    earliest = START + timedelta(days=draw(st.integers(0, 10)))
    latest = draw(st.none() | st.integers(0, 8).map(lambda n: earliest + timedelta(days=n)))
    intervals = []
    for _ in range(draw(st.integers(0, sessions - 1))):
        low = draw(st.integers(1, 10))
        high = draw(st.integers(low, low + 4) | st.none())
        intervals.append(IntRange(low, high))
    preferred = draw(st.none() | st.sampled_from(practitioners))
    preferences = Preferences(
        weekdays=frozenset(draw(st.sets(st.integers(0, 6), max_size=3))),
        times_of_day=frozenset(draw(st.sets(st.sampled_from(["morning", "afternoon", "evening"])))),
        practitioner_id=preferred,
        practitioner_required=preferred is not None and draw(st.booleans()),
    )
    today = draw(st.none() | st.integers(0, 12).map(lambda n: START + timedelta(days=n)))
    return Case(
        Window(earliest, latest),
        intervals,
        slots,
        preferences,
        today,
        draw(st.integers(3, 21)),
    )


def allowed(case: Case) -> set[str]:
    prefs = case.preferences
    if prefs.practitioner_required and prefs.practitioner_id is not None:
        return {str(prefs.practitioner_id)}
    return set(PRACTITIONERS)


@PROPERTY_SETTINGS
@given(cases())
def test_it_fits_a_course_exactly_when_one_exists(case: Case) -> None:
    result = case.fit()
    assert isinstance(result, CoursePlan) == case.feasible(allowed(case))


@PROPERTY_SETTINGS
@given(cases())
def test_each_chosen_session_lies_in_its_window_with_the_intervals_kept(case: Case) -> None:
    result = case.fit()
    if not isinstance(result, CoursePlan):
        return
    assert len(result.sessions) == len(case.intervals) + 1
    previous: date | None = None
    for k, session in enumerate(result.sessions):
        assert session.number == k + 1
        assert session.slot in case.slots
        assert session.day == local_day(session.slot)
        assert session.window == case.window(k, previous)
        assert session.window.contains(session.day)
        if previous is not None:
            assert case.intervals[k - 1].contains((session.day - previous).days)
        if case.today is not None:
            assert session.day >= case.today
        assert str(session.slot.practitioner_id) in allowed(case)
        previous = session.day
    practitioners = {s.slot.practitioner_id for s in result.sessions}
    assert result.same_practitioner == (len(practitioners) == 1)


@PROPERTY_SETTINGS
@given(cases())
def test_it_keeps_one_practitioner_whenever_one_can_give_the_whole_course(case: Case) -> None:
    result = case.fit()
    preferred = case.preferences.practitioner_id
    if preferred is not None and case.feasible({str(preferred)}):
        assert isinstance(result, CoursePlan)
        assert {s.slot.practitioner_id for s in result.sessions} == {preferred}
    elif any(case.feasible({p}) for p in PRACTITIONERS) and not (
        case.preferences.practitioner_required
    ):
        assert isinstance(result, CoursePlan)
        assert result.same_practitioner


@PROPERTY_SETTINGS
@given(cases())
def test_a_failure_names_a_session_and_alternatives_outside_its_window(case: Case) -> None:
    result = case.fit()
    if not isinstance(result, CourseFailure):
        return
    assert 1 <= result.session <= len(case.intervals) + 1
    assert (result.previous is None) == (result.session == 1)
    assert result.window == case.window(result.session - 1, result.previous)
    window = result.window
    assert window.latest is not None
    before, after, other = (
        result.alternatives.before,
        result.alternatives.after,
        result.alternatives.other_practitioner,
    )
    if before is not None:
        assert before in case.slots
        assert local_day(before) < window.earliest
        assert result.previous is None or local_day(before) > result.previous
    if after is not None:
        assert after in case.slots
        assert local_day(after) > window.latest
    if other is not None:
        assert case.preferences.practitioner_required
        assert other.practitioner_id != case.preferences.practitioner_id
        assert window.contains(local_day(other))
    for alternative in (before, after, other):
        if alternative is not None and case.today is not None:
            assert local_day(alternative) >= case.today
    if result.reason == "no_free_slot":
        assert not any(
            window.contains(local_day(s))
            and (case.today is None or local_day(s) >= case.today)
            and str(s.practitioner_id) in allowed(case)
            for s in case.slots
        )


def misses(case: Case, s: Slot) -> int:
    local = s.start.astimezone(PARIS)
    prefs = case.preferences
    missed = int(bool(prefs.weekdays) and local.weekday() not in prefs.weekdays)
    if prefs.times_of_day:
        part = "morning" if local.hour < 12 else "afternoon" if local.hour < 17 else "evening"
        missed += part not in prefs.times_of_day
    return missed


@PROPERTY_SETTINGS
@given(cases(sessions=1))
def test_a_single_session_takes_the_most_preferred_then_earliest_slot(case: Case) -> None:
    result = case.fit()
    if not isinstance(result, CoursePlan):
        return
    window = case.window(0, None)
    prefs = case.preferences
    pool = [
        s
        for s in case.slots
        if window.contains(local_day(s)) and (case.today is None or local_day(s) >= case.today)
    ]
    if prefs.practitioner_id is not None and any(
        s.practitioner_id == prefs.practitioner_id for s in pool
    ):
        pool = [s for s in pool if s.practitioner_id == prefs.practitioner_id]
    chosen = result.sessions[0]
    assert (misses(case, chosen.slot), chosen.slot.start) == min(
        (misses(case, s), s.start) for s in pool
    )
    assert chosen.preferred == (misses(case, chosen.slot) == 0)
