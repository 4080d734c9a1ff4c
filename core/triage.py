"""Triage of a reported side effect against its expected course.

Three levels, as the issue's safety brief and the catalog define them:

- ``urgent``: the clinic is alerted now. Any warning sign ticked
  (warning_signs.toml: fever, spreading redness, a hot swelling, pus, a
  painful lump, skin breaking, trouble breathing), or an effect the catalog
  marks as a red flag (infection, nodules, the mycobacterial infection, an
  allergic reaction, ulceration, difficulty swallowing).
- ``review``: a practitioner looks within a day. An expected effect past
  its usual course (``review_after_hours``, else the end of ``lasts_hours``)
  or one that started after it should already have ended; one severe
  enough to stop the patient's daily routine (aftercare.toml
  [call_if_disrupting]); an effect the catalog does not expect; something
  the patient describes in their own words.
- ``expected``: reassure, with the effect's advice and when to call.

Hours count from the end of the session. The verdict supports the
practitioner's judgement; it never replaces it: every level short of
urgent can be raised by the practitioner who reviews the event.

Reasons are Messages (English with placeholders, marked for translation)
so a page shows them in the reader's language.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from core.catalog.model import Catalog, SideEffect
from core.planning import Message, gettext_noop

Level = Literal["expected", "review", "urgent"]
LEVELS: tuple[Level, ...] = ("expected", "review", "urgent")
SEVERITIES = ("mild", "moderate", "severe")
OTHER = "other"
# "A practitioner must look within a day" (the issue); urgent: now.
REVIEW_WITHIN_HOURS = 24


class TriageError(ValueError):
    """The report cannot be triaged; ``field`` names the input to blame."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class TriageInput:
    effect: str  # a catalog side-effect key, or "other"
    hours_since_session: float  # when reported, from the end of the session
    onset_hours: float | None  # when it started, from the end of the session
    signs: tuple[str, ...]
    severity: str  # one of SEVERITIES
    indication: str
    area: str
    actives: tuple[str, ...]


@dataclass(frozen=True)
class Reason:
    code: str
    message: Message
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Triage:
    level: Level
    effect_key: str  # the effect as triaged (a refinement where one applies), or "other"
    effect_name: str
    reasons: tuple[Reason, ...]
    advice: str  # the effect's advice ("" for "other")
    see_doctor: str
    sign_advice: tuple[str, ...]  # the advice of each warning sign ticked
    emergency: bool  # a sign says: call the local emergency number first
    review_within_hours: int | None  # 0: now; None: no review needed


def applicable_effects(
    catalog: Catalog, indication: str, area: str, actives: Iterable[str]
) -> dict[str, SideEffect]:
    """The side effects that apply to a session, a refinement replacing the
    general effect it refines (deoxycholate swelling for swelling).
    Raises KeyError for an unknown area."""
    region = catalog.areas[area].region
    given = frozenset(actives)
    found = {
        k: se
        for k, se in catalog.side_effects.items()
        if se.scope.matches(indication, area, region, given)
    }
    refined = {se.refines for se in found.values() if se.refines}
    return {k: se for k, se in found.items() if k not in refined}


def effects_for(
    catalog: Catalog, indication: str, area: str, actives: Iterable[str]
) -> list[SideEffect]:
    """The effects a patient may report after this session, in catalog order."""
    return list(applicable_effects(catalog, indication, area, actives).values())


def _resolve(catalog: Catalog, key: str, applicable: dict[str, SideEffect]) -> SideEffect:
    if key in applicable:
        return applicable[key]
    # A general effect whose refinement applies: "swelling" after deoxycholate.
    for se in applicable.values():
        if se.refines == key:
            return se
    # An effect outside the session's scope is still triaged on its own course.
    return catalog.side_effects[key]


def _limit(effect: SideEffect) -> int | None:
    """Hours after the session past which an expected effect is reviewed."""
    if effect.review_after_hours is not None:
        return effect.review_after_hours
    if effect.lasts_hours is not None:
        return effect.lasts_hours.max if effect.lasts_hours.max is not None else None
    return None


def triage(catalog: Catalog, report: TriageInput) -> Triage:
    """The level of a reported effect, with the reasons and the advice.
    Raises TriageError naming the field for an unknown effect, sign, or
    severity, or a time before the session."""
    if report.severity not in SEVERITIES:
        raise TriageError("severity", f"Choose one of: {', '.join(SEVERITIES)}.")
    unknown = [s for s in report.signs if s not in catalog.warning_signs]
    if unknown:
        raise TriageError("signs", f"Unknown warning sign: {unknown[0]}.")
    if report.effect != OTHER and report.effect not in catalog.side_effects:
        raise TriageError("effect", f"Unknown side effect: {report.effect}.")
    if report.hours_since_session < 0:
        raise TriageError("reported_at", "A side effect is reported after the session.")
    if report.area not in catalog.areas:
        raise TriageError("area", f"Unknown area: {report.area}.")

    reasons: list[Reason] = []
    signs = [catalog.warning_signs[s] for s in dict.fromkeys(report.signs)]
    for sign in signs:
        reasons.append(
            Reason(
                "warning_sign",
                Message(gettext_noop("Warning sign: %(sign)s"), (("sign", sign.question),)),
                sign.sources,
            )
        )

    applicable = applicable_effects(catalog, report.indication, report.area, report.actives)
    effect = None if report.effect == OTHER else _resolve(catalog, report.effect, applicable)
    level: Level = "urgent" if signs else "expected"

    if effect is None:
        reasons.append(
            Reason(
                "not_in_catalog",
                Message(
                    gettext_noop("Described in the patient's own words: a practitioner reads it.")
                ),
                (),
            )
        )
        level = max(level, "review", key=LEVELS.index)
    elif effect.red_flag:
        reasons.append(
            Reason(
                "red_flag",
                Message(
                    gettext_noop("%(effect)s needs a doctor quickly."),
                    (("effect", effect.name),),
                ),
                effect.sources,
            )
        )
        level = "urgent"
    elif not effect.expected:
        reasons.append(
            Reason(
                "not_expected",
                Message(
                    gettext_noop("%(effect)s is not part of the usual course after a session."),
                    (("effect", effect.name),),
                ),
                effect.sources,
            )
        )
        level = max(level, "review", key=LEVELS.index)
    else:
        limit = _limit(effect)
        hours = report.hours_since_session
        if limit is not None and hours > limit:
            reasons.append(
                Reason(
                    "lasting",
                    Message(
                        gettext_noop(
                            "%(effect)s is still there %(hours)s hours after the session; "
                            "it usually settles within %(limit)s hours."
                        ),
                        (("effect", effect.name), ("hours", int(hours)), ("limit", limit)),
                    ),
                    effect.sources,
                )
            )
            level = max(level, "review", key=LEVELS.index)
        # Starting later than the effect usually lasts is not its usual
        # course (redness that appears days after the session).
        started_late_after = limit if limit is not None else effect.onset_hours.max
        if (
            report.onset_hours is not None
            and started_late_after is not None
            and report.onset_hours > started_late_after
        ):
            reasons.append(
                Reason(
                    "late_onset",
                    Message(
                        gettext_noop(
                            "%(effect)s started %(hours)s hours after the session, later "
                            "than it usually lasts."
                        ),
                        (("effect", effect.name), ("hours", int(report.onset_hours))),
                    ),
                    effect.sources,
                )
            )
            level = max(level, "review", key=LEVELS.index)
        if level == "expected":
            reasons.append(
                Reason(
                    "within_course",
                    Message(
                        gettext_noop("%(effect)s within its usual course after a session."),
                        (("effect", effect.name),),
                    ),
                    effect.sources,
                )
            )

    if report.severity == "severe" and level == "expected":
        rule = catalog.aftercare.get("call_if_disrupting")
        reasons.append(
            Reason(
                "severe",
                Message(gettext_noop("Severe enough to get in the way of daily activities.")),
                rule.sources if rule else (),
            )
        )
        level = "review"

    return Triage(
        level=level,
        effect_key=effect.key if effect else OTHER,
        effect_name=effect.name if effect else "",
        reasons=tuple(reasons),
        advice=effect.advice if effect else "",
        see_doctor=effect.see_doctor if effect else "",
        sign_advice=tuple(sign.advice for sign in signs),
        emergency=any(sign.emergency for sign in signs),
        review_within_hours={"urgent": 0, "review": REVIEW_WITHIN_HOURS, "expected": None}[level],
    )
