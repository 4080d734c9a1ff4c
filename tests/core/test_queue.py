"""The walk-in queue's estimate: when the queue moves and how long it takes."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from core import availability as av
from core import queue

IST = ZoneInfo("Asia/Kolkata")
PARIS = ZoneInfo("Europe/Paris")
MONDAY = date(2026, 3, 2)
CONSULT = "consultation"
CLINIC = av.Clinic(time_zone="Asia/Kolkata")  # Monday-Saturday 10:00-19:00


def at(hour: int, minute: int = 0, second: int = 0, day: date = MONDAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=IST)


def doctor(
    pid: int,
    services: frozenset[str] = frozenset({CONSULT}),
    hours: av.WeeklyHours | None = None,
    breaks: av.WeeklyHours | None = None,
    leave: tuple[av.DayOff, ...] = (),
) -> av.Practitioner:
    return av.Practitioner(
        id=pid, services=services, working_hours=hours, breaks=breaks or {}, leave=leave
    )


# -- the arithmetic ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ahead", "minutes", "consultants", "expected"),
    [
        (0, 30, 2, 0),
        (1, 30, 1, 30),
        (3, 30, 2, 45),
        (4, 30, 2, 60),
        (1, 20, 3, 7),  # 6.67 rounds up: better early than late
        (5, 15, 0, 75),  # nobody working counts as one
        (5, 15, -1, 75),
    ],
)
def test_it_divides_the_work_ahead_between_the_consultants(
    ahead: int, minutes: int, consultants: int, expected: int
) -> None:
    assert queue.wait_minutes(ahead, minutes, consultants) == expected


def test_it_refuses_a_negative_queue_or_an_empty_consultation() -> None:
    with pytest.raises(ValueError, match="ahead"):
        queue.wait_minutes(-1, 30, 1)
    with pytest.raises(ValueError, match="consultation_minutes"):
        queue.wait_minutes(1, 0, 1)


def test_it_rounds_up_to_the_whole_minute() -> None:
    assert queue.ceil_minute(at(11, 0, 0)) == at(11, 0)
    assert queue.ceil_minute(at(11, 0, 1)) == at(11, 1)
    assert queue.ceil_minute(at(11, 59, 30)) == at(12, 0)


# -- when the queue moves ----------------------------------------------------------------------


def test_the_queue_moves_now_when_the_clinic_is_open() -> None:
    assert queue.queue_moves_at(CLINIC, at(11, 0)) == at(11, 0)
    assert queue.queue_moves_at(CLINIC, at(11, 0, 20)) == at(11, 1)


def test_before_opening_the_queue_moves_at_the_opening() -> None:
    assert queue.queue_moves_at(CLINIC, at(8, 15)) == at(10, 0)


def test_a_lunch_closure_moves_the_queue_to_the_afternoon() -> None:
    clinic = av.Clinic(
        time_zone="Asia/Kolkata",
        opening_hours={0: ((time(10), time(13)), (time(14), time(19)))},
    )
    assert queue.queue_moves_at(clinic, at(13, 20)) == at(14, 0)


@pytest.mark.parametrize(
    "now",
    [
        at(19, 0),  # closing time
        at(18, 59, 30),  # less than a minute left
        at(21, 0),
        at(11, 0, day=date(2026, 3, 1)),  # Sunday
    ],
)
def test_the_queue_does_not_move_after_closing_or_on_a_closed_day(now: datetime) -> None:
    assert queue.queue_moves_at(CLINIC, now) is None


def test_a_holiday_stops_the_queue() -> None:
    clinic = av.Clinic(time_zone="Asia/Kolkata", closures=(MONDAY,))
    assert queue.queue_moves_at(clinic, at(11, 0)) is None


def test_the_moment_is_in_the_clinics_zone_whatever_the_zone_of_now() -> None:
    paris = av.Clinic(time_zone="Europe/Paris")
    moves = queue.queue_moves_at(paris, datetime(2026, 3, 2, 9, 0, tzinfo=IST))  # 04:30 Paris
    assert moves == datetime(2026, 3, 2, 10, 0, tzinfo=PARIS)
    assert moves is not None and moves.tzinfo == PARIS


# -- who consults ------------------------------------------------------------------------------


def test_only_practitioners_who_consult_and_work_now_count() -> None:
    practitioners = [
        doctor(1),
        doctor(2, hours={0: ((time(14), time(19)),)}),  # afternoons only
        doctor(3, services=frozenset({"hair_loss_scalp"})),  # no consultations
        doctor(4, breaks={0: ((time(11), time(12)),)}),
        doctor(5, leave=(MONDAY,)),
    ]
    assert queue.consultants_at(CLINIC, practitioners, CONSULT, at(11, 0)) == 1
    assert queue.consultants_at(CLINIC, practitioners, CONSULT, at(10, 30)) == 2
    assert queue.consultants_at(CLINIC, practitioners, CONSULT, at(15, 0)) == 3


# -- the estimate ------------------------------------------------------------------------------


def test_three_ahead_with_two_consultants_wait_forty_five_minutes() -> None:
    found = queue.estimate(CLINIC, [doctor(1), doctor(2)], CONSULT, 30, 3, at(11, 0))
    assert found == queue.Estimate(
        ahead=3, position=4, wait_minutes=45, consultants=2, at=at(11, 45)
    )


def test_before_opening_the_wait_counts_from_the_opening() -> None:
    found = queue.estimate(CLINIC, [doctor(1)], CONSULT, 20, 2, at(9, 0))
    assert found is not None
    assert (found.wait_minutes, found.at) == (40, at(10, 40))


def test_consultants_are_counted_when_the_queue_moves_not_now() -> None:
    # At 09:00 nobody works; at the 10:00 opening both do.
    found = queue.estimate(CLINIC, [doctor(1), doctor(2)], CONSULT, 30, 2, at(9, 0))
    assert found is not None
    assert (found.consultants, found.wait_minutes) == (2, 30)


def test_there_is_no_estimate_once_the_clinic_has_closed() -> None:
    assert queue.estimate(CLINIC, [doctor(1)], CONSULT, 30, 0, at(19, 30)) is None


def test_estimates_of_a_whole_queue_grow_by_one_share_each() -> None:
    found = queue.estimates(CLINIC, [doctor(1), doctor(2)], CONSULT, 30, 4, at(11, 0))
    assert [(e.position, e.wait_minutes, e.at) for e in found] == [
        (1, 0, at(11, 0)),
        (2, 15, at(11, 15)),
        (3, 30, at(11, 30)),
        (4, 45, at(11, 45)),
    ]
    assert queue.estimates(CLINIC, [doctor(1)], CONSULT, 30, 0, at(11, 0)) == []
    assert queue.estimates(CLINIC, [doctor(1)], CONSULT, 30, 3, at(20, 0)) == []
