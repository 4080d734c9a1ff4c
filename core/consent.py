"""What a patient reads before they sign: the consent texts.

A treatment consent is per indication. Its content comes from the catalog,
for what the clinic's country allows: what the treatment is (the
indication's summary; each protocol offered, with its sessions, schedule
and techniques), its risks (every side effect whose scope matches the
indication at one of its areas with the actives of an offered protocol, a
scoped refinement replacing the general effect it refines, as the triage
and the education pages do), what the country's rules say, the
alternatives, how strong the evidence is, and the sources of each. The
content hash changes exactly when that content does, so the Django layer
publishes a new version of the text then and a signed consent keeps the
words its patient read.

The photo consent is not built from clinical facts: it says what is
photographed, who sees the photographs and how they are kept.

Texts are English. ``body`` lays the content out as plain text through a
``translate`` function, so the Django layer can pass gettext; every fixed
phrase is marked with ``gettext_noop`` for makemessages.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Literal

from core.catalog.model import Catalog, IntRange, Protocol, SideEffect, Source
from core.planning import Message, NotOffered, PlanRequest, gettext_noop, pick_protocol
from core.regulation import RegulatoryNote, is_banned, notes_for
from core.triage import effects_for

# Changed when the layout of the body changes, so the change publishes new
# versions of the texts, as new content would.
FORMAT = 1

# Picking a protocol does not depend on the date of the first session.
_NO_DATE = date.min

RiskKind = Literal["expected", "review", "urgent"]

type Translate = Callable[[str], str]


def _identity(text: str) -> str:
    return text


@dataclass(frozen=True)
class Offered:
    """One protocol the clinic may give for the indication."""

    key: str
    name: str
    areas: tuple[str, ...]  # area names
    sessions: Message
    steps: tuple[Message, ...]
    techniques: tuple[str, ...]  # technique names
    minutes: Message
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Risk:
    key: str
    name: str
    kind: RiskKind  # expected: usually passes; review: a clinician sees it; urgent: red flag
    advice: str
    usual_course: tuple[Message, ...]  # for expected effects with a known course
    see_doctor: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class AlternativeText:
    key: str
    name: str
    summary: str
    compared: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class RuleText:
    key: str
    status: str
    summary: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class TreatmentConsent:
    indication: str
    indication_name: str
    country: str
    title: Message
    summary: str
    summary_sources: tuple[str, ...]
    offered: tuple[Offered, ...]
    evidence_level: str
    evidence: str
    evidence_sources: tuple[str, ...]
    risks: tuple[Risk, ...]
    rules: tuple[RuleText, ...]
    alternatives: tuple[AlternativeText, ...]
    statements: tuple[Message, ...]
    sources: tuple[Source, ...]  # every source cited above, once each

    @property
    def content_hash(self) -> str:
        return content_hash(self)


@dataclass(frozen=True)
class Section:
    heading: Message
    lines: tuple[Message, ...]


@dataclass(frozen=True)
class PhotoConsent:
    title: Message
    sections: tuple[Section, ...]
    statements: tuple[Message, ...]

    @property
    def content_hash(self) -> str:
        return content_hash(self)


def content_hash(content: TreatmentConsent | PhotoConsent) -> str:
    """A SHA-256 of the content, stable across processes and runs."""
    data = {"format": FORMAT, "content": asdict(content)}
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# -- durations in words --------------------------------------------------------------------

_DAY = 24
_WEEK = 7 * _DAY


def _unit(hours: int) -> tuple[int, str]:
    """Up to two days read best in hours; whole weeks from two weeks on."""
    if hours < 2 * _DAY:
        return 1, "hours"
    if hours >= 2 * _WEEK and hours % _WEEK == 0:
        return _WEEK, "weeks"
    return _DAY, "days"


def _number(value: float) -> str:
    rounded = round(value, 1)
    return str(int(rounded)) if rounded == int(rounded) else str(rounded)


_RANGE = {
    "hours": gettext_noop("%(low)s to %(high)s hours"),
    "days": gettext_noop("%(low)s to %(high)s days"),
    "weeks": gettext_noop("%(low)s to %(high)s weeks"),
}
_UP_TO = {
    "hours": gettext_noop("up to %(high)s hours"),
    "days": gettext_noop("up to %(high)s days"),
    "weeks": gettext_noop("up to %(high)s weeks"),
}


def _span(r: IntRange) -> tuple[str, tuple[tuple[str, str | int], ...]]:
    """An hour range (closed) as a text template and its parameters, in the
    unit of its upper end."""
    assert r.max is not None
    per, unit = _unit(r.max)
    high = _number(r.max / per)
    if r.min == 0:
        return _UP_TO[unit], (("high", high),)
    low = _number(r.min / per)
    if low == high:
        return _UP_TO[unit], (("high", high),)
    return _RANGE[unit], (("low", low), ("high", high))


def _with(prefix: str, span: tuple[str, tuple[tuple[str, str | int], ...]]) -> Message:
    # One template per combination, so a translation sees the whole sentence.
    return Message(prefix.replace("%(span)s", span[0]), span[1])


def usual_course(effect: SideEffect) -> tuple[Message, ...]:
    """How long an expected effect usually lasts, where the catalog gives
    both ends; () otherwise (the effect's advice then says all the sources
    say)."""
    if not effect.expected or effect.red_flag:
        return ()
    # The peak is left out: where the sources give one, the advice says it.
    out = []
    if effect.lasts_hours is not None and effect.lasts_hours.max is not None:
        out.append(_with(gettext_noop("Usually lasts %(span)s"), _span(effect.lasts_hours)))
    return tuple(out)


# -- the treatment ----------------------------------------------------------------------------


def _sessions(protocol: Protocol) -> Message:
    low, high = protocol.sessions.min, protocol.sessions.max
    if high is None:
        return Message(
            gettext_noop("At least %(min)s sessions, usually %(default)s."),
            (("min", low), ("default", protocol.default_sessions)),
        )
    if low == high:
        if low == 1:
            return Message(gettext_noop("A single session."))
        return Message(gettext_noop("%(min)s sessions."), (("min", low),))
    return Message(
        gettext_noop("%(min)s to %(max)s sessions, usually %(default)s."),
        (("min", low), ("max", high), ("default", protocol.default_sessions)),
    )


def _steps(protocol: Protocol) -> tuple[Message, ...]:
    """The default course phase by phase: how many sessions at what interval."""
    left = protocol.default_sessions - 1
    steps: list[Message] = []
    if left > 0:
        steps.append(Message(gettext_noop("The usual course starts with a first session.")))
    for phase in protocol.schedule:
        if left <= 0:
            break
        count = left if phase.sessions is None else min(phase.sessions, left)
        left -= count
        days = phase.interval_days
        params: tuple[tuple[str, str | int], ...] = (
            ("count", count),
            ("low", days.min),
            ("high", days.max if days.max is not None else days.min),
        )
        # One template per case, so a translation sees the whole sentence.
        one = count == 1
        if days.max is None:
            text = (
                gettext_noop("Then 1 more session, at least %(low)s days later.")
                if one
                else gettext_noop("Then %(count)s more sessions, at least %(low)s days apart.")
            )
        elif days.min == days.max:
            text = (
                gettext_noop("Then 1 more session, %(low)s days later.")
                if one
                else gettext_noop("Then %(count)s more sessions, %(low)s days apart.")
            )
        else:
            text = (
                gettext_noop("Then 1 more session, %(low)s to %(high)s days later.")
                if one
                else gettext_noop("Then %(count)s more sessions, %(low)s to %(high)s days apart.")
            )
        steps.append(Message(text, params))
    return tuple(steps)


def _minutes(protocol: Protocol) -> Message:
    p, n = protocol.procedure_minutes, protocol.numbing_minutes
    params: tuple[tuple[str, str | int], ...] = (
        ("low", p.min),
        ("high", p.max if p.max is not None else p.min),
    )
    if n.max is None or n.max == 0:
        return Message(gettext_noop("Each session takes %(low)s to %(high)s minutes."), params)
    return Message(
        gettext_noop(
            "Each session takes %(low)s to %(high)s minutes, after %(nlow)s to %(nhigh)s "
            "minutes with numbing cream."
        ),
        (*params, ("nlow", n.min), ("nhigh", n.max)),
    )


def offered_protocols(
    catalog: Catalog, indication: str, country: str
) -> list[tuple[Protocol, tuple[str, ...]]]:
    """Each protocol the country allows for ``indication``, with the area
    keys it is allowed at, in catalog order (defaults first, as the plan
    preview proposes them). Raises NotOffered (field "indication") when the
    country allows none, and KeyError for an unknown indication."""
    found: dict[str, tuple[Protocol, list[str]]] = {}
    banned: list[RegulatoryNote] = []
    for area in catalog.indications[indication].areas:
        # The preview's own choice first: the protocol proposed at this area.
        request = PlanRequest(indication=indication, area=area, start_date=_NO_DATE)
        try:
            pick_protocol(catalog, request, country.upper())
        except NotOffered as refusal:
            banned.extend(refusal.notes)
            continue
        for protocol in catalog.protocols_for(indication, area):
            if is_banned(notes_for(catalog, country, protocol, area)):
                continue
            found.setdefault(protocol.key, (protocol, []))[1].append(area)
    if not found:
        raise NotOffered("indication", banned)
    return [(protocol, tuple(areas)) for protocol, areas in found.values()]


def _risks(catalog: Catalog, offered: Iterable[tuple[Protocol, Sequence[str]]]) -> list[Risk]:
    keys: set[str] = set()
    for protocol, areas in offered:
        for area in areas:
            keys.update(
                se.key for se in effects_for(catalog, protocol.indication, area, protocol.actives)
            )
    risks = []
    # The catalog's order within each kind: expected, then for review, then urgent.
    for kind in ("expected", "review", "urgent"):
        for key, se in catalog.side_effects.items():
            if key in keys and _kind(se) == kind:
                risks.append(
                    Risk(
                        key=key,
                        name=se.name,
                        kind=kind,
                        advice=se.advice,
                        usual_course=usual_course(se),
                        see_doctor=se.see_doctor,
                        sources=se.sources,
                    )
                )
    return risks


def _kind(effect: SideEffect) -> RiskKind:
    if effect.red_flag:
        return "urgent"
    return "expected" if effect.expected else "review"


TREATMENT_STATEMENTS = (
    Message(gettext_noop("I have read this form, or had it read to me, and I understand it.")),
    Message(
        gettext_noop("I have been able to ask the practitioner questions, and they were answered.")
    ),
    Message(gettext_noop("Results differ from person to person and are not guaranteed.")),
    Message(
        gettext_noop(
            "I will tell the clinic before each session about any change in my health, "
            "a pregnancy, or a new medicine."
        )
    ),
    Message(
        gettext_noop(
            "I agree to have this treatment. I may change my mind at any time, also between "
            "sessions: I tell the clinic, and no further session is started."
        )
    ),
)


def treatment_consent(catalog: Catalog, indication: str, country: str) -> TreatmentConsent:
    """The treatment consent for ``indication`` at a clinic in ``country``.
    Raises KeyError for an unknown indication and NotOffered when the
    country allows no protocol for it."""
    item = catalog.indications[indication]
    offered = offered_protocols(catalog, indication, country)
    risks = _risks(catalog, offered)
    rules: dict[str, RuleText] = {}
    for protocol, areas in offered:
        for area in areas:
            for note in notes_for(catalog, country, protocol, area):
                rules.setdefault(
                    note.key, RuleText(note.key, note.status, note.summary, note.sources)
                )
    alternatives = [
        AlternativeText(a.key, a.name, a.summary, a.compared, a.sources)
        for a in catalog.alternatives.values()
        if not a.indications or indication in a.indications
    ]
    treatments = tuple(
        Offered(
            key=protocol.key,
            name=protocol.name,
            areas=tuple(catalog.areas[a].name for a in areas),
            sessions=_sessions(protocol),
            steps=_steps(protocol),
            techniques=tuple(catalog.techniques[t].name for t in protocol.techniques),
            minutes=_minutes(protocol),
            sources=protocol.sources,
        )
        for protocol, areas in offered
    )
    cited = [
        *item.sources,
        *(s for t in treatments for s in t.sources),
        *item.evidence.sources,
        *(s for r in risks for s in r.sources),
        *(s for r in rules.values() for s in r.sources),
        *(s for a in alternatives for s in a.sources),
    ]
    return TreatmentConsent(
        indication=item.key,
        indication_name=item.name,
        country=country.upper(),
        title=Message(
            gettext_noop("Consent to mesotherapy for %(indication)s"),
            (("indication", item.name),),
        ),
        summary=item.summary,
        summary_sources=item.sources,
        offered=treatments,
        evidence_level=item.evidence.level,
        evidence=item.evidence.summary,
        evidence_sources=item.evidence.sources,
        risks=tuple(risks),
        rules=tuple(rules.values()),
        alternatives=tuple(alternatives),
        statements=TREATMENT_STATEMENTS,
        sources=tuple(catalog.sources[key] for key in dict.fromkeys(cited)),
    )


# -- photographs ------------------------------------------------------------------------------


def photo_consent(views: Sequence[str]) -> PhotoConsent:
    """The consent to clinical photographs; ``views`` are the names of the
    standard views the clinic takes (clinical.models.Photo.View)."""

    def line(text: str) -> Message:
        return Message(text)

    return PhotoConsent(
        title=Message(gettext_noop("Consent to clinical photographs")),
        sections=(
            Section(
                Message(gettext_noop("What is photographed")),
                (
                    line(
                        gettext_noop(
                            "The treated area, before and after sessions, so that you and the "
                            "practitioner can see how it changes over the course."
                        )
                    ),
                    Message(
                        gettext_noop("Always from the same standard views: %(views)s."),
                        (("views", ", ".join(views)),),
                    ),
                    line(gettext_noop("Only the treated area, never more than is needed.")),
                ),
            ),
            Section(
                Message(gettext_noop("Who may see them")),
                (
                    line(
                        gettext_noop(
                            "The practitioners who treat you at this clinic and the clinic's "
                            "manager. Reception staff do not see them."
                        )
                    ),
                    line(gettext_noop("You, in your own record.")),
                    line(
                        gettext_noop(
                            "No one else: they are not published, shared or used for advertising."
                        )
                    ),
                ),
            ),
            Section(
                Message(gettext_noop("How they are kept")),
                (
                    line(
                        gettext_noop(
                            "In your clinical record at this clinic, shown only after the person "
                            "asking has been checked, and every look at your record is logged."
                        )
                    ),
                    line(
                        gettext_noop(
                            "The location and camera details a photograph file can carry are "
                            "removed when it is saved."
                        )
                    ),
                ),
            ),
            Section(
                Message(gettext_noop("Your choice")),
                (
                    line(
                        gettext_noop(
                            "Saying no, or withdrawing later, does not change your treatment "
                            "or your care in any way."
                        )
                    ),
                    line(
                        gettext_noop(
                            "You may withdraw this consent at any time: tell the clinic, and no "
                            "new photographs are taken. Photographs already taken stay in your "
                            "record and are seen only by the people named above."
                        )
                    ),
                ),
            ),
        ),
        statements=(
            Message(
                gettext_noop("I have read this form, or had it read to me, and I understand it.")
            ),
            Message(
                gettext_noop("I agree to clinical photographs being taken and kept as described.")
            ),
        ),
    )


# -- the words on the page -------------------------------------------------------------------


def _say(message: Message, translate: Translate) -> str:
    text = translate(message.text)
    return text % dict(message.params) if message.params else text


def _cite(keys: Sequence[str], translate: Translate) -> str:
    if not keys:
        return ""
    return " (" + translate(gettext_noop("Sources")) + ": " + ", ".join(keys) + ")"


_RISK_HEADINGS: dict[RiskKind, str] = {
    "expected": gettext_noop("Common effects that usually pass on their own"),
    "review": gettext_noop("Less common effects: show them to the clinic"),
    "urgent": gettext_noop("Warning signs: get help quickly"),
}


def treatment_sections(
    content: TreatmentConsent, translate: Translate = _identity
) -> list[tuple[str, list[str]]]:
    """The text as (heading, lines), in the order the patient reads it."""
    t = translate
    sections: list[tuple[str, list[str]]] = []
    about = [t(content.summary) + _cite(content.summary_sources, t)]
    for offered in content.offered:
        about.append(
            _say(
                Message(
                    gettext_noop("%(name)s, at: %(areas)s."),
                    (("name", t(offered.name)), ("areas", ", ".join(t(a) for a in offered.areas))),
                ),
                t,
            )
            + " "
            + " ".join(
                [
                    _say(offered.sessions, t),
                    *(_say(s, t) for s in offered.steps),
                    _say(offered.minutes, t),
                    _say(
                        Message(
                            gettext_noop("Given by: %(techniques)s."),
                            # Technique names hold commas of their own.
                            (("techniques", "; ".join(t(x) for x in offered.techniques)),),
                        ),
                        t,
                    ),
                ]
            )
            + _cite(offered.sources, t)
        )
    sections.append((t(gettext_noop("What the treatment is")), about))
    sections.append(
        (
            t(gettext_noop("How strong the evidence is")),
            [t(content.evidence) + _cite(content.evidence_sources, t)],
        )
    )
    for kind, heading in _RISK_HEADINGS.items():
        lines = []
        for risk in content.risks:
            if risk.kind != kind:
                continue
            course = " ".join(_say(m, t) + "." for m in risk.usual_course)
            parts = [f"{t(risk.name)}: {t(risk.advice)}", course, t(risk.see_doctor)]
            lines.append(" ".join(p for p in parts if p) + _cite(risk.sources, t))
        if lines:
            sections.append((t(heading), lines))
    if content.rules:
        sections.append(
            (
                t(gettext_noop("What the law says here")),
                [t(r.summary) + _cite(r.sources, t) for r in content.rules],
            )
        )
    choices = [
        f"{t(a.name)}: {t(a.summary)} {t(a.compared)}" + _cite(a.sources, t)
        for a in content.alternatives
    ]
    choices.append(t(gettext_noop("Not having this treatment at all is always a choice.")))
    sections.append((t(gettext_noop("Other choices you have")), choices))
    sections.append((t(gettext_noop("By signing")), [_say(s, t) for s in content.statements]))
    return sections


def photo_sections(
    content: PhotoConsent, translate: Translate = _identity
) -> list[tuple[str, list[str]]]:
    sections = [
        (_say(s.heading, translate), [_say(line, translate) for line in s.lines])
        for s in content.sections
    ]
    sections.append(
        (translate(gettext_noop("By signing")), [_say(s, translate) for s in content.statements])
    )
    return sections


def body(sections: Sequence[tuple[str, Sequence[str]]]) -> str:
    """Sections as plain text: a heading line, then one line per item, a
    blank line between sections (``parse_body`` reads it back)."""
    return "\n\n".join("\n".join([heading, *lines]) for heading, lines in sections)


def parse_body(text: str) -> list[tuple[str, list[str]]]:
    """The (heading, lines) of a ``body``; a section without lines keeps
    its heading alone."""
    out = []
    for block in text.split("\n\n"):
        heading, *lines = block.split("\n")
        out.append((heading, lines))
    return out
