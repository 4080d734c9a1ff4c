"""Properties of core.availability, on random clinics.

The clinics are random in the places that break schedulers: zones with
half- and quarter-hour offsets and 30-minute DST (Lord Howe), dates on and
around the clock changes, hours that run to midnight, touching and
overlapping intervals, leave, closures, buffers, rooms and devices with
their own busy time, and bookings that overlap each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.availability import (
    AvailabilityQuery,
    Booking,
    Clinic,
    DateRange,
    Device,
    Interval,
    LocalInterval,
    Practitioner,
    ResourceId,
    Room,
    Service,
    WeeklyHours,
    free_slots,
    is_bookable,
)

# Each zone with a day on which its clocks change, so that the searched
# dates land on or next to one.
ZONES = {
    "Europe/Paris": [date(2027, 3, 28), date(2027, 10, 31)],
    "America/New_York": [date(2027, 3, 14), date(2027, 11, 7)],
    "Australia/Lord_Howe": [date(2027, 4, 4), date(2027, 10, 3)],
    "Asia/Kolkata": [date(2027, 3, 28)],
    "Asia/Kathmandu": [date(2027, 6, 1)],
}
QUARTER = timedelta(minutes=15)
PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def quarter_time(quarters: int) -> time:
    return time(quarters // 4, 15 * (quarters % 4))


@st.composite
def intervals(draw: st.DrawFn, daytime: bool) -> tuple[time, time]:
    """Daytime hours stay between 06:00 and 22:00, clear of every clock
    change; otherwise anything, midnight to midnight included."""
    if daytime:
        start = draw(st.integers(24, 84))
        end = draw(st.integers(start + 1, 88))
    else:
        start = draw(st.integers(0, 95))
        end = draw(st.integers(start + 1, 96))
    return quarter_time(start), time(0) if end == 96 else quarter_time(end)


@st.composite
def weekly(draw: st.DrawFn, daytime: bool, most: int) -> WeeklyHours:
    """Most weekdays get some hours; a few get none (closed, or not working)."""
    return {
        weekday: draw(st.lists(intervals(daytime), min_size=1, max_size=most))
        for weekday in range(7)
        if draw(st.integers(0, 3))
    }


@dataclass(frozen=True)
class Scenario:
    query: AvailabilityQuery
    tz: ZoneInfo
    days: list[date]
    bookings: tuple[Booking, ...]


@st.composite
def scenarios(draw: st.DrawFn, daytime: bool = False, granularity: int | None = None) -> Scenario:
    zone = draw(st.sampled_from(sorted(ZONES)))
    tz = ZoneInfo(zone)
    first = draw(st.sampled_from(ZONES[zone])) + timedelta(days=draw(st.integers(-2, 1)))
    days = [first + timedelta(days=n) for n in range(draw(st.integers(1, 2)))]
    base = datetime.combine(first, time(0), tz).astimezone(UTC)

    def instant(low: int = -24, high: int = 24 * 4 * len(days) + 24) -> datetime:
        return base + draw(st.integers(low, high)) * QUARTER

    def local_span() -> LocalInterval:
        start = datetime.combine(first, time(0)) + draw(st.integers(0, 4 * 24 * 3)) * QUARTER
        return LocalInterval(start, start + draw(st.integers(1, 4 * 30)) * QUARTER)

    def days_off() -> tuple[date | DateRange | LocalInterval, ...]:
        day = first + timedelta(days=draw(st.integers(-1, 2)))
        options = st.sampled_from(["date", "range", "span"])
        chosen = draw(st.lists(options, max_size=2))
        return tuple(
            day
            if kind == "date"
            else DateRange(day, day + timedelta(days=1))
            if kind == "range"
            else local_span()
            for kind in chosen
        )

    opening = draw(
        st.one_of(
            st.just({d: ((time(0), time(0)),) for d in range(7)}) if not daytime else st.nothing(),
            weekly(daytime, 2),
            st.just({d: ((time(10), time(19)),) for d in range(7)}),
        )
    )
    clinic = Clinic(zone, opening, days_off() if draw(st.booleans()) else ())

    practitioners = []
    for n in range(draw(st.integers(1, 3))):
        practitioners.append(
            Practitioner(
                id=f"p{n}",
                services=frozenset(
                    draw(st.sampled_from([{"face"}, {"face", "scalp"}, {"scalp"}, {"face"}]))
                ),
                working_hours=draw(st.none() | weekly(daytime, 2)),
                breaks=draw(weekly(daytime, 1)) if draw(st.booleans()) else {},
                leave=days_off() if draw(st.booleans()) else (),
            )
        )

    def busy() -> tuple[Interval, ...]:
        spans = []
        for _ in range(draw(st.integers(0, 2))):
            start = instant()
            spans.append(Interval(start, start + draw(st.integers(1, 12)) * QUARTER))
        return tuple(spans)

    rooms = tuple(Room(f"r{n}", busy()) for n in range(draw(st.sampled_from([0, 1, 2, 2]))))
    devices = tuple(
        Device(f"d{n}", draw(st.sampled_from(["pen", "jet"])), busy())
        for n in range(draw(st.integers(0, 2)))
    )
    resource: st.SearchStrategy[ResourceId | None]
    bookings = []
    for _ in range(draw(st.integers(0, 10))):
        start = instant()
        resource = st.none() | st.sampled_from([p.id for p in practitioners])
        room = st.none() | st.sampled_from([r.id for r in rooms]) if rooms else st.none()
        device = st.none() | st.sampled_from([d.id for d in devices]) if devices else st.none()
        bookings.append(
            Booking(
                start,
                start + draw(st.integers(1, 12)) * QUARTER,
                draw(resource),
                draw(room),
                draw(device),
            )
        )

    five = st.integers(0, 6).map(lambda n: 5 * n)
    service = Service(
        "face",
        numbing_minutes=draw(five),
        procedure_minutes=draw(st.integers(1, 12).map(lambda n: 5 * n)),
        cleanup_minutes=draw(five),
        buffer_before_minutes=draw(five),
        buffer_after_minutes=draw(five),
        needs_room=draw(st.booleans()),
        device_kind=draw(st.sampled_from([None, None, "pen", "jet"])),
    )
    query = AvailabilityQuery(
        clinic=clinic,
        practitioners=tuple(practitioners),
        rooms=rooms,
        devices=devices,
        bookings=tuple(bookings),
        service=service,
        start=days[0],
        end=days[-1],
        now=instant(low=-24 * 4 * 2),  # mostly before the searched days, sometimes in them
        granularity_minutes=granularity or draw(st.sampled_from([15, 30, 60])),
    )
    return Scenario(query, tz, days, tuple(bookings))


def blocked(query: AvailabilityQuery, start: datetime) -> tuple[datetime, datetime]:
    service = query.service
    begin = start - timedelta(minutes=service.buffer_before_minutes)
    end = start + service.duration + timedelta(minutes=service.buffer_after_minutes)
    return begin, end


def overlaps(a: tuple[datetime, datetime], b: tuple[datetime, datetime]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


@PROPERTY_SETTINGS
@given(scenarios())
def test_offered_slots_never_overlap_a_busy_practitioner_room_or_device(s: Scenario) -> None:
    query = s.query
    rooms = {r.id: r for r in query.rooms}
    devices = {d.id: d for d in query.devices}
    for slot in free_slots(query):
        span = blocked(query, slot.start)
        assert slot.end == slot.start + query.service.duration
        assert span[0] >= query.now
        for b in s.bookings:
            if overlaps(span, (b.start, b.end)):
                assert b.practitioner_id != slot.practitioner_id
                assert slot.room_id is None or b.room_id != slot.room_id
                assert slot.device_id is None or b.device_id != slot.device_id
        assert (slot.room_id is not None) == query.service.needs_room
        if slot.room_id is not None:
            assert not any(overlaps(span, (i.start, i.end)) for i in rooms[slot.room_id].busy)
        assert (slot.device_id is not None) == query.service.needs_device
        if slot.device_id is not None:
            device = devices[slot.device_id]
            assert device.kind == query.service.device_kind
            assert not any(overlaps(span, (i.start, i.end)) for i in device.busy)


def minute(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def within(hours: WeeklyHours, day: date, begin: int, end: int) -> bool:
    """Wall-clock containment in minutes of ``day`` (an end at the next
    midnight is 1440), intervals that touch or overlap taken as one: exact
    for daytime hours, which no clock change touches."""
    merged: list[list[int]] = []
    for opens, closes in sorted(hours.get(day.weekday(), ())):
        span = [minute(opens), minute(closes) or 1440]
        if merged and span[0] <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], span[1])
        else:
            merged.append(span)
    return any(opens <= begin and end <= closes for opens, closes in merged)


@PROPERTY_SETTINGS
@given(scenarios(daytime=True))
def test_offered_slots_lie_within_opening_and_working_hours_on_open_days(s: Scenario) -> None:
    query = s.query
    practitioners = {p.id: p for p in query.practitioners}
    for slot in free_slots(query):
        begin, end = (moment.astimezone(s.tz) for moment in blocked(query, slot.start))
        day = begin.date()
        assert day in s.days
        begin_minute = minute(begin.time())
        end_minute = minute(end.time()) + 1440 * (end.date() - day).days
        assert within(query.clinic.opening_hours, day, begin_minute, end_minute)
        practitioner = practitioners[slot.practitioner_id]
        assert query.service.key in practitioner.services
        hours = (
            query.clinic.opening_hours
            if practitioner.working_hours is None
            else practitioner.working_hours
        )
        assert within(hours, day, begin_minute, end_minute)
        for opens, closes in practitioner.breaks.get(day.weekday(), ()):
            assert end_minute <= minute(opens) or begin_minute >= (minute(closes) or 1440)
        for off in (*query.clinic.closures, *practitioner.leave):
            if isinstance(off, DateRange):
                assert not off.first <= day <= off.last
            elif isinstance(off, LocalInterval):
                local = (begin.replace(tzinfo=None), end.replace(tzinfo=None))
                assert not overlaps(local, (off.start, off.end))
            else:
                assert off != day


@PROPERTY_SETTINGS
@given(scenarios())
def test_is_bookable_accepts_every_offered_slot(s: Scenario) -> None:
    query = s.query
    for slot in free_slots(query):
        refusal = is_bookable(query, slot.start, slot.practitioner_id, slot.room_id, slot.device_id)
        assert refusal is None, (slot, refusal)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(granularity=15))
def test_free_slots_offers_every_start_that_is_bookable(s: Scenario) -> None:
    """The converse: at every quarter hour of the searched days (the grid,
    since every zone here is a whole number of quarter hours from UTC and
    all hours start on a quarter), a practitioner is offered exactly when
    some room and device make the booking acceptable."""
    query = s.query
    offered = {(slot.start, slot.practitioner_id) for slot in free_slots(query)}
    service = query.service
    rooms: list[ResourceId | None] = [r.id for r in query.rooms] if service.needs_room else [None]
    devices: list[ResourceId | None] = (
        [d.id for d in query.devices if service.accepts_device(d)]
        if service.needs_device
        else [None]
    )
    start = datetime.combine(s.days[0], time(0), s.tz).astimezone(UTC) - timedelta(hours=2)
    end = datetime.combine(s.days[-1] + timedelta(days=1), time(0), s.tz) + timedelta(hours=2)
    moment = start
    while moment < end:
        if moment.astimezone(s.tz).date() in s.days:
            for practitioner in query.practitioners:
                bookable = any(
                    is_bookable(query, moment, practitioner.id, room, device) is None
                    for room in rooms
                    for device in devices
                )
                assert bookable == ((moment, practitioner.id) in offered), (moment, practitioner)
        moment += QUARTER


@PROPERTY_SETTINGS
@given(scenarios(), st.data())
def test_is_bookable_refuses_any_overlap_with_a_booking_of_the_same_resource(
    s: Scenario, data: st.DataObject
) -> None:
    query = s.query
    bookings = list(s.bookings)
    if not bookings:
        return
    booking = data.draw(st.sampled_from(bookings))
    service = query.service
    before = timedelta(minutes=service.buffer_before_minutes)
    after = timedelta(minutes=service.buffer_after_minutes)
    # Every start whose blocked span overlaps the booking, to the minute.
    lowest = booking.start - service.duration - after + before + timedelta(minutes=1)
    highest = booking.end + before - timedelta(minutes=1)
    minutes = int((highest - lowest) / timedelta(minutes=1))
    start = lowest + timedelta(minutes=data.draw(st.integers(0, max(0, minutes))))
    assert overlaps(blocked(query, start), (booking.start, booking.end))

    practitioner = data.draw(st.sampled_from(query.practitioners))
    rooms: list[ResourceId | None] = [r.id for r in query.rooms] or [None]
    devices: list[ResourceId | None] = [d.id for d in query.devices] or [None]
    room = data.draw(st.sampled_from(rooms))
    device = data.draw(st.sampled_from(devices))
    if booking.practitioner_id is not None:
        assert is_bookable(query, start, booking.practitioner_id, room, device) is not None
    if booking.room_id is not None:
        assert is_bookable(query, start, practitioner.id, booking.room_id, device) is not None
    if booking.device_id is not None:
        assert is_bookable(query, start, practitioner.id, room, booking.device_id) is not None
