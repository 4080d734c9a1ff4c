"""The plan preview: a proposed course for one indication at one area.

``preview`` picks the protocol (the default unless one is asked for),
lays out the sessions on the calendar from the first session's date, and
gathers what the patient and the practitioner need beside it: actives,
technique, needle and depth, time per session, aftercare, price, evidence,
the country's rules and every source.

Schedule rules: session 1 is on the start date. Session k's window counts
from session k-1's planned date, which in a preview is the earliest date of
its window: earliest = previous + interval.min, latest = previous +
interval.max (None when the sources give only a minimum). The phases of a
protocol's schedule say which interval applies: a phase holds
``phase.sessions`` sessions after the first, the last phase the rest; the
catalog refuses a schedule whose intervals shrink.

A protocol the clinic's country bans is never offered: ``preview`` raises
NotOffered, which names the field to blame and carries the regulatory notes
with their sources. When no protocol is asked for and the default is banned,
the next protocol for the indication and area that the country allows is
proposed instead.

Texts stay English here; messages are templates with named parameters so
the Django layer can translate them before filling them in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise

from core.aftercare import rules_for_protocol
from core.catalog.model import (
    AftercareRule,
    Catalog,
    DepthTier,
    Evidence,
    FloatRange,
    IntRange,
    Needle,
    Phase,
    Protocol,
    Source,
)
from core.pricing import PriceEstimate, PriceOverride, estimate
from core.regulation import RegulatoryNote, is_banned, notes_for


def gettext_noop(text: str) -> str:
    """Marks a text for makemessages without translating it: the core has no
    Django, and the text is translated where it is shown."""
    return text


# Evidence below this is shown with a warning: small studies at best.
WEAK_EVIDENCE = frozenset({"limited", "weak", "none"})


@dataclass(frozen=True)
class Message:
    """An English text with ``%(name)s`` placeholders and their values.

    The placeholders are filled only when there are params, so a text from
    the catalog may contain a literal "%".
    """

    text: str
    params: tuple[tuple[str, str | int], ...] = ()

    def render(self) -> str:
        return self.text % dict(self.params) if self.params else self.text


class PlanError(ValueError):
    """The request cannot be planned; ``field`` names the input to blame."""

    def __init__(self, field: str, message: Message) -> None:
        super().__init__(message.render())
        self.field = field
        self.message = message


class NotOffered(PlanError):
    """The clinic's country does not allow the protocol; ``notes`` are the
    banning regulations, with their sources."""

    def __init__(self, field: str, notes: Sequence[RegulatoryNote]) -> None:
        # Several protocols may fall to the same regulation: list it once.
        banned = {n.key: n for n in notes if n.status == "banned"}
        if not banned:
            raise ValueError("NotOffered needs a banning regulation")
        self.notes = tuple(banned.values())
        super().__init__(field, Message(self.notes[0].summary))


@dataclass(frozen=True)
class PlanRequest:
    indication: str
    area: str
    start_date: date  # the first session
    sessions: int | None = None  # None: the protocol's default
    protocol: str | None = None  # None: the default protocol
    country: str = "IN"  # ISO 3166-1 alpha-2
    currency: str = "INR"  # ISO 4217
    price_overrides: tuple[PriceOverride, ...] = ()


@dataclass(frozen=True)
class Named:
    key: str
    name: str


@dataclass(frozen=True)
class SessionWindow:
    """When one session of a course may take place.

    For session 1, ``phase`` and ``interval_days`` are None and the window
    is the start date itself. ``latest`` is None when the sources set only
    a minimum interval ("at least a month apart").
    """

    number: int
    phase: str | None
    earliest: date
    latest: date | None
    interval_days: IntRange | None

    def contains(self, day: date) -> bool:
        return day >= self.earliest and (self.latest is None or day <= self.latest)


@dataclass(frozen=True)
class PlanPreview:
    indication: Named
    area: Named
    protocol: Named
    other_protocols: tuple[Named, ...]  # also allowed here, for the practitioner to choose
    actives: tuple[Named, ...]
    techniques: tuple[Named, ...]
    needle: Needle
    depth: tuple[DepthTier, ...]
    volume_per_point_ml: FloatRange | None
    point_spacing_cm: FloatRange | None
    max_points: int | None
    session_range: IntRange  # how many sessions the protocol allows
    sessions: tuple[SessionWindow, ...]
    numbing_minutes: IntRange
    procedure_minutes: IntRange
    minutes_per_session: IntRange  # numbing + procedure
    aftercare: tuple[AftercareRule, ...]
    price: PriceEstimate | None
    price_note: Message | None  # why there is no price, when there is none
    indication_summary: str
    evidence: Evidence
    weak_evidence: bool
    maintenance: str
    notes: str
    regulatory_notes: tuple[RegulatoryNote, ...]
    sources: tuple[Source, ...]  # every source cited above, once each


def phase_for(protocol: Protocol, number: int) -> Phase | None:
    """The phase whose interval leads up to session ``number``; None for
    session 1, which has no interval before it."""
    if number < 1:
        raise ValueError("sessions are numbered from 1")
    if number == 1:
        return None
    after_first = number - 1
    held = 0
    for phase in protocol.schedule:
        if phase.sessions is None:
            return phase
        held += phase.sessions
        if after_first <= held:
            return phase
    # The catalog makes the last phase hold the rest; this is for a
    # hand-built protocol that forgot to.
    return protocol.schedule[-1]


def _days_after(day: date, days: int, blame: str) -> date:
    try:
        return day + timedelta(days=days)
    except OverflowError:
        raise PlanError(
            blame, Message(gettext_noop("This date is too far in the future to plan a course."))
        ) from None


def window(protocol: Protocol, number: int, previous: date, *, blame: str = "") -> SessionWindow:
    """The window of session ``number`` (2 or more) after a session on
    ``previous``; ``blame`` is the field a calendar overflow is blamed on."""
    phase = phase_for(protocol, number)
    if phase is None:
        raise ValueError("session 1 has no window before it")
    interval = phase.interval_days
    where = blame or "session_dates"
    earliest = _days_after(previous, interval.min, where)
    latest = None if interval.max is None else _days_after(previous, interval.max, where)
    return SessionWindow(number, phase.name, earliest, latest, interval)


def windows_after(
    protocol: Protocol, session_dates: Sequence[date], count: int, *, blame: str = ""
) -> tuple[SessionWindow, ...]:
    """The windows of the sessions after those already dated, up to ``count``
    sessions in all.

    ``session_dates`` are the dates of sessions 1..n as booked or held (a
    moved session included); each later window counts from the planned
    date before it, taken as the earliest of its window. Raises PlanError
    (field "session_dates" or "sessions") for no dates, dates out of order,
    or a count below the sessions already dated or above the protocol's
    maximum. Dates outside their windows are accepted: ``out_of_window``
    finds them, and whether to keep them is the clinic's decision.
    """
    if not session_dates:
        raise PlanError("session_dates", Message(gettext_noop("The first session needs a date.")))
    if any(b <= a for a, b in pairwise(session_dates)):
        raise PlanError(
            "session_dates",
            Message(gettext_noop("Sessions must be on different days, in order.")),
        )
    done = len(session_dates)
    high = protocol.sessions.max
    if count < done or (high is not None and count > high):
        raise PlanError(
            "sessions",
            Message(
                gettext_noop("Choose between %(min)s and %(max)s sessions for this protocol."),
                (("min", done), ("max", count if high is None else high)),
            ),
        )
    out: list[SessionWindow] = []
    previous = session_dates[-1]
    for number in range(done + 1, count + 1):
        planned = window(protocol, number, previous, blame=blame)
        out.append(planned)
        previous = planned.earliest
    return tuple(out)


def schedule(
    protocol: Protocol, start: date, count: int, *, blame: str = "start_date"
) -> tuple[SessionWindow, ...]:
    """Every session of a ``count``-session course starting on ``start``."""
    first = SessionWindow(1, None, start, start, None)
    return (first, *windows_after(protocol, [start], count, blame=blame))


def out_of_window(protocol: Protocol, session_dates: Sequence[date]) -> tuple[int, ...]:
    """The numbers of the sessions whose dates fall outside the window that
    the actual date of the session before them opens."""
    late_or_early = []
    for number in range(2, len(session_dates) + 1):
        opened = window(protocol, number, session_dates[number - 2])
        if not opened.contains(session_dates[number - 1]):
            late_or_early.append(number)
    return tuple(late_or_early)


def _choices(keys: Iterable[str]) -> str:
    return ", ".join(keys)


def pick_protocol(catalog: Catalog, request: PlanRequest, country: str) -> Protocol:
    indication = catalog.indications.get(request.indication)
    if indication is None:
        raise PlanError(
            "indication",
            Message(
                gettext_noop("Unknown indication; choose one of: %(choices)s."),
                (("choices", _choices(catalog.indications)),),
            ),
        )
    if request.area not in indication.areas:
        raise PlanError(
            "area",
            Message(
                gettext_noop("This indication is not treated there; choose one of: %(choices)s."),
                (("choices", _choices(indication.areas)),),
            ),
        )
    candidates = catalog.protocols_for(indication.key, request.area)
    if not candidates:
        # The catalog gives every indication a default protocol at each of
        # its areas; this guards a hand-built catalog.
        raise PlanError("area", Message(gettext_noop("No protocol treats this indication there.")))
    if request.protocol is not None:
        chosen = next((p for p in candidates if p.key == request.protocol), None)
        if chosen is None:
            raise PlanError(
                "protocol",
                Message(
                    gettext_noop(
                        "No such protocol for this indication and area; choose one of: %(choices)s."
                    ),
                    (("choices", _choices(p.key for p in candidates)),),
                ),
            )
        notes = notes_for(catalog, country, chosen, request.area)
        if is_banned(notes):
            raise NotOffered("protocol", notes)
        return chosen

    banned_notes: list[RegulatoryNote] = []
    for candidate in candidates:
        notes = notes_for(catalog, country, candidate, request.area)
        if not is_banned(notes):
            return candidate
        banned_notes.extend(notes)
    # Blame the indication when the country allows it at no area at all, so
    # the patient is not sent to try another area in vain.
    allowed_elsewhere = any(
        not is_banned(notes_for(catalog, country, p, area))
        for area in indication.areas
        if area != request.area
        for p in catalog.protocols_for(indication.key, area)
    )
    raise NotOffered("area" if allowed_elsewhere else "indication", banned_notes)


def preview(catalog: Catalog, request: PlanRequest) -> PlanPreview:
    """The proposed course; raises PlanError naming the bad input, or
    NotOffered when the clinic's country bans every protocol that fits."""
    country = request.country.upper()
    protocol = pick_protocol(catalog, request, country)
    indication = catalog.indications[protocol.indication]
    area = catalog.areas[request.area]

    count = protocol.default_sessions if request.sessions is None else request.sessions
    if not protocol.sessions.contains(count):
        raise PlanError(
            "sessions",
            Message(
                gettext_noop("Choose between %(min)s and %(max)s sessions for this protocol."),
                (("min", protocol.sessions.min), ("max", protocol.sessions.max or count)),
            ),
        )
    sessions = schedule(protocol, request.start_date, count, blame="start_date")

    aftercare = rules_for_protocol(catalog, protocol, area.key)
    price = estimate(
        catalog,
        indication.key,
        area.key,
        count,
        request.currency,
        actives=protocol.actives,
        overrides=request.price_overrides,
    )
    price_note = (
        None
        if price is not None
        else Message(
            gettext_noop(
                "No price in %(currency)s is known for this treatment; the clinic sets it."
            ),
            (("currency", request.currency.upper()),),
        )
    )
    regulatory = tuple(notes_for(catalog, country, protocol, area.key))
    others = tuple(
        Named(p.key, p.name)
        for p in catalog.protocols_for(indication.key, area.key)
        if p.key != protocol.key and not is_banned(notes_for(catalog, country, p, area.key))
    )
    actives = [catalog.actives[a] for a in protocol.actives]
    techniques = [catalog.techniques[t] for t in protocol.techniques]
    depth = tuple(catalog.depth_tiers[d] for d in protocol.depth)
    numbing, procedure = protocol.numbing_minutes, protocol.procedure_minutes

    cited: list[str] = [
        *protocol.sources,
        *protocol.needle.sources,
        *indication.sources,
        *indication.evidence.sources,
        *area.sources,
        *(s for a in actives for s in a.sources),
        *(s for t in techniques for s in t.sources),
        *(s for d in depth for s in d.sources),
        *(s for rule in aftercare for s in rule.sources),
        *(price.sources if price else ()),
        *(s for note in regulatory for s in note.sources),
    ]

    return PlanPreview(
        indication=Named(indication.key, indication.name),
        area=Named(area.key, area.name),
        protocol=Named(protocol.key, protocol.name),
        other_protocols=others,
        actives=tuple(Named(a.key, a.name) for a in actives),
        techniques=tuple(Named(t.key, t.name) for t in techniques),
        needle=protocol.needle,
        depth=depth,
        volume_per_point_ml=protocol.volume_per_point_ml,
        point_spacing_cm=protocol.point_spacing_cm,
        max_points=protocol.max_points,
        session_range=protocol.sessions,
        sessions=sessions,
        numbing_minutes=numbing,
        procedure_minutes=procedure,
        minutes_per_session=_add(numbing, procedure),
        aftercare=aftercare,
        price=price,
        price_note=price_note,
        indication_summary=indication.summary,
        evidence=indication.evidence,
        weak_evidence=indication.evidence.level in WEAK_EVIDENCE,
        maintenance=protocol.maintenance,
        notes=protocol.notes,
        regulatory_notes=regulatory,
        sources=tuple(catalog.sources[key] for key in dict.fromkeys(cited)),
    )


def _add(a: IntRange, b: IntRange) -> IntRange:
    high = None if a.max is None or b.max is None else a.max + b.max
    return IntRange(a.min + b.min, high)
