"""Fitting a course of sessions (core.course_fitting), case by case."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.availability import (
    AvailabilityQuery,
    Booking,
    Clinic,
    Practitioner,
    Room,
    Service,
    Slot,
    is_bookable,
    slot_finder,
)
from core.catalog.model import IntRange
from core.course_fitting import (
    Alternatives,
    CourseFailure,
    CoursePlan,
    Preferences,
    Window,
    fit_course,
    next_window,
    rewindow,
)

PARIS = ZoneInfo("Europe/Paris")
CLINIC = Clinic("Europe/Paris")
MONDAY = date(2027, 4, 5)


def day(offset: int) -> date:
    """Days after Monday 2027-04-05."""
    return MONDAY + timedelta(days=offset)


def slot(offset: int, hour: int, practitioner: str = "ana") -> Slot:
    start = datetime.combine(day(offset), time(hour), PARIS).astimezone(UTC)
    return Slot(start, start + timedelta(hours=1), practitioner, "r1", None)


def weekdays(practitioner: str, hour: int, days: range) -> list[Slot]:
    return [slot(n, hour, practitioner) for n in days if day(n).weekday() < 5]


def plan_of(result: CoursePlan | CourseFailure) -> list[tuple[date, int, str]]:
    assert isinstance(result, CoursePlan), result
    return [
        (s.day, s.slot.start.astimezone(PARIS).hour, str(s.slot.practitioner_id))
        for s in result.sessions
    ]


WEEK = Window(day(0), day(4))


# -- placing sessions ------------------------------------------------------------------------


def test_it_places_each_session_in_the_window_counted_from_the_one_before() -> None:
    result = fit_course(
        WEEK, [IntRange(7, 10), IntRange(14, 14)], weekdays("ana", 10, range(60)), CLINIC
    )
    assert plan_of(result) == [(day(0), 10, "ana"), (day(7), 10, "ana"), (day(21), 10, "ana")]
    assert isinstance(result, CoursePlan)
    assert [s.window for s in result.sessions] == [
        WEEK,
        Window(day(7), day(10)),
        Window(day(21), day(21)),
    ]
    assert [s.number for s in result.sessions] == [1, 2, 3]
    assert result.same_practitioner


def test_a_course_of_one_session_takes_the_best_slot_of_its_window() -> None:
    result = fit_course(WEEK, [], [slot(3, 12), slot(1, 15)], CLINIC)
    assert plan_of(result) == [(day(1), 15, "ana")]


def test_it_keeps_one_practitioner_for_the_whole_course_when_it_can() -> None:
    # Ben has the earliest first slot but nothing a week later; Ana has both.
    slots = [slot(0, 10, "ben"), slot(0, 11, "ana"), *weekdays("ana", 11, range(7, 30))]
    result = fit_course(WEEK, [IntRange(7, 7), IntRange(7, 7)], slots, CLINIC)
    assert plan_of(result) == [(day(0), 11, "ana"), (day(7), 11, "ana"), (day(14), 11, "ana")]
    assert isinstance(result, CoursePlan) and result.same_practitioner


def test_it_prefers_the_patients_practitioner() -> None:
    slots = weekdays("ben", 10, range(30)) + weekdays("ana", 16, range(30))
    result = fit_course(WEEK, [IntRange(7, 7)], slots, CLINIC, Preferences(practitioner_id="ana"))
    assert plan_of(result) == [(day(0), 16, "ana"), (day(7), 16, "ana")]


def test_it_changes_practitioner_only_when_no_one_can_give_the_whole_course() -> None:
    slots = [slot(0, 10, "ana"), slot(7, 10, "ben"), slot(14, 9, "ana"), slot(14, 10, "ben")]
    result = fit_course(WEEK, [IntRange(7, 7), IntRange(7, 7)], slots, CLINIC)
    # Ben stays for session 3, being the one who gave session 2, though Ana is earlier.
    assert plan_of(result) == [(day(0), 10, "ana"), (day(7), 10, "ben"), (day(14), 10, "ben")]
    assert isinstance(result, CoursePlan) and not result.same_practitioner


def test_the_patients_practitioner_gives_every_session_they_can_when_mixing() -> None:
    slots = [slot(0, 10, "ana"), slot(7, 10, "ben"), slot(14, 10, "ana"), slot(14, 9, "ben")]
    result = fit_course(
        WEEK, [IntRange(7, 7), IntRange(7, 7)], slots, CLINIC, Preferences(practitioner_id="ana")
    )
    # Back to Ana for session 3, though Ben gave session 2 and is earlier.
    assert plan_of(result) == [(day(0), 10, "ana"), (day(7), 10, "ben"), (day(14), 10, "ana")]


def test_it_prefers_the_patients_weekdays_and_times_of_day() -> None:
    slots = [slot(0, 10), slot(2, 18), slot(3, 11)]
    evening = fit_course(WEEK, [], slots, CLINIC, Preferences(times_of_day=frozenset({"evening"})))
    assert plan_of(evening) == [(day(2), 18, "ana")]
    assert isinstance(evening, CoursePlan) and evening.sessions[0].preferred
    thursday_morning = fit_course(
        WEEK,
        [],
        slots,
        CLINIC,
        Preferences(weekdays=frozenset({3}), times_of_day=frozenset({"morning"})),
    )
    assert plan_of(thursday_morning) == [(day(3), 11, "ana")]
    # Nothing on Saturday: the earliest slot, marked as not preferred.
    saturday = fit_course(WEEK, [], slots, CLINIC, Preferences(weekdays=frozenset({5})))
    assert plan_of(saturday) == [(day(0), 10, "ana")]
    assert isinstance(saturday, CoursePlan) and not saturday.sessions[0].preferred


def test_it_takes_a_later_first_session_when_the_earliest_leaves_no_slot_for_the_next() -> None:
    slots = [slot(0, 10), slot(1, 10), slot(8, 10)]
    result = fit_course(Window(day(0), day(1)), [IntRange(7, 7)], slots, CLINIC)
    assert plan_of(result) == [(day(1), 10, "ana"), (day(8), 10, "ana")]


def test_an_open_window_is_searched_up_to_the_horizon() -> None:
    slots = [slot(15, 10)]
    assert plan_of(fit_course(Window(day(0), None), [], slots, CLINIC)) == [(day(15), 10, "ana")]
    short = fit_course(Window(day(0), None), [], slots, CLINIC, open_window_days=7)
    assert isinstance(short, CourseFailure)
    assert short.window == Window(day(0), day(6))
    assert short.alternatives == Alternatives(before=None, after=slots[0])


def test_it_uses_a_slot_finder_and_asks_for_each_date_at_most_once() -> None:
    asked: list[date] = []
    slots = weekdays("ana", 10, range(60))

    def finder(first: date, last: date) -> list[Slot]:
        asked.extend(first + timedelta(days=n) for n in range((last - first).days + 1))
        return [s for s in slots if first <= s.start.astimezone(PARIS).date() <= last]

    result = fit_course(WEEK, [IntRange(7, 10), IntRange(7, 10), IntRange(14, 21)], finder, CLINIC)
    assert plan_of(result) == [
        (day(0), 10, "ana"),
        (day(7), 10, "ana"),
        (day(14), 10, "ana"),
        (day(28), 10, "ana"),
    ]
    assert len(asked) == len(set(asked))
    # A failure looks around windows already searched: still one question per date.
    asked.clear()
    failure = fit_course(Window(day(0), day(0)), [IntRange(5, 6)], finder, CLINIC)
    assert isinstance(failure, CourseFailure)
    assert (failure.session, failure.reason) == (2, "no_free_slot")
    assert failure.alternatives == Alternatives(before=slot(4, 10), after=slot(7, 10))
    assert sorted(asked) == [day(n) for n in range(21)]


def test_it_fits_a_course_into_what_the_availability_core_offers() -> None:
    service = Service("face", numbing_minutes=20, procedure_minutes=30, cleanup_minutes=10)
    bookings = tuple(
        Booking(
            datetime.combine(day(n), time(10), PARIS).astimezone(UTC),
            datetime.combine(day(n), time(17), PARIS).astimezone(UTC),
            "ana",
        )
        for n in range(60)
    )
    query = AvailabilityQuery(
        clinic=CLINIC,
        practitioners=(Practitioner("ana", frozenset({"face"})),),
        rooms=(Room("r1"),),
        devices=(),
        bookings=bookings,
        service=service,
        start=day(0),
        end=day(0),
        now=datetime(2027, 4, 1, tzinfo=UTC),
    )
    result = fit_course(
        WEEK,
        [IntRange(7, 10), IntRange(14, 14)],
        slot_finder(query),
        CLINIC,
        Preferences(times_of_day=frozenset({"evening"})),
    )
    assert plan_of(result) == [(day(0), 17, "ana"), (day(7), 17, "ana"), (day(21), 17, "ana")]
    assert isinstance(result, CoursePlan)
    for session in result.sessions:
        assert is_bookable(query, session.slot.start, "ana", "r1", None) is None


# -- failing -----------------------------------------------------------------------------------


def test_it_fails_all_or_nothing_naming_the_session_and_the_nearest_alternatives() -> None:
    slots = [slot(0, 10), slot(7, 10), slot(9, 12), slot(11, 15), slot(16, 10), slot(18, 10)]
    result = fit_course(WEEK, [IntRange(7, 7), IntRange(7, 7)], slots, CLINIC)
    assert result == CourseFailure(
        session=3,
        reason="no_free_slot",
        message=(
            "Cannot place the course: session 3 falls 7 days after session 2 (2027-04-12), "
            "between 2027-04-19 and 2027-04-19, and there is no free slot then."
        ),
        window=Window(day(14), day(14)),
        previous=day(7),
        alternatives=Alternatives(before=slot(11, 15), after=slot(16, 10)),
    )


def test_an_alternative_before_the_window_never_falls_on_the_previous_session() -> None:
    slots = [slot(0, 10), slot(0, 15), slot(7, 10)]
    result = fit_course(Window(day(0), day(0)), [IntRange(3, 3), IntRange(7, 7)], slots, CLINIC)
    assert isinstance(result, CourseFailure)
    assert (result.session, result.previous) == (2, day(0))
    assert result.alternatives == Alternatives(before=None, after=slot(7, 10))


def test_it_says_when_the_window_falls_only_on_closed_days() -> None:
    sunday = Window(day(6), day(6))
    result = fit_course(sunday, [], [slot(5, 10)], CLINIC)
    assert isinstance(result, CourseFailure)
    assert (result.session, result.reason) == (1, "closed_in_window")
    assert result.message == (
        "Cannot place the course: session 1 falls between 2027-04-11 and 2027-04-11, "
        "and the clinic is closed on all those days."
    )
    assert result.alternatives == Alternatives(before=slot(5, 10), after=None)


def test_it_names_another_practitioner_when_the_required_one_is_booked() -> None:
    slots = [slot(0, 10), slot(7, 12, "ben"), slot(7, 11, "cy"), slot(9, 10)]
    prefs = Preferences(practitioner_id="ana", practitioner_required=True)
    result = fit_course(WEEK, [IntRange(7, 7)], slots, CLINIC, prefs)
    assert isinstance(result, CourseFailure)
    assert (result.session, result.reason) == (2, "practitioner_unavailable")
    assert result.message == (
        "Cannot place the course: session 2 falls 7 days after session 1 (2027-04-05), "
        "between 2027-04-12 and 2027-04-12, and practitioner 'ana' has no free slot then."
    )
    assert result.alternatives == Alternatives(
        before=None, after=slot(9, 10), other_practitioner=slot(7, 11, "cy")
    )


def test_a_window_that_has_passed_cannot_be_filled() -> None:
    result = fit_course(WEEK, [], [slot(0, 10)], CLINIC, today=day(5))
    assert isinstance(result, CourseFailure)
    assert (result.session, result.reason) == (1, "window_in_the_past")
    assert result.alternatives == Alternatives()


def test_it_never_books_before_today() -> None:
    result = fit_course(WEEK, [], [slot(0, 10), slot(3, 10)], CLINIC, today=day(2))
    assert plan_of(result) == [(day(3), 10, "ana")]


def test_intervals_shorter_than_a_day_or_upside_down_are_refused() -> None:
    with pytest.raises(ValueError, match="interval 1"):
        fit_course(WEEK, [IntRange(0, 3)], [], CLINIC)
    with pytest.raises(ValueError, match="interval 2"):
        fit_course(WEEK, [IntRange(7, 10), IntRange(10, 7)], [], CLINIC)


# -- rewindow ----------------------------------------------------------------------------------

INTERVALS = [IntRange(7, 10), IntRange(14, 14), IntRange(28, None)]
BOOKED = [day(0), day(8), day(22), day(50)]


def test_the_next_window_counts_from_the_previous_date() -> None:
    assert next_window(day(0), IntRange(7, 10)) == Window(day(7), day(10))
    assert next_window(day(0), IntRange(28, None)) == Window(day(28), None)


def test_moving_a_session_later_moves_the_next_window_and_names_what_no_longer_fits() -> None:
    result = rewindow(INTERVALS, BOOKED, 1, day(10))
    assert result.dates == (day(0), day(10), day(22), day(50))
    assert result.windows == (
        None,
        Window(day(7), day(10)),
        Window(day(24), day(24)),
        Window(day(50), None),
    )
    assert result.moved_fits
    assert result.misfits == (3,)


def test_a_move_outside_its_own_window_is_reported() -> None:
    result = rewindow(INTERVALS, BOOKED, 1, day(12))
    assert not result.moved_fits
    assert result.misfits == (3,)


def test_a_move_that_keeps_the_intervals_leaves_nothing_to_fix() -> None:
    result = rewindow(INTERVALS, BOOKED, 2, day(22))
    assert result.moved_fits
    assert result.misfits == ()


def test_moving_the_first_session_checks_it_against_the_first_window() -> None:
    result = rewindow(INTERVALS, BOOKED, 0, day(5), first=WEEK)
    assert not result.moved_fits
    assert result.windows[:2] == (WEEK, Window(day(12), day(15)))
    assert result.misfits == (2,)


def test_sessions_not_yet_booked_get_every_date_their_predecessor_allows() -> None:
    result = rewindow(INTERVALS, [day(0), None, None, None], 0, day(1))
    assert result.windows == (
        None,
        Window(day(8), day(11)),
        Window(day(22), day(25)),
        Window(day(50), None),
    )
    assert result.misfits == ()


def test_rewindow_refuses_dates_that_do_not_match_the_intervals() -> None:
    with pytest.raises(ValueError, match="need 2 intervals, not 3"):
        rewindow(INTERVALS, BOOKED[:3], 0, day(0))
    with pytest.raises(ValueError, match="moved_index 4"):
        rewindow(INTERVALS, BOOKED, 4, day(0))
