"""Schedule rules that hold for every indication, area and protocol.

For EVERY indication and area of the catalog, and for every protocol at
each of its areas, with random first-session dates and session counts
within the protocol's range: the number of sessions is within range,
session 1 is on the start date, each session lies in its window and its
window counts from the planned date before it, intervals never shrink,
and every source of the course is listed once with its title.
"""

from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from core.catalog import load_catalog
from core.catalog.model import IntRange, Protocol
from core.planning import (
    PlanPreview,
    PlanRequest,
    SessionWindow,
    out_of_window,
    preview,
    schedule,
    windows_after,
)

CATALOG = load_catalog()
PAIRS = sorted((i.key, area) for i in CATALOG.indications.values() for area in i.areas)
PROTOCOL_AREAS = sorted((p.key, area) for p in CATALOG.protocols.values() for area in p.areas)
START_DATES = st.dates(min_value=date(2000, 1, 1), max_value=date(2200, 12, 31))


def never_shrinks(before: IntRange, after: IntRange) -> bool:
    if after.min < before.min:
        return False
    if before.max is None:
        return after.max is None  # an open interval is never followed by a bounded one
    return after.max is None or after.max >= before.max


def check_schedule(protocol: Protocol, windows: tuple[SessionWindow, ...], start: date) -> None:
    assert protocol.sessions.contains(len(windows))
    assert [w.number for w in windows] == list(range(1, len(windows) + 1))
    first = windows[0]
    assert (first.earliest, first.latest, first.phase, first.interval_days) == (
        start,
        start,
        None,
        None,
    )
    phase_names = [p.name for p in protocol.schedule]
    phase_order = []
    for before, this in pairwise(windows):
        interval = this.interval_days
        assert interval is not None
        # Each window counts from the planned (earliest) date before it.
        assert this.earliest == before.earliest + timedelta(days=interval.min)
        if interval.max is None:
            assert this.latest is None
        else:
            assert this.latest == before.earliest + timedelta(days=interval.max)
        assert this.contains(this.earliest)
        assert this.earliest > before.earliest
        assert this.phase in phase_names
        phase_order.append(phase_names.index(this.phase))
        if before.interval_days is not None:
            assert never_shrinks(before.interval_days, interval)
    assert phase_order == sorted(phase_order)
    # Each phase holds its own count of sessions after the first, in order,
    # and the last phase the rest.
    expected = [
        phase.name for phase in protocol.schedule for _ in range(phase.sessions or len(windows))
    ]
    assert [w.phase for w in windows[1:]] == expected[: len(windows) - 1]
    # The planned dates of a preview are all in their windows.
    assert out_of_window(protocol, [w.earliest for w in windows]) == ()


def check_sources(p: PlanPreview, protocol: Protocol) -> None:
    keys = [s.key for s in p.sources]
    assert len(keys) == len(set(keys))
    indication = CATALOG.indications[protocol.indication]
    expected = {
        *protocol.sources,
        *protocol.needle.sources,
        *indication.sources,
        *indication.evidence.sources,
        *(s for r in p.aftercare for s in r.sources),
        *(p.price.sources if p.price else ()),
    }
    assert expected <= set(keys)
    assert all(s.title and s.title == CATALOG.sources[s.key].title for s in p.sources)


def test_the_parameters_cover_every_indication_area_and_protocol() -> None:
    assert {i for i, _ in PAIRS} == set(CATALOG.indications)
    assert {p for p, _ in PROTOCOL_AREAS} == set(CATALOG.protocols)
    assert all(CATALOG.default_protocol(i, a) is not None for i, a in PAIRS)


@pytest.mark.parametrize(("indication", "area"), PAIRS)
@settings(max_examples=25, deadline=None)
@given(start=START_DATES, data=st.data())
def test_every_indication_and_area_gets_a_course_that_keeps_the_schedule_rules(
    indication: str, area: str, start: date, data: st.DataObject
) -> None:
    protocol = CATALOG.default_protocol(indication, area)
    assert protocol is not None
    high = protocol.sessions.max
    assert high is not None
    sessions = data.draw(
        st.one_of(st.none(), st.integers(protocol.sessions.min, high)), label="sessions"
    )
    p = preview(CATALOG, PlanRequest(indication, area, start, sessions=sessions))
    assert p.protocol.key == protocol.key
    assert len(p.sessions) == (protocol.default_sessions if sessions is None else sessions)
    check_schedule(protocol, p.sessions, start)
    check_sources(p, protocol)


@pytest.mark.parametrize(("key", "area"), PROTOCOL_AREAS)
@settings(max_examples=15, deadline=None)
@given(start=START_DATES, data=st.data())
def test_every_protocol_at_every_area_keeps_the_schedule_rules(
    key: str, area: str, start: date, data: st.DataObject
) -> None:
    protocol = CATALOG.protocols[key]
    high = protocol.sessions.max
    assert high is not None
    sessions = data.draw(st.integers(protocol.sessions.min, high), label="sessions")
    p = preview(
        CATALOG, PlanRequest(protocol.indication, area, start, sessions=sessions, protocol=key)
    )
    check_schedule(protocol, p.sessions, start)
    check_sources(p, protocol)
    assert {p.protocol.key, *(o.key for o in p.other_protocols)} == {
        q.key for q in CATALOG.protocols_for(protocol.indication, area)
    }


PROTOCOLS = sorted(CATALOG.protocols)


@settings(max_examples=300, deadline=None)
@given(key=st.sampled_from(PROTOCOLS), start=START_DATES, data=st.data())
def test_a_moved_session_shifts_every_later_window_by_the_same_days(
    key: str, start: date, data: st.DataObject
) -> None:
    protocol = CATALOG.protocols[key]
    high = protocol.sessions.max
    assert high is not None and high >= 2
    count = data.draw(st.integers(max(2, protocol.sessions.min), high), label="count")
    planned = schedule(protocol, start, count)
    held = data.draw(st.integers(1, count - 1), label="sessions held")
    moved_by = data.draw(st.integers(-3, 30), label="days the last held session moved")
    dates = [w.earliest for w in planned[:held]]
    dates[-1] += timedelta(days=moved_by)
    assume(held == 1 or dates[-1] > dates[-2])

    later = windows_after(protocol, dates, count)

    shift = timedelta(days=moved_by)
    assert [w.number for w in later] == list(range(held + 1, count + 1))
    assert [w.earliest for w in later] == [w.earliest + shift for w in planned[held:]]
    assert [w.latest for w in later] == [
        None if w.latest is None else w.latest + shift for w in planned[held:]
    ]
    assert [(w.phase, w.interval_days) for w in later] == [
        (w.phase, w.interval_days) for w in planned[held:]
    ]
