"""How far a practitioner may adjust a protocol for one patient's course.

The plan preview (core.planning) picks the protocol for an indication at an
area, as the clinic's country allows it; the practitioner may then choose
the areas, the number of sessions, the days between sessions and the
technique, but only within what the catalog's protocol gives:

- every area is one of the protocol's areas (and one the country allows it
  at: ``protocol_for_course``);
- the number of sessions is within the protocol's range;
- the days before session k, [min, max], lie within the interval of the
  phase that session k falls in (``core.planning.phase_for``): min no
  shorter than the phase's, max no longer (an open phase, "at least a month
  apart", has no upper limit);
- the technique is one of the protocol's.

``intervals`` hold one [min, max] per step from a session to the next, so a
course of n sessions has n - 1 of them, the first leading up to session 2.
Problems are returned, not raised, so a page can show every one beside its
field; fields are dotted like the API's ("intervals.0.max").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from core.catalog.model import Catalog, IntRange, Protocol
from core.planning import (
    Message,
    NotOffered,
    PlanError,
    PlanRequest,
    gettext_noop,
    phase_for,
    pick_protocol,
)
from core.regulation import is_banned, notes_for

type Interval = tuple[int, int | None]


@dataclass(frozen=True)
class Choices:
    """What the practitioner chose for one patient's course."""

    areas: tuple[str, ...]
    sessions: int
    intervals: tuple[Interval, ...]  # days before sessions 2..n
    technique: str


@dataclass(frozen=True)
class Problem:
    field: str
    message: Message

    def render(self) -> str:
        return self.message.render()


def step_interval(protocol: Protocol, number: int) -> IntRange:
    """The catalog's interval, in days, before session ``number`` (2 or more)."""
    phase = phase_for(protocol, number)
    if phase is None:
        raise ValueError("session 1 has no interval before it")
    return phase.interval_days


def default_intervals(protocol: Protocol, sessions: int) -> tuple[Interval, ...]:
    return tuple(
        (r.min, r.max)
        for r in (step_interval(protocol, number) for number in range(2, sessions + 1))
    )


def default_choices(protocol: Protocol, areas: Sequence[str] = ()) -> Choices:
    """The protocol as the catalog gives it: its default number of sessions,
    its phases' intervals, its first technique; ``areas`` as given, or the
    protocol's first area when none are."""
    chosen = tuple(areas) or protocol.areas[:1]
    return Choices(
        areas=chosen,
        sessions=protocol.default_sessions,
        intervals=default_intervals(protocol, protocol.default_sessions),
        technique=protocol.techniques[0],
    )


def _session_range(protocol: Protocol) -> Message:
    low, high = protocol.sessions.min, protocol.sessions.max
    if high is None:
        return Message(
            gettext_noop("This protocol needs at least %(min)s sessions."), (("min", low),)
        )
    if low == high:
        return Message(
            gettext_noop("This protocol is given in exactly %(min)s sessions."), (("min", low),)
        )
    return Message(
        gettext_noop("Choose between %(min)s and %(max)s sessions for this protocol."),
        (("min", low), ("max", high)),
    )


def _interval_problems(
    protocol: Protocol, number: int, interval: Interval, field: str
) -> list[Problem]:
    low, high = interval
    allowed = step_interval(protocol, number)
    session = (("session", number),)
    if low < 1:
        return [
            Problem(
                f"{field}.min",
                Message(
                    gettext_noop(
                        "Session %(session)s must be at least a day after the one before."
                    ),
                    session,
                ),
            )
        ]
    if high is not None and high < low:
        return [
            Problem(
                f"{field}.max",
                Message(
                    gettext_noop(
                        "Before session %(session)s, the longest interval is shorter than "
                        "the shortest."
                    ),
                    session,
                ),
            )
        ]
    problems = []
    if low < allowed.min:
        problems.append(
            Problem(
                f"{field}.min",
                Message(
                    gettext_noop(
                        "Session %(session)s may come no sooner than %(days)s days after "
                        "the one before in this protocol."
                    ),
                    (*session, ("days", allowed.min)),
                ),
            )
        )
    if allowed.max is not None and (high is None or high > allowed.max):
        problems.append(
            Problem(
                f"{field}.max",
                Message(
                    gettext_noop(
                        "Session %(session)s may come no later than %(days)s days after "
                        "the one before in this protocol."
                    ),
                    (*session, ("days", allowed.max)),
                ),
            )
        )
    return problems


def problems(protocol: Protocol, choices: Choices) -> tuple[Problem, ...]:
    """Every way ``choices`` leave the catalog's limits for ``protocol``;
    () when they are within them."""
    found: list[Problem] = []
    if not choices.areas:
        found.append(Problem("areas", Message(gettext_noop("Choose at least one area."))))
    elif len(set(choices.areas)) != len(choices.areas):
        found.append(Problem("areas", Message(gettext_noop("Choose each area once."))))
    for area in choices.areas:
        if area not in protocol.areas:
            found.append(
                Problem(
                    "areas",
                    Message(
                        gettext_noop(
                            "This protocol is not given at %(area)s; choose among: %(choices)s."
                        ),
                        (("area", area), ("choices", ", ".join(protocol.areas))),
                    ),
                )
            )
    if not protocol.sessions.contains(choices.sessions):
        found.append(Problem("sessions", _session_range(protocol)))
    elif len(choices.intervals) != choices.sessions - 1:
        found.append(
            Problem(
                "intervals",
                Message(
                    gettext_noop(
                        "Give one interval for each session after the first: %(count)s in all."
                    ),
                    (("count", choices.sessions - 1),),
                ),
            )
        )
    else:
        for index, interval in enumerate(choices.intervals):
            found.extend(_interval_problems(protocol, index + 2, interval, f"intervals.{index}"))
    if choices.technique not in protocol.techniques:
        found.append(
            Problem(
                "technique",
                Message(
                    gettext_noop(
                        "This protocol does not use that technique; choose among: %(choices)s."
                    ),
                    (("choices", ", ".join(protocol.techniques)),),
                ),
            )
        )
    return tuple(found)


def protocol_for_course(
    catalog: Catalog,
    indication: str,
    areas: Sequence[str],
    protocol: str | None,
    country: str,
) -> Protocol:
    """The protocol of a course at ``areas``, picked as the plan preview
    picks it (``protocol`` None: the default the country allows at the first
    area), and allowed by the country at every other area too.

    Raises PlanError (field "indication", "areas" or "protocol"), or
    NotOffered when the country bans it.
    """
    if not areas:
        raise PlanError("areas", Message(gettext_noop("Choose at least one area.")))
    first, *others = areas
    try:
        chosen = pick_protocol(
            catalog, _request(indication, first, protocol, country), country.upper()
        )
    except NotOffered as refusal:
        refusal.field = _field(refusal.field)
        raise
    except PlanError as error:
        raise PlanError(_field(error.field), error.message) from None
    for area in others:
        # An area the protocol does not cover is for ``problems`` to name.
        if area in chosen.areas:
            notes = notes_for(catalog, country.upper(), chosen, area)
            if is_banned(notes):
                raise NotOffered("areas", notes)
    return chosen


def _field(field: str) -> str:
    # The plan preview plans one area; a course may cover several.
    return "areas" if field == "area" else field


def _request(indication: str, area: str, protocol: str | None, country: str) -> PlanRequest:
    # The start date plays no part in picking a protocol.
    return PlanRequest(
        indication=indication,
        area=area,
        start_date=date.min,
        protocol=protocol,
        country=country,
    )
