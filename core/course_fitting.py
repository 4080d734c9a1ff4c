"""Fit a whole course of sessions into the calendar, all or nothing.

A course is a first window of local dates and the interval, in days, from
each session to the next (a protocol's phases give these: 7-10 days, then
14, then "at least a month"). Session k's window is counted from the date
chosen for session k-1, so a choice moves every later window.

``fit_course`` picks one free slot per session:

1. each session inside its window;
2. one practitioner for the whole course when that is possible: the
   patient's preferred practitioner first, then the others in the order of
   their best first slot; failing that, practitioners may change between
   sessions (the preferred one and then the previous session's one ranked
   first). A patient who requires their practitioner gets only them;
3. within that, slots at the patient's preferred weekdays and times of day,
   then the earliest.

Choices are made in that order of preference, session by session, and
undone only when a later session cannot be placed (a depth-first search
that remembers, for each session and previous date, that nothing fits, so
it never explores the same dead end twice). If no assignment exists it
says so: the result is a ``CourseFailure`` naming the first session that
cannot be placed on the most preferred path, why, and the nearest free
slots; nothing is ever half-booked.

``rewindow`` recomputes the windows after one booked session moves and
names the later sessions that no longer fit.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from core.availability import Clinic, ResourceId, Slot, SlotFinder, is_open_day
from core.catalog.model import IntRange

TimeOfDay = Literal["morning", "afternoon", "evening"]

# Wall-clock start (included) and end (excluded; time(0) is midnight) of
# each part of the day, tested against a slot's local start.
DAY_PARTS: tuple[tuple[TimeOfDay, time, time], ...] = (
    ("morning", time(0), time(12)),
    ("afternoon", time(12), time(17)),
    ("evening", time(17), time(0)),
)

FailureReason = Literal[
    "window_in_the_past",
    "closed_in_window",
    "practitioner_unavailable",
    "no_free_slot",
]


@dataclass(frozen=True)
class Window:
    """Local dates, both ends included; ``latest`` None means open-ended."""

    earliest: date
    latest: date | None

    def contains(self, day: date) -> bool:
        return day >= self.earliest and (self.latest is None or day <= self.latest)


@dataclass(frozen=True)
class Preferences:
    """What the patient would like. Empty ``weekdays`` (Monday = 0) or
    ``times_of_day`` mean no preference. ``practitioner_required``: only
    ``practitioner_id`` may give the sessions."""

    weekdays: frozenset[int] = frozenset()
    times_of_day: frozenset[TimeOfDay] = frozenset()
    practitioner_id: ResourceId | None = None
    practitioner_required: bool = False
    day_parts: tuple[tuple[TimeOfDay, time, time], ...] = DAY_PARTS


@dataclass(frozen=True)
class PlannedSession:
    number: int  # 1 for the first session
    window: Window  # as searched: an open window shows its search horizon
    slot: Slot
    day: date  # the slot's local date
    preferred: bool  # at one of the patient's weekdays and times of day


@dataclass(frozen=True)
class CoursePlan:
    sessions: tuple[PlannedSession, ...]
    same_practitioner: bool


@dataclass(frozen=True)
class Alternatives:
    """The nearest free slots the patient could take instead: the last one
    before the window (never on or before the previous session's date),
    the first one after it, and, when only one practitioner was allowed,
    the best slot in the window with another."""

    before: Slot | None = None
    after: Slot | None = None
    other_practitioner: Slot | None = None


@dataclass(frozen=True)
class CourseFailure:
    session: int  # 1 for the first session
    reason: FailureReason
    message: str
    window: Window  # as searched
    previous: date | None  # the date the window was counted from; None for session 1
    alternatives: Alternatives


@dataclass(frozen=True)
class Rewindowed:
    """``windows[i]`` is session i+1's window: the first session's is the one
    given (or None); a later one counts from the previous session's date,
    or, when that session is not booked, spans every date its own window
    allows (None when that cannot be known). ``misfits`` are the numbers of
    the booked sessions after the moved one that lie outside their window."""

    dates: tuple[date | None, ...]
    windows: tuple[Window | None, ...]
    moved_fits: bool
    misfits: tuple[int, ...]


def next_window(previous: date, interval: IntRange) -> Window:
    latest = None if interval.max is None else previous + timedelta(days=interval.max)
    return Window(previous + timedelta(days=interval.min), latest)


def _check_intervals(intervals: Sequence[IntRange], minimum: int) -> None:
    for n, interval in enumerate(intervals, start=1):
        if interval.min < minimum or (interval.max is not None and interval.max < interval.min):
            raise ValueError(
                f"interval {n} ({interval.min}-{interval.max} days) must be at least "
                f"{minimum} day(s) and end after it starts"
            )


def rewindow(
    intervals: Sequence[IntRange],
    dates: Sequence[date | None],
    moved_index: int,
    new_date: date,
    first: Window | None = None,
) -> Rewindowed:
    """Move session ``moved_index`` (0-based) to ``new_date`` and recompute
    the windows. ``dates`` holds each session's booked date, None when not
    booked; ``intervals[i]`` runs from session i to session i+1."""
    if len(dates) != len(intervals) + 1:
        raise ValueError(
            f"{len(dates)} dates need {len(dates) - 1} intervals, not {len(intervals)}"
        )
    if not 0 <= moved_index < len(dates):
        raise ValueError(f"moved_index {moved_index} is not a session of this course")
    _check_intervals(intervals, 0)
    moved = list(dates)
    moved[moved_index] = new_date
    windows: list[Window | None] = [first]
    for i, interval in enumerate(intervals):
        previous, previous_window = moved[i], windows[i]
        if previous is not None:
            windows.append(next_window(previous, interval))
        elif previous_window is not None:
            # Unbooked: any date its own window allows may come before.
            earliest = next_window(previous_window.earliest, interval).earliest
            latest = (
                None
                if previous_window.latest is None
                else next_window(previous_window.latest, interval).latest
            )
            windows.append(Window(earliest, latest))
        else:
            windows.append(None)
    own = windows[moved_index]
    misfits = tuple(
        i + 1
        for i in range(moved_index + 1, len(moved))
        if (day := moved[i]) is not None
        and (window := windows[i]) is not None
        and not window.contains(day)
    )
    return Rewindowed(tuple(moved), tuple(windows), own is None or own.contains(new_date), misfits)


# -- fitting ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Option:
    slot: Slot
    day: date
    misses: int  # how many of the patient's preferences (weekday, time) it misses


class _Calendar:
    """Free slots per local date, asked of the finder once per date."""

    def __init__(self, finder: SlotFinder, tz: ZoneInfo, preferences: Preferences) -> None:
        self.finder = finder
        self.tz = tz
        self.preferences = preferences
        self._days: dict[date, dict[ResourceId, _Option]] = {}
        self._all: dict[date, list[_Option]] = {}

    def _misses(self, local: datetime) -> int:
        prefs = self.preferences
        misses = 0
        if prefs.weekdays and local.weekday() not in prefs.weekdays:
            misses += 1
        if prefs.times_of_day:
            at = local.time()
            if not any(
                name in prefs.times_of_day and start <= at and (end == time(0) or at < end)
                for name, start, end in prefs.day_parts
            ):
                misses += 1
        return misses

    def load(self, first: date, last: date) -> None:
        missing = [
            first + timedelta(days=n)
            for n in range((last - first).days + 1)
            if first + timedelta(days=n) not in self._all
        ]
        if not missing:
            return
        for day in missing:
            self._all[day] = []
        # One call per run of consecutive missing dates, so that no date is
        # asked for twice.
        runs: list[list[date]] = []
        for day in missing:
            if runs and day - runs[-1][-1] == timedelta(days=1):
                runs[-1].append(day)
            else:
                runs.append([day])
        for run in runs:
            for slot in self.finder(run[0], run[-1]):
                local = slot.start.astimezone(self.tz)
                day = local.date()
                if run[0] <= day <= run[-1]:
                    self._all[day].append(_Option(slot, day, self._misses(local)))
        for day in missing:
            best: dict[ResourceId, _Option] = {}
            for option in self._all[day]:
                pid = option.slot.practitioner_id
                current = best.get(pid)
                if current is None or (option.misses, option.slot.start) < (
                    current.misses,
                    current.slot.start,
                ):
                    best[pid] = option
            self._days[day] = best

    def best(self, day: date) -> dict[ResourceId, _Option]:
        """The best option of each practitioner that date."""
        self.load(day, day)
        return self._days[day]

    def options(self, day: date) -> list[_Option]:
        self.load(day, day)
        return self._all[day]


def _from_list(slots: Sequence[Slot], tz: ZoneInfo) -> SlotFinder:
    ordered = sorted(slots, key=lambda s: s.start)
    days = [s.start.astimezone(tz).date() for s in ordered]

    def find(first: date, last: date) -> list[Slot]:
        return ordered[bisect_left(days, first) : bisect_right(days, last)]

    return find


type _Allowed = Callable[[ResourceId], bool]


class _Fitter:
    def __init__(
        self,
        first: Window,
        intervals: Sequence[IntRange],
        calendar: _Calendar,
        preferences: Preferences,
        today: date | None,
        open_window_days: int,
    ) -> None:
        self.first = first
        self.intervals = intervals
        self.calendar = calendar
        self.preferences = preferences
        self.today = today
        self.open_window_days = open_window_days

    def window(self, k: int, previous: date | None) -> Window:
        """Session k's window (0-based), an open one closed at the horizon."""
        if k == 0 or previous is None:
            window = self.first
        else:
            window = next_window(previous, self.intervals[k - 1])
        if window.latest is None:
            horizon = window.earliest + timedelta(days=self.open_window_days - 1)
            window = Window(window.earliest, horizon)
        return window

    def days(self, window: Window) -> list[date]:
        assert window.latest is not None
        earliest = window.earliest
        if self.today is not None and earliest < self.today:
            earliest = self.today
        if earliest > window.latest:
            return []
        self.calendar.load(earliest, window.latest)
        return [earliest + timedelta(days=n) for n in range((window.latest - earliest).days + 1)]

    def key(
        self, option: _Option, previous_practitioner: ResourceId | None
    ) -> tuple[int, int, int, datetime]:
        pid = option.slot.practitioner_id
        preferred = self.preferences.practitioner_id
        return (
            0 if preferred is None or pid == preferred else 1,
            0 if previous_practitioner is None or pid == previous_practitioner else 1,
            option.misses,
            option.slot.start,
        )

    def candidates(
        self, window: Window, allowed: _Allowed, previous_practitioner: ResourceId | None
    ) -> list[_Option]:
        """The best allowed option of each date in the window, best first."""
        found = []
        for day in self.days(window):
            options = [o for pid, o in self.calendar.best(day).items() if allowed(pid)]
            if options:
                found.append(min(options, key=lambda o: self.key(o, previous_practitioner)))
        found.sort(key=lambda o: self.key(o, previous_practitioner))
        return found

    def search(self, allowed: _Allowed) -> list[_Option] | None:
        dead_ends: set[tuple[int, date]] = set()
        last = len(self.intervals)

        def place(
            k: int, previous: date | None, practitioner: ResourceId | None
        ) -> list[_Option] | None:
            for option in self.candidates(self.window(k, previous), allowed, practitioner):
                if k == last:
                    return [option]
                if (k + 1, option.day) in dead_ends:
                    continue
                rest = place(k + 1, option.day, option.slot.practitioner_id)
                if rest is not None:
                    return [option, *rest]
                # What follows depends only on this date, not on the slot.
                dead_ends.add((k + 1, option.day))
            return None

        return place(0, None, None)


def fit_course(
    first: Window,
    intervals: Sequence[IntRange],
    availability: SlotFinder | Sequence[Slot],
    clinic: Clinic,
    preferences: Preferences | None = None,
    *,
    today: date | None = None,
    open_window_days: int = 28,
    alternative_days: int = 14,
) -> CoursePlan | CourseFailure:
    """One slot per session, or the reason it cannot be done.

    ``first`` is the first session's window; ``intervals[i]`` the days from
    session i+1 to session i+2 (each at least one day). ``availability`` is
    a ``SlotFinder`` (see ``core.availability.slot_finder``; it is asked
    once per date at most) or a precomputed list of free slots, which is
    then all there is. An open-ended window is searched for
    ``open_window_days`` from its start; alternatives are looked for up to
    ``alternative_days`` either side of the window. ``today`` keeps the
    search and the alternatives out of the past.
    """
    prefs = preferences or Preferences()
    _check_intervals(intervals, 1)
    if open_window_days < 1 or alternative_days < 0:
        raise ValueError("open_window_days must be >= 1 and alternative_days >= 0")
    tz = ZoneInfo(clinic.time_zone)
    finder = availability if callable(availability) else _from_list(availability, tz)
    calendar = _Calendar(finder, tz, prefs)
    fitter = _Fitter(first, intervals, calendar, prefs, today, open_window_days)

    def only(practitioner: ResourceId) -> _Allowed:
        return lambda pid: pid == practitioner

    def anyone(pid: ResourceId) -> bool:
        return True

    singles: list[ResourceId] = []
    if prefs.practitioner_id is not None:
        singles.append(prefs.practitioner_id)
    if not prefs.practitioner_required:
        # Then whoever has the best first slot, for the whole course: one
        # practitioner throughout matters more than which one.
        first_options = [
            option
            for day in fitter.days(fitter.window(0, None))
            for option in calendar.best(day).values()
        ]
        for option in sorted(first_options, key=lambda o: fitter.key(o, None)):
            if option.slot.practitioner_id not in singles:
                singles.append(option.slot.practitioner_id)
    for practitioner in singles:
        found = fitter.search(only(practitioner))
        if found is not None:
            return _plan(fitter, found, same=True)
    if prefs.practitioner_required and prefs.practitioner_id is not None:
        return _diagnose(fitter, clinic, only(prefs.practitioner_id), prefs, alternative_days)
    found = fitter.search(anyone)
    if found is not None:
        return _plan(fitter, found, same=len({o.slot.practitioner_id for o in found}) == 1)
    return _diagnose(fitter, clinic, anyone, prefs, alternative_days)


def _plan(fitter: _Fitter, found: list[_Option], *, same: bool) -> CoursePlan:
    sessions = []
    previous: date | None = None
    for k, option in enumerate(found):
        sessions.append(
            PlannedSession(
                k + 1, fitter.window(k, previous), option.slot, option.day, not option.misses
            )
        )
        previous = option.day
    return CoursePlan(tuple(sessions), same)


def _diagnose(
    fitter: _Fitter,
    clinic: Clinic,
    allowed: _Allowed,
    prefs: Preferences,
    alternative_days: int,
) -> CourseFailure:
    """Follow the most preferred choices to the first session that has no
    slot at all. Such a session exists: if every session on that path had a
    slot, the search would have found the path."""
    previous: date | None = None
    practitioner: ResourceId | None = None
    k = 0
    while True:
        window = fitter.window(k, previous)
        candidates = fitter.candidates(window, allowed, practitioner)
        if not candidates:
            break
        previous, practitioner = candidates[0].day, candidates[0].slot.practitioner_id
        k += 1
        if k > len(fitter.intervals):  # pragma: no cover - see the docstring
            raise AssertionError("the search missed a course that fits")

    assert window.latest is not None
    span = f"between {window.earliest} and {window.latest}"
    if k > 0 and previous is not None:
        gap = _days_text(fitter.intervals[k - 1])
        where = f"session {k + 1} falls {gap} after session {k} ({previous}), {span}"
    else:
        where = f"session 1 falls {span}"
    others: list[_Option] = []
    reason: FailureReason
    if fitter.today is not None and window.latest < fitter.today:
        reason, why = "window_in_the_past", "that is in the past"
    elif not any(is_open_day(clinic, day) for day in fitter.days(window)):
        reason, why = "closed_in_window", "the clinic is closed on all those days"
    else:
        if prefs.practitioner_required:
            others = fitter.candidates(window, lambda pid: not allowed(pid), None)
        if others:
            reason = "practitioner_unavailable"
            why = f"practitioner {prefs.practitioner_id!r} has no free slot then"
        else:
            reason, why = "no_free_slot", "there is no free slot then"

    alternatives = Alternatives(
        before=_nearest(fitter, allowed, window, previous if k > 0 else None, alternative_days, -1),
        after=_nearest(fitter, allowed, window, None, alternative_days, +1),
        other_practitioner=others[0].slot if others else None,
    )
    return CourseFailure(
        session=k + 1,
        reason=reason,
        message=f"Cannot place the course: {where}, and {why}.",
        window=window,
        previous=previous if k > 0 else None,
        alternatives=alternatives,
    )


def _days_text(interval: IntRange) -> str:
    if interval.max is None:
        return f"at least {interval.min} days"
    if interval.max == interval.min:
        return f"{interval.min} days"
    return f"{interval.min}-{interval.max} days"


def _nearest(
    fitter: _Fitter,
    allowed: _Allowed,
    window: Window,
    previous: date | None,
    days: int,
    direction: int,
) -> Slot | None:
    """The allowed slot closest to the window on one side, within ``days``."""
    assert window.latest is not None
    if days == 0:
        return None
    if direction < 0:
        first = window.earliest - timedelta(days=days)
        if previous is not None:
            first = max(first, previous + timedelta(days=1))
        last = window.earliest - timedelta(days=1)
    else:
        first, last = window.latest + timedelta(days=1), window.latest + timedelta(days=days)
    if fitter.today is not None:
        first = max(first, fitter.today)
    if first > last:
        return None
    fitter.calendar.load(first, last)
    span = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    if direction < 0:
        span.reverse()
    for day in span:
        options = [o for o in fitter.calendar.options(day) if allowed(o.slot.practitioner_id)]
        if options:
            pick = max if direction < 0 else min
            return pick(options, key=lambda o: o.slot.start).slot
    return None
