"""Free slots for a service, and the rules a booking must meet.

``free_slots`` lists the start times at which a practitioner, a room and a
device are all free for a service; ``is_bookable`` checks one proposed
booking against the same rules and says why it is refused. Both are built
from the same day spans and the same busy lists, so every slot
``free_slots`` offers is accepted by ``is_bookable`` (a property test holds
them to it).

Time. Instants are aware datetimes (any zone; slots come back in UTC).
Opening hours, working hours, breaks, closures and leave are wall-clock
times in the clinic's zone: they are laid out on each local date and only
then converted, so a clinic that opens 10:00-19:00 opens 10:00-19:00 local
on both sides of a daylight-saving change (08:00-17:00 UTC in Paris summer,
09:00-18:00 UTC in winter).

The DST rule, for wall-clock times that do not map to exactly one instant:

- A time that does not exist (skipped when the clocks go forward) means the
  moment the clocks jump: 02:30 on the spring-forward night in Paris is
  03:00 CEST. A span that lies wholly in the gap is empty.
- A time that happens twice (when the clocks go back) means its first
  occurrence: 02:30 on the fall-back night in Paris is 02:30 CEST.
- Slot starts are wall-clock times: a nonexistent one is never offered, and
  one that happens twice is offered twice (two different instants).

This mapping from wall-clock to UTC never goes backwards, so a span never
turns inside out.

Rules a booking must meet. The span it blocks is its start minus the
service's buffer before, to its end plus the buffer after. That whole span
must lie inside one opening interval of the clinic and one working interval
of the practitioner on the local date it starts, miss every closure, break
and leave, start no earlier than ``now``, and miss every busy interval of the
practitioner, the room and the device. A booking lies within one local day.
Intervals are half-open: a booking may start when another ends.

Performance. Busy intervals are grouped per resource, sorted and merged
once (``BookingIndex``); each practitioner-day then costs a few bisects and
a walk over that day's bookings only. Pass a ``BookingIndex`` as
``bookings`` to pay the grouping once across many queries; with a plain
sequence of bookings each call scans it once, keeping only the bookings
that touch the searched dates.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from operator import itemgetter
from typing import Literal, NamedTuple
from zoneinfo import ZoneInfo

type ResourceId = int | str
type WeeklyHours = Mapping[int, Sequence[tuple[time, time]]]
"""Wall-clock intervals per weekday, Monday = 0. A missing or empty weekday
is closed. An end of ``time(0)`` means midnight at the end of the day."""


def default_opening_hours() -> dict[int, tuple[tuple[time, time], ...]]:
    """Monday to Saturday 10:00-19:00, Sunday closed."""
    return {weekday: ((time(10), time(19)),) for weekday in range(6)}


@dataclass(frozen=True, slots=True)
class Interval:
    """A span between two instants (aware datetimes), end excluded."""

    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class LocalInterval:
    """A span of wall-clock time in the clinic's zone (naive datetimes), end
    excluded; it may cover several days."""

    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class DateRange:
    """Whole local days, ``last`` included."""

    first: date
    last: date


type DayOff = date | DateRange | LocalInterval
"""A closure or a leave: a whole local day, a run of days, or a wall-clock span."""


@dataclass(frozen=True)
class Clinic:
    time_zone: str  # IANA name, e.g. "Europe/Paris"
    opening_hours: WeeklyHours = field(default_factory=default_opening_hours)
    closures: tuple[DayOff, ...] = ()


@dataclass(frozen=True)
class Practitioner:
    """``working_hours`` None means the clinic's opening hours; ``breaks``
    recur every week (lunch); one-off absences go in ``leave``."""

    id: ResourceId
    services: frozenset[str]
    working_hours: WeeklyHours | None = None
    breaks: WeeklyHours = field(default_factory=dict)
    leave: tuple[DayOff, ...] = ()


@dataclass(frozen=True)
class Room:
    id: ResourceId
    busy: tuple[Interval, ...] = ()  # maintenance, cleaning: anything but bookings


@dataclass(frozen=True)
class Device:
    id: ResourceId
    kind: str
    busy: tuple[Interval, ...] = ()


@dataclass(frozen=True, slots=True)
class Booking:
    """An existing booking. ``start``/``end`` are what it blocks, its own
    buffers included."""

    start: datetime
    end: datetime
    practitioner_id: ResourceId | None
    room_id: ResourceId | None = None
    device_id: ResourceId | None = None


@dataclass(frozen=True)
class Service:
    """What is booked. The session runs numbing + procedure + clean-up; the
    buffers keep the practitioner, room and device free before and after.

    A device is needed when ``device_kind`` or ``device_ids`` is given; any
    device matching both (an empty ``device_ids`` matches every id) will do.
    """

    key: str
    numbing_minutes: int
    procedure_minutes: int
    cleanup_minutes: int = 0
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    needs_room: bool = True
    device_kind: str | None = None
    device_ids: frozenset[ResourceId] = frozenset()

    @property
    def duration(self) -> timedelta:
        return timedelta(
            minutes=self.numbing_minutes + self.procedure_minutes + self.cleanup_minutes
        )

    @property
    def needs_device(self) -> bool:
        return self.device_kind is not None or bool(self.device_ids)

    def accepts_device(self, device: Device) -> bool:
        if self.device_kind is not None and device.kind != self.device_kind:
            return False
        return not self.device_ids or device.id in self.device_ids


@dataclass(frozen=True)
class AvailabilityQuery:
    """Where to look for slots, and everything that decides them.

    ``start``/``end``: a ``date`` is a local date, both ends included; a
    ``datetime`` is an aware instant, slot starts from ``start`` included to
    ``end`` excluded. The two may be mixed. ``now`` is the caller's clock:
    nothing in the past is offered or accepted. ``granularity_minutes``
    spaces slot starts in wall-clock time from each opening of the clinic.
    ``practitioner_id`` None means any practitioner who gives the service.
    """

    clinic: Clinic
    practitioners: tuple[Practitioner, ...]
    rooms: tuple[Room, ...]
    devices: tuple[Device, ...]
    bookings: Sequence[Booking] | BookingIndex
    service: Service
    start: date | datetime
    end: date | datetime
    now: datetime
    granularity_minutes: int = 15
    practitioner_id: ResourceId | None = None


@dataclass(frozen=True, slots=True)
class Slot:
    """A free start. ``end`` is the end of clean-up, buffers excluded; room
    and device are None when the service needs none."""

    start: datetime  # UTC
    end: datetime  # UTC
    practitioner_id: ResourceId
    room_id: ResourceId | None
    device_id: ResourceId | None


RefusalCode = Literal[
    "unknown_practitioner",
    "unknown_room",
    "unknown_device",
    "service_not_given",
    "room_required",
    "device_required",
    "unsuitable_device",
    "in_the_past",
    "closed_day",
    "outside_opening_hours",
    "on_leave",
    "outside_working_hours",
    "practitioner_busy",
    "room_busy",
    "device_busy",
]


@dataclass(frozen=True)
class Refusal:
    code: RefusalCode
    message: str


# Internally, instants are whole microseconds since the epoch: exact, and
# an int compares an order of magnitude faster than an aware datetime.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)
_MINUTE = 60_000_000
_DAY = timedelta(days=1)

type _Spans = list[tuple[int, int]]  # half-open, sorted, disjoint, never touching
type _Ranges = list[tuple[int, int]]  # closed ranges of valid start instants


def _us(moment: datetime) -> int:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment!r} is naive; instants must be aware datetimes")
    return (moment - _EPOCH) // _MICRO


def _instant(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


class _Busy(NamedTuple):
    starts: list[int]
    ends: list[int]


_NOT_BUSY = _Busy([], [])


def _merge(spans: Iterable[tuple[int, int]]) -> _Spans:
    merged: _Spans = []
    for start, end in sorted(spans):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _busy(spans: Iterable[tuple[int, int]]) -> _Busy:
    merged = _merge(spans)
    return _Busy([s for s, _ in merged], [e for _, e in merged])


def _overlaps(busy: _Busy, start: int, end: int) -> bool:
    i = bisect_right(busy.ends, start)  # the first busy span ending after start
    return i < len(busy.starts) and busy.starts[i] < end


def _inside(spans: _Spans, start: int, end: int) -> bool:
    i = bisect_right(spans, start, key=itemgetter(0)) - 1
    return i >= 0 and spans[i][1] >= end


def _intersect(a: _Spans, b: _Spans) -> _Spans:
    out: _Spans = []
    i = j = 0
    while i < len(a) and j < len(b):
        start = max(a[i][0], b[j][0])
        end = min(a[i][1], b[j][1])
        if start < end:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def _subtract(spans: _Spans, busy: _Busy) -> _Spans:
    starts, ends = busy
    if not starts:
        return spans
    out: _Spans = []
    n = len(starts)
    for start, end in spans:
        i = bisect_right(ends, start)
        cursor = start
        while i < n and starts[i] < end:
            if starts[i] > cursor:
                out.append((cursor, starts[i]))
            cursor = max(cursor, ends[i])
            i += 1
        if cursor < end:
            out.append((cursor, end))
    return out


def _valid_starts(free: _Spans, before: int, length: int) -> _Ranges:
    """The starts whose whole blocked span (``before`` ahead of the start,
    ``length`` long) fits in one free span."""
    return [(s + before, e - length + before) for s, e in free if e - s >= length]


def _union(ranges: Iterable[tuple[int, int]]) -> _Ranges:
    out: _Ranges = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1]:
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def _intersect_ranges(a: _Ranges, b: _Ranges) -> _Ranges:
    out: _Ranges = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo = max(a[i][0], b[j][0])
        hi = min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def _in_ranges(los: list[int], ranges: _Ranges, at: int) -> bool:
    i = bisect_right(los, at) - 1
    return i >= 0 and ranges[i][1] >= at


class BookingIndex:
    """Existing bookings grouped per practitioner, room and device, each
    group sorted and merged for bisect. Build it once with ``of`` and pass it
    as ``AvailabilityQuery.bookings`` to share the cost between queries."""

    __slots__ = ("devices", "practitioners", "rooms")

    def __init__(
        self,
        practitioners: Mapping[ResourceId, _Busy],
        rooms: Mapping[ResourceId, _Busy],
        devices: Mapping[ResourceId, _Busy],
    ) -> None:
        self.practitioners = practitioners
        self.rooms = rooms
        self.devices = devices

    @classmethod
    def of(cls, bookings: Iterable[Booking]) -> BookingIndex:
        return _index(bookings, None, None)


def _index(bookings: Iterable[Booking], lo: datetime | None, hi: datetime | None) -> BookingIndex:
    """Only bookings that overlap [lo, hi) are kept when the bounds are given:
    comparing datetimes is cheaper than converting bookings we then drop."""
    by_practitioner: dict[ResourceId, list[tuple[int, int]]] = {}
    by_room: dict[ResourceId, list[tuple[int, int]]] = {}
    by_device: dict[ResourceId, list[tuple[int, int]]] = {}
    for booking in bookings:
        if lo is not None and hi is not None and (booking.end <= lo or booking.start >= hi):
            continue
        span = (_us(booking.start), _us(booking.end))
        if span[1] <= span[0]:
            continue
        if booking.practitioner_id is not None:
            by_practitioner.setdefault(booking.practitioner_id, []).append(span)
        if booking.room_id is not None:
            by_room.setdefault(booking.room_id, []).append(span)
        if booking.device_id is not None:
            by_device.setdefault(booking.device_id, []).append(span)
    return BookingIndex(
        {k: _busy(v) for k, v in by_practitioner.items()},
        {k: _busy(v) for k, v in by_room.items()},
        {k: _busy(v) for k, v in by_device.items()},
    )


# -- wall-clock time -------------------------------------------------------------------------


def _wall(tz: tzinfo, us: int) -> datetime:
    return _instant(us).astimezone(tz).replace(tzinfo=None)


def _wall_to_us(tz: tzinfo, naive: datetime) -> int:
    """The instant a wall-clock time means, by the module's DST rule."""
    first = (naive.replace(tzinfo=tz, fold=0) - _EPOCH) // _MICRO
    if _wall(tz, first) == naive:
        return first  # fold=0 is the first occurrence of a repeated time
    # Skipped by a forward jump: find the jump, the first instant whose wall
    # clock reads later than ``naive``. The two folds bracket it.
    other = (naive.replace(tzinfo=tz, fold=1) - _EPOCH) // _MICRO
    lo, hi = min(first, other), max(first, other)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _wall(tz, mid) > naive:
            hi = mid
        else:
            lo = mid
    return hi


# Per weekday: (start, end, whether the end is the midnight closing the day).
type _Weekly = tuple[tuple[tuple[time, time, bool], ...], ...]


def _weekly(hours: WeeklyHours, what: str) -> _Weekly:
    days: list[list[tuple[time, time, bool]]] = [[] for _ in range(7)]
    for weekday, intervals in hours.items():
        if weekday not in range(7):
            raise ValueError(f"{what}: weekday {weekday!r} is not 0 (Monday) to 6 (Sunday)")
        for start, end in intervals:
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError(f"{what}: {start}-{end} must be wall-clock (naive) times")
            to_midnight = end == time(0)
            if not to_midnight and end <= start:
                raise ValueError(f"{what}: {start}-{end} ends before it starts")
            days[weekday].append((start, end, to_midnight))
    return tuple(tuple(sorted(day)) for day in days)


class _DaysOff:
    def __init__(self, tz: tzinfo, offs: Iterable[DayOff], what: str) -> None:
        self.dates: set[date] = set()
        self.ranges: list[DateRange] = []
        spans: list[tuple[int, int]] = []
        for off in offs:
            if isinstance(off, LocalInterval):
                if off.start.tzinfo is not None or off.end.tzinfo is not None:
                    raise ValueError(f"{what}: {off} must be wall-clock (naive) datetimes")
                spans.append((_wall_to_us(tz, off.start), _wall_to_us(tz, off.end)))
            elif isinstance(off, DateRange):
                self.ranges.append(off)
            elif isinstance(off, datetime):
                raise ValueError(f"{what}: {off!r} is a datetime; use a date or a LocalInterval")
            else:
                self.dates.add(off)
        self.spans = _busy(spans)

    def covers(self, day: date) -> bool:
        return day in self.dates or any(r.first <= day <= r.last for r in self.ranges)


class _ClinicRules:
    """A clinic's hours and closures in microseconds, with per-date caches."""

    def __init__(self, clinic: Clinic) -> None:
        self.tz = ZoneInfo(clinic.time_zone)
        self.hours = _weekly(clinic.opening_hours, "opening_hours")
        self.closures = _DaysOff(self.tz, clinic.closures, "closures")
        self._wall_cache: dict[datetime, int] = {}
        self._raw: dict[date, _Spans] = {}
        self._open: dict[date, _Spans] = {}

    def to_us(self, naive: datetime) -> int:
        us = self._wall_cache.get(naive)
        if us is None:
            us = self._wall_cache[naive] = _wall_to_us(self.tz, naive)
        return us

    def day_spans(self, weekly: _Weekly, day: date) -> _Spans:
        spans = []
        for start, end, to_midnight in weekly[day.weekday()]:
            end_day = day + _DAY if to_midnight else day
            spans.append(
                (
                    self.to_us(datetime.combine(day, start)),
                    self.to_us(datetime.combine(end_day, end)),
                )
            )
        return _merge(spans)

    def raw_open(self, day: date) -> _Spans:
        """Opening hours of that date, closures not applied."""
        spans = self._raw.get(day)
        if spans is None:
            spans = self._raw[day] = self.day_spans(self.hours, day)
        return spans

    def open(self, day: date) -> _Spans:
        spans = self._open.get(day)
        if spans is None:
            if self.closures.covers(day):
                spans = []
            else:
                spans = _subtract(self.raw_open(day), self.closures.spans)
            self._open[day] = spans
        return spans

    def local_date(self, us: int) -> date:
        return _instant(us).astimezone(self.tz).date()

    def grid(self, day: date, step_minutes: int) -> list[int]:
        """Slot starts of that date: every ``step_minutes`` of wall-clock time
        from each opening, as instants, sorted."""
        step = timedelta(minutes=step_minutes)
        points: set[int] = set()
        for start, end, to_midnight in self.hours[day.weekday()]:
            first = datetime.combine(day, start)
            stop = datetime.combine(day + _DAY if to_midnight else day, end)
            count = -((first - stop) // step)  # ceil: wall-clock points before stop
            last = first + (count - 1) * step
            if (
                self._steady(first)
                and self._steady(last)
                and self._offset(first) == self._offset(last)
            ):
                # No clock change between the two: wall-clock steps are real steps.
                base = self.to_us(first)
                points.update(base + k * step_minutes * _MINUTE for k in range(count))
                continue
            for k in range(count):
                points.update(self._occurrences(first + k * step))
        return sorted(points)

    def _offset(self, naive: datetime) -> timedelta | None:
        return self.tz.utcoffset(naive)

    def _steady(self, naive: datetime) -> bool:
        """Neither skipped nor repeated."""
        return self.tz.utcoffset(naive.replace(fold=1)) == self.tz.utcoffset(naive)

    def _occurrences(self, naive: datetime) -> list[int]:
        found = []
        for fold in (0, 1):
            us = (naive.replace(tzinfo=self.tz, fold=fold) - _EPOCH) // _MICRO
            if _wall(self.tz, us) == naive and us not in found:
                found.append(us)
        return found


def is_open_day(clinic: Clinic, day: date) -> bool:
    """Whether the clinic opens at all on that local date (closures applied)."""
    return bool(_ClinicRules(clinic).open(day))


class _PractitionerRules:
    def __init__(self, clinic: _ClinicRules, practitioner: Practitioner) -> None:
        what = f"practitioner {practitioner.id!r}"
        self.hours = (
            clinic.hours
            if practitioner.working_hours is None
            else _weekly(practitioner.working_hours, f"{what} working_hours")
        )
        self.breaks = _weekly(practitioner.breaks, f"{what} breaks")
        self.leave = _DaysOff(clinic.tz, practitioner.leave, f"{what} leave")


# -- the query ---------------------------------------------------------------------------------


class _Query:
    """A query's rules in microseconds."""

    def __init__(self, query: AvailabilityQuery) -> None:
        service = query.service
        if query.granularity_minutes <= 0:
            raise ValueError("granularity_minutes must be positive")
        minutes = (
            service.numbing_minutes,
            service.procedure_minutes,
            service.cleanup_minutes,
            service.buffer_before_minutes,
            service.buffer_after_minutes,
        )
        if min(minutes) < 0 or service.duration <= timedelta(0):
            raise ValueError(f"service {service.key!r}: minutes must be >= 0 and the total > 0")
        self.query = query
        self.clinic = _ClinicRules(query.clinic)
        self.now = _us(query.now)
        self.duration = service.duration // _MICRO
        self.before = service.buffer_before_minutes * _MINUTE
        self.length = self.before + self.duration + service.buffer_after_minutes * _MINUTE
        self._practitioners: dict[ResourceId, _PractitionerRules] = {}
        self.room_busy = {room.id: _busy_of(room.busy) for room in query.rooms}
        self.device_busy = {device.id: _busy_of(device.busy) for device in query.devices}

    def practitioner(self, practitioner: Practitioner) -> _PractitionerRules:
        rules = self._practitioners.get(practitioner.id)
        if rules is None:
            rules = self._practitioners[practitioner.id] = _PractitionerRules(
                self.clinic, practitioner
            )
        return rules

    def working(self, practitioner: Practitioner, day: date) -> _Spans:
        """Where the practitioner can work that date: inside both hours,
        outside closures, breaks and leave. Bookings not applied."""
        rules = self.practitioner(practitioner)
        if rules.leave.covers(day):
            return []
        open_ = self.clinic.open(day)
        if not open_:
            return []
        spans = _intersect(self.clinic.day_spans(rules.hours, day), open_)
        spans = _subtract(spans, _busy(self.clinic.day_spans(rules.breaks, day)))
        return _subtract(spans, rules.leave.spans)


def _busy_of(intervals: Iterable[Interval]) -> _Busy:
    return _busy((_us(i.start), _us(i.end)) for i in intervals)


def _bounds(q: _Query) -> tuple[date, date, int | None, int | None]:
    """First and last local dates to look at, and the instant bounds."""
    query, clinic = q.query, q.clinic
    if isinstance(query.start, datetime):
        start_us: int | None = _us(query.start)
        first = clinic.local_date(_us(query.start))
    else:
        start_us, first = None, query.start
    if isinstance(query.end, datetime):
        end_us: int | None = _us(query.end)
        last = clinic.local_date(_us(query.end))
    else:
        end_us, last = None, query.end
    return first, last, start_us, end_us


def free_slots(query: AvailabilityQuery) -> list[Slot]:
    """Every free start in the search range, sorted by start then by the
    order of ``query.practitioners``; one slot per practitioner per start,
    with the first free room and device in the order the query lists them.

    Empty when no practitioner gives the service, or it needs a room or a
    device the clinic lacks. Raises ValueError for naive instants or
    malformed hours.
    """
    q = _Query(query)
    service = query.service
    first, last, start_us, end_us = _bounds(q)
    if first > last:
        return []
    practitioners = [
        p
        for p in query.practitioners
        if service.key in p.services
        and (query.practitioner_id is None or p.id == query.practitioner_id)
    ]
    rooms = query.rooms if service.needs_room else ()
    devices = tuple(d for d in query.devices if service.accepts_device(d))
    if not service.needs_device:
        devices = ()
    if (
        not practitioners
        or (service.needs_room and not rooms)
        or (service.needs_device and not devices)
    ):
        return []

    if isinstance(query.bookings, BookingIndex):
        index = query.bookings
    else:
        tz = q.clinic.tz
        # Two days either side: more than any clock change can shift a local day.
        # In UTC because aware datetimes sharing a tzinfo compare forty times
        # faster than across zones, and bookings come in UTC.
        around = (
            datetime.combine(first - 2 * _DAY, time(0), tz).astimezone(UTC),
            datetime.combine(last + 3 * _DAY, time(0), tz).astimezone(UTC),
        )
        index = _index(query.bookings, *around)

    before, length, duration = q.before, q.length, q.duration
    earliest = q.now + before  # the span, buffer included, must not start in the past
    if start_us is not None:
        earliest = max(earliest, start_us)
    latest = end_us - 1 if end_us is not None else None

    found: list[Slot] = []
    day = first
    while day <= last:
        open_ = q.clinic.open(day)
        if not open_:
            day += _DAY
            continue
        grid = q.clinic.grid(day, query.granularity_minutes)

        room_starts: list[tuple[ResourceId, list[int], _Ranges]] = []
        for room in rooms:
            free = _subtract(open_, index.rooms.get(room.id, _NOT_BUSY))
            ranges = _valid_starts(_subtract(free, q.room_busy[room.id]), before, length)
            if ranges:
                room_starts.append((room.id, [lo for lo, _ in ranges], ranges))
        device_starts: list[tuple[ResourceId, list[int], _Ranges]] = []
        for device in devices:
            free = _subtract(open_, index.devices.get(device.id, _NOT_BUSY))
            ranges = _valid_starts(_subtract(free, q.device_busy[device.id]), before, length)
            if ranges:
                device_starts.append((device.id, [lo for lo, _ in ranges], ranges))
        if (rooms and not room_starts) or (devices and not device_starts):
            day += _DAY
            continue
        any_room = _union(r for _, _, ranges in room_starts for r in ranges)
        any_device = _union(r for _, _, ranges in device_starts for r in ranges)

        today: list[tuple[int, int, ResourceId, ResourceId | None, ResourceId | None]] = []
        for order, practitioner in enumerate(practitioners):
            free = _subtract(
                q.working(practitioner, day), index.practitioners.get(practitioner.id, _NOT_BUSY)
            )
            ranges = _valid_starts(free, before, length)
            if rooms:
                ranges = _intersect_ranges(ranges, any_room)
            if devices:
                ranges = _intersect_ranges(ranges, any_device)
            for lo, hi in ranges:
                lo = max(lo, earliest)
                if latest is not None:
                    hi = min(hi, latest)
                for at in grid[bisect_left(grid, lo) : bisect_right(grid, hi)]:
                    room_id = next(
                        (rid for rid, los, rr in room_starts if _in_ranges(los, rr, at)), None
                    )
                    device_id = next(
                        (did for did, los, dr in device_starts if _in_ranges(los, dr, at)), None
                    )
                    today.append((at, order, practitioner.id, room_id, device_id))
        today.sort(key=itemgetter(0, 1))
        found.extend(
            Slot(_instant(at), _instant(at + duration), pid, room_id, device_id)
            for at, _, pid, room_id, device_id in today
        )
        day += _DAY
    return found


def is_bookable(
    query: AvailabilityQuery,
    start: datetime,
    practitioner_id: ResourceId,
    room_id: ResourceId | None,
    device_id: ResourceId | None,
) -> Refusal | None:
    """None when a booking of ``query.service`` at ``start`` with these
    resources meets every rule ``free_slots`` applies; else the first broken
    rule, checked in this order: unknown resource, service not given, room or
    device missing or unsuitable, in the past, closed day, outside opening
    hours (a partial closure counts here), on leave, outside working hours
    (a break counts here), practitioner busy, room busy, device busy.

    The search range, granularity and ``query.practitioner_id`` play no part:
    a booking off the slot grid is accepted if the rules allow it.
    """
    q = _Query(query)
    service = query.service
    practitioner = next((p for p in query.practitioners if p.id == practitioner_id), None)
    if practitioner is None:
        return Refusal("unknown_practitioner", f"There is no practitioner {practitioner_id!r}.")
    room = next((r for r in query.rooms if r.id == room_id), None)
    if room_id is not None and room is None:
        return Refusal("unknown_room", f"There is no room {room_id!r}.")
    device = next((d for d in query.devices if d.id == device_id), None)
    if device_id is not None and device is None:
        return Refusal("unknown_device", f"There is no device {device_id!r}.")
    if service.key not in practitioner.services:
        return Refusal(
            "service_not_given",
            f"Practitioner {practitioner_id!r} does not give {service.key!r}.",
        )
    if service.needs_room and room is None:
        return Refusal("room_required", f"{service.key!r} needs a room.")
    if service.needs_device:
        if device is None:
            return Refusal("device_required", f"{service.key!r} needs a device.")
        if not service.accepts_device(device):
            return Refusal(
                "unsuitable_device", f"Device {device.id!r} cannot be used for {service.key!r}."
            )

    begin = _us(start) - q.before  # the blocked span, buffers included
    end = begin + q.length
    local = start.astimezone(q.clinic.tz)
    when = f"{local:%Y-%m-%d %H:%M} ({q.clinic.tz.key})"
    if begin < q.now:
        return Refusal("in_the_past", f"{when} is in the past.")

    day = q.clinic.local_date(begin)
    raw_open = q.clinic.raw_open(day)
    if q.clinic.closures.covers(day) or not raw_open:
        return Refusal("closed_day", f"The clinic is closed on {day:%A %Y-%m-%d}.")
    if not _inside(raw_open, begin, end):
        return Refusal(
            "outside_opening_hours",
            f"{when}: the session and its buffers must fit within the opening hours.",
        )
    if _overlaps(q.clinic.closures.spans, begin, end):
        return Refusal("outside_opening_hours", f"{when}: the clinic is closed at that time.")

    rules = q.practitioner(practitioner)
    if rules.leave.covers(day) or _overlaps(rules.leave.spans, begin, end):
        return Refusal("on_leave", f"Practitioner {practitioner_id!r} is on leave at {when}.")
    if not _inside(q.clinic.day_spans(rules.hours, day), begin, end):
        return Refusal(
            "outside_working_hours",
            f"{when} is outside the working hours of practitioner {practitioner_id!r}.",
        )
    if _overlaps(_busy(q.clinic.day_spans(rules.breaks, day)), begin, end):
        return Refusal(
            "outside_working_hours",
            f"{when} falls in a break of practitioner {practitioner_id!r}.",
        )

    if isinstance(query.bookings, BookingIndex):
        index = query.bookings
    else:
        index = _index(query.bookings, _instant(begin), _instant(end))
    if _overlaps(index.practitioners.get(practitioner.id, _NOT_BUSY), begin, end):
        return Refusal(
            "practitioner_busy", f"Practitioner {practitioner_id!r} is already booked at {when}."
        )
    if room is not None and (
        _overlaps(index.rooms.get(room.id, _NOT_BUSY), begin, end)
        or _overlaps(q.room_busy[room.id], begin, end)
    ):
        return Refusal("room_busy", f"Room {room.id!r} is not free at {when}.")
    if device is not None and (
        _overlaps(index.devices.get(device.id, _NOT_BUSY), begin, end)
        or _overlaps(q.device_busy[device.id], begin, end)
    ):
        return Refusal("device_busy", f"Device {device.id!r} is not free at {when}.")
    return None


type SlotFinder = Callable[[date, date], Sequence[Slot]]
"""Free slots between two local dates, both included, sorted by start."""


def slot_finder(query: AvailabilityQuery) -> SlotFinder:
    """``free_slots`` for any local date range with the rest of ``query``;
    the bookings are indexed once, here, for all the calls."""
    index = (
        query.bookings
        if isinstance(query.bookings, BookingIndex)
        else BookingIndex.of(query.bookings)
    )
    base = replace(query, bookings=index)

    def find(first: date, last: date) -> list[Slot]:
        return free_slots(replace(base, start=first, end=last))

    return find
