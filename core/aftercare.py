"""Aftercare: the rules that apply after a session at one area, and the
sheet a patient takes home.

A rule applies when its scope matches the session's indication, area, the
area's region and the actives injected. Rules come back in the order of
aftercare.toml, which is the order of the aftercare sheet.

The sheet (``sheet``) is built from the catalog alone, per chart (one area):

- what to do and avoid: the rules, each timed one with the moment it ends
  (the session's end plus its ``hours``);
- what is normal: the expected side effects that apply to the session (a
  scoped refinement replacing the general effect it refines, as the triage,
  the consent and the education pages have it), with their usual course;
- when to call the clinic: the warning signs of the red-flag effects first,
  then the rules whose key starts with ``call_``, then the effects that are
  not expected, each with what the catalog says to do;
- the sources of all of the above, once each, in the order they are cited.

Texts are the catalog's English; the Django layer translates them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from core.catalog.model import AftercareRule, Catalog, Protocol, SideEffect, Source

if TYPE_CHECKING:
    from core.planning import Message

# aftercare.toml names the rules that say when to call the clinic "call_...":
# they go to the sheet's last section, not to what to do and avoid.
CALL_PREFIX = "call_"

CallLevel = Literal["urgent", "call"]


def rules_for(
    catalog: Catalog, indication: str, area: str, actives: Iterable[str] = ()
) -> tuple[AftercareRule, ...]:
    """The aftercare rules for a session; raises KeyError for an unknown area."""
    region = catalog.areas[area].region
    given = frozenset(actives)
    return tuple(
        rule
        for rule in catalog.aftercare.values()
        if rule.scope.matches(indication, area, region, given)
    )


def rules_for_protocol(
    catalog: Catalog, protocol: Protocol, area: str
) -> tuple[AftercareRule, ...]:
    return rules_for(catalog, protocol.indication, area, protocol.actives)


def ends_at(rule: AftercareRule, session_end: datetime) -> datetime | None:
    """When the rule stops applying; None for a rule with no fixed time."""
    if rule.hours is None:
        return None
    return session_end + timedelta(hours=rule.hours)


def is_call_rule(rule: AftercareRule) -> bool:
    return rule.key.startswith(CALL_PREFIX)


# -- the sheet ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    """Something to do or avoid; ``ends_at`` None: no fixed time."""

    key: str
    text: str
    hours: int | None
    ends_at: datetime | None
    sources: tuple[str, ...]


@dataclass(frozen=True)
class NormalEffect:
    """An expected effect: what it is like (``advice``), how long it usually
    lasts where the catalog gives both ends (``usual_course``, () otherwise),
    and when it stops being normal (``see_doctor``)."""

    key: str
    name: str
    advice: str
    usual_course: tuple[Message, ...]
    see_doctor: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class CallReason:
    """A reason to call the clinic. From an effect: ``name`` and ``about``
    (what it looks like) are the effect's, ``text`` its ``see_doctor``; from
    a rule: ``name`` and ``about`` are "" and ``text`` is the rule's.
    ``level`` "urgent": a red flag, get help quickly."""

    key: str
    level: CallLevel
    name: str
    text: str
    about: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Sheet:
    indication: str
    indication_name: str
    area: str
    area_name: str
    actives: tuple[str, ...]
    session_end: datetime
    do_and_avoid: tuple[Instruction, ...]
    normal: tuple[NormalEffect, ...]
    call: tuple[CallReason, ...]
    sources: tuple[Source, ...]  # every source cited above, once each

    @property
    def timed(self) -> tuple[Instruction, ...]:
        return tuple(i for i in self.do_and_avoid if i.ends_at is not None)

    @property
    def urgent(self) -> tuple[CallReason, ...]:
        return tuple(c for c in self.call if c.level == "urgent")


def _call(effect: SideEffect, level: CallLevel) -> CallReason:
    return CallReason(
        key=effect.key,
        level=level,
        name=effect.name,
        text=effect.see_doctor,
        about=effect.advice,
        sources=effect.sources,
    )


def sheet(
    catalog: Catalog,
    indication: str,
    area: str,
    actives: Iterable[str],
    session_end: datetime,
) -> Sheet:
    """The aftercare sheet of a session at ``area``. Raises KeyError for an
    unknown area and ValueError for a ``session_end`` without a time zone
    (every time a patient reads is the clinic's local time, with its zone)."""
    # Imported here: core.planning imports this module (a plan lists its
    # aftercare), and core.consent and core.triage import core.planning.
    from core.consent import usual_course
    from core.triage import effects_for

    if session_end.tzinfo is None or session_end.utcoffset() is None:
        raise ValueError("session_end must carry its time zone.")
    given = tuple(dict.fromkeys(actives))
    rules = rules_for(catalog, indication, area, given)
    effects = effects_for(catalog, indication, area, given)

    do_and_avoid = tuple(
        Instruction(r.key, r.text, r.hours, ends_at(r, session_end), r.sources)
        for r in rules
        if not is_call_rule(r)
    )
    normal = tuple(
        NormalEffect(
            key=se.key,
            name=se.name,
            advice=se.advice,
            usual_course=usual_course(se),
            see_doctor=se.see_doctor,
            sources=se.sources,
        )
        for se in effects
        if se.expected and not se.red_flag
    )
    call_rules = tuple(
        CallReason(r.key, "call", "", r.text, "", r.sources) for r in rules if is_call_rule(r)
    )
    call = (
        *(_call(se, "urgent") for se in effects if se.red_flag),
        *call_rules,
        *(_call(se, "call") for se in effects if not se.expected and not se.red_flag),
    )
    cited = [
        *(s for i in do_and_avoid for s in i.sources),
        *(s for n in normal for s in n.sources),
        *(s for c in call for s in c.sources),
    ]
    found = catalog.indications.get(indication)
    return Sheet(
        indication=indication,
        indication_name=found.name if found else indication,
        area=area,
        area_name=catalog.areas[area].name,
        actives=given,
        session_end=session_end,
        do_and_avoid=do_and_avoid,
        normal=normal,
        call=call,
        sources=tuple(catalog.sources[key] for key in dict.fromkeys(cited)),
    )
