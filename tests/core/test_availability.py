"""Free slots and booking rules (core.availability), case by case."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.availability import (
    AvailabilityQuery,
    Booking,
    BookingIndex,
    Clinic,
    DateRange,
    Device,
    Interval,
    LocalInterval,
    Practitioner,
    Room,
    Service,
    Slot,
    default_opening_hours,
    free_slots,
    is_bookable,
    is_open_day,
    slot_finder,
)

PARIS = ZoneInfo("Europe/Paris")
KOLKATA = ZoneInfo("Asia/Kolkata")
MONDAY = date(2027, 3, 22)  # Paris is on winter time (UTC+1)
LONG_AGO = datetime(2027, 1, 1, tzinfo=UTC)
HOUR_SERVICE = Service("face", numbing_minutes=20, procedure_minutes=30, cleanup_minutes=10)
EVERY_DAY = {weekday: ((time(10), time(19)),) for weekday in range(7)}
ROUND_THE_CLOCK = {weekday: ((time(0), time(0)),) for weekday in range(7)}


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS).astimezone(UTC)


def make_query(**changes: Any) -> AvailabilityQuery:
    query = AvailabilityQuery(
        clinic=Clinic("Europe/Paris"),
        practitioners=(Practitioner("ana", frozenset({"face"})),),
        rooms=(Room("r1"),),
        devices=(),
        bookings=(),
        service=HOUR_SERVICE,
        start=MONDAY,
        end=MONDAY,
        now=LONG_AGO,
        granularity_minutes=60,
    )
    return dataclasses.replace(query, **changes)


def starts(slots: list[Slot]) -> list[datetime]:
    return [s.start for s in slots]


def local_times(slots: list[Slot], tz: ZoneInfo = PARIS) -> list[str]:
    return [f"{s.start.astimezone(tz):%H:%M}" for s in slots]


# -- opening hours ---------------------------------------------------------------------------


def test_it_offers_every_hour_of_a_monday_from_ten_to_the_last_that_ends_by_seven() -> None:
    slots = free_slots(make_query())
    assert starts(slots) == [utc(2027, 3, 22, h) for h in range(9, 18)]
    assert slots[0] == Slot(utc(2027, 3, 22, 9), utc(2027, 3, 22, 10), "ana", "r1", None)


def test_it_offers_no_slot_on_a_sunday() -> None:
    assert free_slots(make_query(start=date(2027, 3, 28), end=date(2027, 3, 28))) == []


def test_a_slot_never_crosses_closing_time() -> None:
    service = Service("face", numbing_minutes=0, procedure_minutes=45)
    slots = free_slots(make_query(service=service, granularity_minutes=15))
    assert local_times(slots)[-1] == "18:15"
    assert slots[-1].end == paris(2027, 3, 22, 19)
    assert all(s.end <= paris(2027, 3, 22, 19) for s in slots)
    assert len(slots) == 34  # 10:00 to 18:15 every quarter hour


def test_buffers_also_fit_within_opening_hours() -> None:
    service = dataclasses.replace(HOUR_SERVICE, buffer_before_minutes=15, buffer_after_minutes=15)
    slots = free_slots(make_query(service=service, granularity_minutes=15))
    assert local_times(slots)[0] == "10:15"
    assert local_times(slots)[-1] == "17:45"
    assert slots[-1].end == paris(2027, 3, 22, 18, 45)


def test_slots_start_every_granularity_minutes_from_each_opening() -> None:
    clinic = Clinic("Europe/Paris", opening_hours={0: ((time(10), time(12, 30)),)})
    service = Service("face", numbing_minutes=0, procedure_minutes=30)
    slots = free_slots(make_query(clinic=clinic, service=service, granularity_minutes=45))
    assert local_times(slots) == ["10:00", "10:45", "11:30"]


def test_hours_that_touch_are_one_opening() -> None:
    clinic = Clinic("Europe/Paris", opening_hours={0: ((time(10), time(13)), (time(13), time(19)))})
    slots = free_slots(make_query(clinic=clinic, granularity_minutes=30))
    assert "12:30" in local_times(slots)
    assert len(slots) == 17  # 10:00 to 18:00 every half hour


def test_it_says_which_days_the_clinic_opens() -> None:
    clinic = Clinic("Europe/Paris", closures=(date(2027, 3, 23),))
    assert [is_open_day(clinic, MONDAY + timedelta(days=n)) for n in range(7)] == [
        True,
        False,
        True,
        True,
        True,
        True,
        False,
    ]


# -- time zones and daylight saving ------------------------------------------------------------


def test_it_keeps_ten_o_clock_local_across_the_paris_dst_change() -> None:
    slots = free_slots(make_query(start=date(2027, 3, 27), end=date(2027, 3, 29)))
    saturday = [s for s in slots if s.start.date() == date(2027, 3, 27)]
    monday = [s for s in slots if s.start.date() == date(2027, 3, 29)]
    assert starts(saturday) == [utc(2027, 3, 27, h) for h in range(9, 18)]  # UTC+1
    assert starts(monday) == [utc(2027, 3, 29, h) for h in range(8, 17)]  # UTC+2
    assert local_times(saturday) == local_times(monday) == [f"{h}:00" for h in range(10, 19)]
    assert len(slots) == 18  # nothing on the Sunday


def test_a_sunday_clinic_keeps_its_hours_on_the_spring_forward_day() -> None:
    clinic = Clinic("Europe/Paris", opening_hours=EVERY_DAY)
    day = date(2027, 3, 28)
    slots = free_slots(make_query(clinic=clinic, start=day, end=day))
    assert starts(slots) == [utc(2027, 3, 28, h) for h in range(8, 17)]
    assert local_times(slots) == [f"{h}:00" for h in range(10, 19)]


def test_a_sunday_clinic_keeps_its_hours_on_the_fall_back_day() -> None:
    clinic = Clinic("Europe/Paris", opening_hours=EVERY_DAY)
    slots = free_slots(make_query(clinic=clinic, start=date(2027, 10, 30), end=date(2027, 11, 1)))
    first_of_each_day = [s.start for s in slots if f"{s.start.astimezone(PARIS):%H}" == "10"]
    assert first_of_each_day == [utc(2027, 10, 30, 8), utc(2027, 10, 31, 9), utc(2027, 11, 1, 9)]
    assert len(slots) == 27


def test_a_round_the_clock_clinic_skips_the_hour_that_does_not_exist() -> None:
    clinic = Clinic("Europe/Paris", opening_hours=ROUND_THE_CLOCK)
    service = Service("face", numbing_minutes=0, procedure_minutes=30)
    day = date(2027, 3, 28)
    slots = free_slots(
        make_query(clinic=clinic, service=service, start=day, end=day, granularity_minutes=30)
    )
    times = local_times(slots)
    assert times[:6] == ["00:00", "00:30", "01:00", "01:30", "03:00", "03:30"]
    assert times[-1] == "23:30"
    assert len(slots) == 46  # a 23-hour day
    assert slots[4].start == utc(2027, 3, 28, 1)  # 03:00 CEST
    # The last one ends at midnight: it belongs to the day it starts on.
    assert slots[-1].end == utc(2027, 3, 28, 22)
    query = make_query(clinic=clinic, service=service)
    assert is_bookable(query, slots[-1].start, "ana", "r1", None) is None


def test_a_round_the_clock_clinic_offers_the_repeated_hour_twice() -> None:
    clinic = Clinic("Europe/Paris", opening_hours=ROUND_THE_CLOCK)
    day = date(2027, 10, 31)
    slots = free_slots(make_query(clinic=clinic, start=day, end=day))
    times = local_times(slots)
    assert times[:5] == ["00:00", "01:00", "02:00", "02:00", "03:00"]
    assert starts(slots)[2:4] == [utc(2027, 10, 31, 0), utc(2027, 10, 31, 1)]
    assert len(slots) == 25  # a 25-hour day


def test_an_opening_time_that_does_not_exist_means_the_moment_the_clocks_jump() -> None:
    clinic = Clinic("Europe/Paris", opening_hours={6: ((time(2, 30), time(5)),)})
    service = Service("face", numbing_minutes=0, procedure_minutes=30)
    day = date(2027, 3, 28)
    query = make_query(clinic=clinic, service=service, start=day, end=day, granularity_minutes=30)
    slots = free_slots(query)
    assert local_times(slots) == ["03:00", "03:30", "04:00", "04:30"]
    assert is_bookable(query, utc(2027, 3, 28, 1), "ana", "r1", None) is None
    refusal = is_bookable(query, utc(2027, 3, 28, 0, 59), "ana", "r1", None)
    assert refusal is not None and refusal.code == "outside_opening_hours"


def test_a_closing_time_that_happens_twice_means_its_first_occurrence() -> None:
    clinic = Clinic("Europe/Paris", opening_hours={6: ((time(0), time(2, 30)),)})
    service = Service("face", numbing_minutes=0, procedure_minutes=30)
    day = date(2027, 10, 31)
    query = make_query(clinic=clinic, service=service, start=day, end=day, granularity_minutes=30)
    slots = free_slots(query)
    assert starts(slots) == [
        utc(2027, 10, 30, 22),
        utc(2027, 10, 30, 22, 30),
        utc(2027, 10, 30, 23),
        utc(2027, 10, 30, 23, 30),
        utc(2027, 10, 31, 0),  # 02:00 CEST, ends at the first 02:30
    ]
    second_two_o_clock = utc(2027, 10, 31, 1)  # 02:00 CET
    refusal = is_bookable(query, second_two_o_clock, "ana", "r1", None)
    assert refusal is not None and refusal.code == "outside_opening_hours"


def test_it_keeps_kolkata_hours_at_half_past_the_utc_hour() -> None:
    clinic = Clinic("Asia/Kolkata")
    slots = free_slots(make_query(clinic=clinic))
    assert starts(slots) == [utc(2027, 3, 22, h, 30) for h in range(4, 13)]
    assert local_times(slots, KOLKATA) == [f"{h}:00" for h in range(10, 19)]


def test_a_utc_search_range_includes_its_start_and_excludes_its_end() -> None:
    query = make_query(start=utc(2027, 3, 22, 11), end=utc(2027, 3, 22, 14))
    assert starts(free_slots(query)) == [utc(2027, 3, 22, h) for h in (11, 12, 13)]


def test_a_utc_search_range_may_cross_local_dates() -> None:
    clinic = Clinic("Asia/Kolkata")
    # 2027-03-22 12:00 UTC is 17:30 in Kolkata; the range ends 05:30 local next day.
    query = make_query(clinic=clinic, start=utc(2027, 3, 22, 12), end=utc(2027, 3, 23, 6))
    assert starts(free_slots(query)) == [
        utc(2027, 3, 22, 12, 30),
        utc(2027, 3, 23, 4, 30),
        utc(2027, 3, 23, 5, 30),
    ]


# -- the past, practitioners and their time ------------------------------------------------------


def test_it_never_offers_a_slot_in_the_past() -> None:
    slots = free_slots(make_query(now=paris(2027, 3, 22, 12, 10), granularity_minutes=15))
    assert local_times(slots)[0] == "12:15"


def test_a_slot_starting_now_is_offered() -> None:
    slots = free_slots(make_query(now=paris(2027, 3, 22, 12)))
    assert local_times(slots)[0] == "12:00"


def test_it_keeps_the_buffer_before_out_of_the_past() -> None:
    service = dataclasses.replace(HOUR_SERVICE, buffer_before_minutes=10)
    slots = free_slots(
        make_query(service=service, now=paris(2027, 3, 22, 12, 0), granularity_minutes=15)
    )
    assert local_times(slots)[0] == "12:15"


def test_it_keeps_to_the_practitioners_working_hours_and_breaks() -> None:
    ana = Practitioner(
        "ana",
        frozenset({"face"}),
        working_hours={0: ((time(9), time(14)),)},
        breaks={0: ((time(12), time(13)),)},
    )
    slots = free_slots(make_query(practitioners=(ana,)))
    assert local_times(slots) == ["10:00", "11:00", "13:00"]


def test_a_practitioner_off_that_weekday_is_not_offered() -> None:
    ana = Practitioner("ana", frozenset({"face"}), working_hours={1: ((time(10), time(19)),)})
    assert free_slots(make_query(practitioners=(ana,))) == []


def test_leave_for_part_of_the_day_leaves_the_rest_bookable() -> None:
    ana = Practitioner(
        "ana",
        frozenset({"face"}),
        leave=(LocalInterval(datetime(2027, 3, 22, 9), datetime(2027, 3, 22, 16, 30)),),
    )
    slots = free_slots(make_query(practitioners=(ana,), granularity_minutes=30))
    assert local_times(slots) == ["16:30", "17:00", "17:30", "18:00"]


def test_whole_day_leave_and_date_range_leave_leave_nothing() -> None:
    practitioners = (
        Practitioner("day", frozenset({"face"}), leave=(MONDAY,)),
        Practitioner("run", frozenset({"face"}), leave=(DateRange(date(2027, 3, 20), MONDAY),)),
    )
    assert free_slots(make_query(practitioners=practitioners)) == []
    tuesday = date(2027, 3, 23)
    slots = free_slots(make_query(practitioners=practitioners, start=tuesday, end=tuesday))
    assert {s.practitioner_id for s in slots} == {"day", "run"}


def test_closures_close_a_day_or_part_of_it() -> None:
    closed = Clinic("Europe/Paris", closures=(MONDAY,))
    assert free_slots(make_query(clinic=closed)) == []
    partly = Clinic(
        "Europe/Paris",
        closures=(LocalInterval(datetime(2027, 3, 22, 12), datetime(2027, 3, 22, 15)),),
    )
    assert local_times(free_slots(make_query(clinic=partly))) == [
        "10:00",
        "11:00",
        "15:00",
        "16:00",
        "17:00",
        "18:00",
    ]


def test_a_practitioner_who_does_not_give_the_service_is_not_offered() -> None:
    practitioners = (
        Practitioner("ana", frozenset({"scalp"})),
        Practitioner("ben", frozenset({"face", "scalp"})),
    )
    slots = free_slots(make_query(practitioners=practitioners))
    assert {s.practitioner_id for s in slots} == {"ben"}
    assert len(slots) == 9


def test_it_can_ask_for_one_practitioner() -> None:
    practitioners = (
        Practitioner("ana", frozenset({"face"})),
        Practitioner("ben", frozenset({"face"})),
    )
    query = make_query(practitioners=practitioners, rooms=(Room("r1"), Room("r2")))
    assert len(free_slots(query)) == 18
    only_ben = free_slots(dataclasses.replace(query, practitioner_id="ben"))
    assert {s.practitioner_id for s in only_ben} == {"ben"}
    assert len(only_ben) == 9


def test_slots_are_sorted_by_start_then_by_the_order_practitioners_are_listed() -> None:
    practitioners = (
        Practitioner("zoe", frozenset({"face"})),
        Practitioner("ana", frozenset({"face"})),
    )
    slots = free_slots(make_query(practitioners=practitioners, rooms=(Room("r1"), Room("r2"))))
    assert [s.practitioner_id for s in slots[:4]] == ["zoe", "ana", "zoe", "ana"]
    assert starts(slots) == sorted(starts(slots))


# -- bookings, rooms and devices ---------------------------------------------------------------


def test_it_skips_the_time_a_practitioner_is_booked() -> None:
    booking = Booking(paris(2027, 3, 22, 11, 30), paris(2027, 3, 22, 13), "ana", None)
    slots = free_slots(make_query(bookings=(booking,), granularity_minutes=30))
    assert "10:30" in local_times(slots)
    assert [t for t in local_times(slots) if "10:30" < t < "13:00"] == []
    assert "13:00" in local_times(slots)


def test_back_to_back_bookings_are_allowed() -> None:
    booking = Booking(paris(2027, 3, 22, 10), paris(2027, 3, 22, 11), "ana", "r1")
    slots = free_slots(make_query(bookings=(booking,)))
    assert local_times(slots)[0] == "11:00"
    assert refusal_code(make_query(bookings=(booking,)), paris(2027, 3, 22, 11)) is None


def test_it_picks_the_first_free_room() -> None:
    booking = Booking(paris(2027, 3, 22, 10), paris(2027, 3, 22, 11), "ben", "r1")
    slots = free_slots(make_query(rooms=(Room("r1"), Room("r2")), bookings=(booking,)))
    assert [(f"{s.start.astimezone(PARIS):%H}", s.room_id) for s in slots[:2]] == [
        ("10", "r2"),
        ("11", "r1"),
    ]


def test_it_offers_nothing_when_every_room_is_taken() -> None:
    rooms = (
        Room("r1", busy=(Interval(paris(2027, 3, 22, 10), paris(2027, 3, 22, 19)),)),
        Room("r2"),
    )
    booking = Booking(paris(2027, 3, 22, 9), paris(2027, 3, 22, 20), "ben", "r2")
    assert free_slots(make_query(rooms=rooms, bookings=(booking,))) == []
    assert free_slots(make_query(rooms=())) == []


def test_a_service_without_a_room_takes_no_room() -> None:
    service = dataclasses.replace(HOUR_SERVICE, needs_room=False)
    slots = free_slots(make_query(service=service, rooms=()))
    assert len(slots) == 9
    assert {s.room_id for s in slots} == {None}


def test_it_takes_a_free_device_of_the_kind_the_service_needs() -> None:
    service = dataclasses.replace(HOUR_SERVICE, device_kind="microneedling")
    devices = (
        Device("jet", "needle_free"),
        Device(
            "pen1",
            "microneedling",
            busy=(Interval(paris(2027, 3, 22, 10), paris(2027, 3, 22, 12)),),
        ),
        Device("pen2", "microneedling"),
    )
    booking = Booking(paris(2027, 3, 22, 10), paris(2027, 3, 22, 11), "ben", None, "pen2")
    slots = free_slots(make_query(service=service, devices=devices, bookings=(booking,)))
    assert [(f"{s.start.astimezone(PARIS):%H:%M}", s.device_id) for s in slots[:3]] == [
        ("11:00", "pen2"),
        ("12:00", "pen1"),
        ("13:00", "pen1"),
    ]
    assert len(slots) == 8


def test_a_service_may_name_the_devices_it_can_use() -> None:
    service = dataclasses.replace(HOUR_SERVICE, device_ids=frozenset({"pen2"}))
    devices = (Device("pen1", "microneedling"), Device("pen2", "microneedling"))
    slots = free_slots(make_query(service=service, devices=devices))
    assert {s.device_id for s in slots} == {"pen2"}
    assert free_slots(make_query(service=service, devices=devices[:1])) == []


def test_a_booking_index_gives_the_same_slots_as_the_plain_bookings() -> None:
    bookings = (
        Booking(paris(2027, 3, 22, 11), paris(2027, 3, 22, 12), "ana", None),
        Booking(paris(2027, 3, 22, 14), paris(2027, 3, 22, 16), "ben", "r1"),
        Booking(paris(2027, 3, 25, 14), paris(2027, 3, 25, 16), "ana", "r1"),
    )
    query = make_query(bookings=bookings, end=date(2027, 3, 26), granularity_minutes=15)
    indexed = dataclasses.replace(query, bookings=BookingIndex.of(bookings))
    assert free_slots(indexed) == free_slots(query)
    # 33 quarter-hour starts a day; an hour's booking takes 7 of ana's, a
    # two-hour booking of the only room 11 of everyone's.
    assert len(free_slots(query)) == 5 * 33 - 7 - 11 - 11


def test_a_slot_finder_answers_like_free_slots_for_any_dates() -> None:
    bookings = (Booking(paris(2027, 3, 23, 11), paris(2027, 3, 23, 12), "ana", None),)
    query = make_query(bookings=bookings)
    find = slot_finder(query)
    first, last = date(2027, 3, 23), date(2027, 3, 25)
    assert find(first, last) == free_slots(dataclasses.replace(query, start=first, end=last))
    assert len(find(first, last)) == 26


# -- is_bookable -----------------------------------------------------------------------------


def refusal_code(query: AvailabilityQuery, start: datetime, **ids: Any) -> str | None:
    chosen = {"practitioner_id": "ana", "room_id": "r1", "device_id": None, **ids}
    refusal = is_bookable(query, start, **chosen)
    return None if refusal is None else refusal.code


def test_it_accepts_a_free_booking_even_off_the_slot_grid() -> None:
    assert refusal_code(make_query(), paris(2027, 3, 22, 10, 5)) is None


def test_it_refuses_a_sunday_booking() -> None:
    assert refusal_code(make_query(), paris(2027, 3, 28, 11)) == "closed_day"


def test_it_refuses_a_booking_on_a_closure() -> None:
    query = make_query(clinic=Clinic("Europe/Paris", closures=(MONDAY,)))
    assert refusal_code(query, paris(2027, 3, 22, 11)) == "closed_day"


def test_it_refuses_a_booking_that_runs_past_closing_time() -> None:
    assert refusal_code(make_query(), paris(2027, 3, 22, 18, 1)) == "outside_opening_hours"
    assert refusal_code(make_query(), paris(2027, 3, 22, 9, 59)) == "outside_opening_hours"


def test_it_refuses_a_booking_in_a_partial_closure() -> None:
    clinic = Clinic(
        "Europe/Paris",
        closures=(LocalInterval(datetime(2027, 3, 22, 12), datetime(2027, 3, 22, 15)),),
    )
    assert refusal_code(make_query(clinic=clinic), paris(2027, 3, 22, 11, 30)) == (
        "outside_opening_hours"
    )


def test_it_refuses_a_booking_outside_working_hours_or_in_a_break() -> None:
    ana = Practitioner(
        "ana",
        frozenset({"face"}),
        working_hours={0: ((time(10), time(14)),)},
        breaks={0: ((time(12), time(13)),)},
    )
    query = make_query(practitioners=(ana,))
    assert refusal_code(query, paris(2027, 3, 22, 14)) == "outside_working_hours"
    assert refusal_code(query, paris(2027, 3, 22, 11, 30)) == "outside_working_hours"
    assert refusal_code(query, paris(2027, 3, 22, 13)) is None


def test_it_refuses_a_booking_during_leave() -> None:
    ana = Practitioner("ana", frozenset({"face"}), leave=(MONDAY,))
    assert refusal_code(make_query(practitioners=(ana,)), paris(2027, 3, 22, 11)) == "on_leave"


def test_it_refuses_a_service_the_practitioner_does_not_give() -> None:
    ana = Practitioner("ana", frozenset({"scalp"}))
    query = make_query(practitioners=(ana,))
    assert refusal_code(query, paris(2027, 3, 22, 11)) == "service_not_given"


def test_it_refuses_an_overlap_with_the_practitioner_the_room_or_the_device() -> None:
    service = dataclasses.replace(HOUR_SERVICE, device_kind="pen")
    bookings = (
        Booking(paris(2027, 3, 22, 10), paris(2027, 3, 22, 11), "ana", None),
        Booking(paris(2027, 3, 22, 12), paris(2027, 3, 22, 13), "ben", "r1"),
        Booking(paris(2027, 3, 22, 14), paris(2027, 3, 22, 15), "ben", None, "p1"),
    )
    query = make_query(
        service=service,
        devices=(Device("p1", "pen"),),
        practitioners=(Practitioner("ana", frozenset({"face"})),),
        bookings=bookings,
    )
    assert refusal_code(query, paris(2027, 3, 22, 10, 59), device_id="p1") == "practitioner_busy"
    assert refusal_code(query, paris(2027, 3, 22, 11, 1), device_id="p1") == "room_busy"
    assert refusal_code(query, paris(2027, 3, 22, 13, 30), device_id="p1") == "device_busy"
    assert refusal_code(query, paris(2027, 3, 22, 15), device_id="p1") is None


def test_it_refuses_a_booking_that_starts_in_the_past() -> None:
    query = make_query(now=paris(2027, 3, 22, 12))
    assert refusal_code(query, paris(2027, 3, 22, 11, 59)) == "in_the_past"
    assert refusal_code(query, paris(2027, 3, 22, 12)) is None


def test_it_refuses_unknown_or_missing_resources() -> None:
    query = make_query(devices=(Device("jet", "needle_free"),))
    assert refusal_code(query, paris(2027, 3, 22, 11), practitioner_id="zed") == (
        "unknown_practitioner"
    )
    assert refusal_code(query, paris(2027, 3, 22, 11), room_id="r9") == "unknown_room"
    assert refusal_code(query, paris(2027, 3, 22, 11), device_id="d9") == "unknown_device"
    assert refusal_code(query, paris(2027, 3, 22, 11), room_id=None) == "room_required"
    pen = make_query(
        service=dataclasses.replace(HOUR_SERVICE, device_kind="pen"),
        devices=(Device("jet", "needle_free"),),
    )
    assert refusal_code(pen, paris(2027, 3, 22, 11)) == "device_required"
    assert refusal_code(pen, paris(2027, 3, 22, 11), device_id="jet") == "unsuitable_device"


def test_a_refusal_says_when_in_the_clinics_time() -> None:
    refusal = is_bookable(make_query(), paris(2027, 3, 28, 11), "ana", "r1", None)
    assert refusal is not None
    assert refusal.message == "The clinic is closed on Sunday 2027-03-28."
    busy = make_query(bookings=(Booking(paris(2027, 3, 22, 11), paris(2027, 3, 22, 12), "ana"),))
    refusal = is_bookable(busy, paris(2027, 3, 22, 11), "ana", "r1", None)
    assert refusal is not None
    assert refusal.message == (
        "Practitioner 'ana' is already booked at 2027-03-22 11:00 (Europe/Paris)."
    )


# -- bad input ---------------------------------------------------------------------------------


def test_it_refuses_naive_instants() -> None:
    with pytest.raises(ValueError, match="naive"):
        free_slots(make_query(now=datetime(2027, 1, 1)))
    with pytest.raises(ValueError, match="naive"):
        is_bookable(make_query(), datetime(2027, 3, 22, 11), "ana", "r1", None)


def test_it_refuses_hours_that_end_before_they_start() -> None:
    clinic = Clinic("Europe/Paris", opening_hours={0: ((time(19), time(10)),)})
    with pytest.raises(ValueError, match="ends before it starts"):
        free_slots(make_query(clinic=clinic))


def test_it_refuses_a_service_of_no_length_or_a_zero_granularity() -> None:
    with pytest.raises(ValueError, match="total > 0"):
        free_slots(make_query(service=Service("face", 0, 0)))
    with pytest.raises(ValueError, match="granularity"):
        free_slots(make_query(granularity_minutes=0))


def test_the_default_hours_are_monday_to_saturday_ten_to_seven() -> None:
    assert default_opening_hours() == {d: ((time(10), time(19)),) for d in range(6)}
