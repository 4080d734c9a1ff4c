"""The knowledge catalog: clinical facts as plain, frozen data.

Every fact names its sources: a seed file name (``000_ceb4ff80bd68d871.txt``)
or a reference tag from DOMAIN.md (``KybellaLabel``). Texts are English here;
the Django layer translates them with gettext at display time.

Nothing here imports Django. Instances are built by ``core.catalog.load``,
which validates every cross-reference and range.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from typing import Literal


class Verdict(StrEnum):
    """Screening verdicts, mildest first: the worst finding decides."""

    ELIGIBLE = "eligible"
    CAUTION = "caution"
    DEFER = "defer"
    NOT_ELIGIBLE = "not_eligible"

    @property
    def severity(self) -> int:
        return _VERDICT_ORDER.index(self)


_VERDICT_ORDER = [Verdict.ELIGIBLE, Verdict.CAUTION, Verdict.DEFER, Verdict.NOT_ELIGIBLE]

SourceKind = Literal["seed", "literature", "label", "regulator", "low_authority"]
Region = Literal["face", "scalp", "body", "lips", "neck"]
EvidenceLevel = Literal["approved", "moderate", "limited", "weak", "none"]
Triage = Literal["expected", "review", "urgent"]
RegulatoryStatus = Literal["banned", "approved", "unlicensed", "warning"]
Rater = Literal["clinician", "patient"]


@dataclass(frozen=True)
class Source:
    """A document a fact comes from."""

    key: str
    title: str
    kind: SourceKind
    url: str = ""


@dataclass(frozen=True)
class IntRange:
    """An inclusive range of whole numbers; ``max`` None means no upper bound
    given by the sources."""

    min: int
    max: int | None

    def contains(self, value: int) -> bool:
        return value >= self.min and (self.max is None or value <= self.max)


@dataclass(frozen=True)
class FloatRange:
    min: float
    max: float


@dataclass(frozen=True)
class Scope:
    """Where a rule applies. An empty tuple means "any"."""

    indications: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()
    regions: tuple[Region, ...] = ()
    actives: tuple[str, ...] = ()

    def matches(
        self,
        indication: str,
        area: str,
        region: str,
        actives: frozenset[str] | tuple[str, ...],
    ) -> bool:
        if self.indications and indication not in self.indications:
            return False
        if self.areas and area not in self.areas:
            return False
        if self.regions and region not in self.regions:
            return False
        return not (self.actives and not set(self.actives) & set(actives))

    @property
    def is_any(self) -> bool:
        return not (self.indications or self.areas or self.regions or self.actives)


@dataclass(frozen=True)
class Area:
    """A part of the body that is treated; ``diagram`` picks the chart drawing."""

    key: str
    name: str
    region: Region
    diagram: Literal["face", "scalp", "body"]
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Evidence:
    level: EvidenceLevel
    summary: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Indication:
    key: str
    name: str
    summary: str
    includes: tuple[str, ...]  # what patients call it: fine lines, glow, tan...
    areas: tuple[str, ...]
    lipolytic: bool  # fat-dissolving: what some countries ban
    evidence: Evidence
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Active:
    key: str
    name: str
    group: str  # vitamin, mineral, amino acid, lipolytic, lightening, medicine, ...
    purposes: tuple[str, ...]  # indication keys
    lipolytic: bool
    prescription: bool  # a prescription medicine (minoxidil, finasteride, ...)
    note: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Technique:
    key: str
    name: str
    delivery: Literal["needle", "microneedling", "needle_free", "jet"]
    device: str  # "" for a hand-held syringe
    description: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Needle:
    gauge: tuple[int, ...]  # e.g. (27,) or (30, 31, 32)
    length_mm: FloatRange
    angle_degrees: IntRange | None
    sources: tuple[str, ...]


@dataclass(frozen=True)
class DepthTier:
    key: str
    name: str
    depth_mm: FloatRange
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Phase:
    """A run of sessions at one interval.

    ``sessions`` is how many sessions this phase holds after the first
    session of the course; None on the last phase means "the rest".
    ``interval_days.max`` None means the sources set only a minimum
    ("at least a month apart").
    """

    name: str
    interval_days: IntRange
    sessions: int | None


@dataclass(frozen=True)
class Protocol:
    key: str
    name: str
    indication: str
    areas: tuple[str, ...]
    actives: tuple[str, ...]
    techniques: tuple[str, ...]
    needle: Needle
    depth: tuple[str, ...]  # depth tier keys
    volume_per_point_ml: FloatRange | None
    point_spacing_cm: FloatRange | None
    max_points: int | None
    sessions: IntRange
    default_sessions: int
    schedule: tuple[Phase, ...]
    procedure_minutes: IntRange
    numbing_minutes: IntRange
    maintenance: str
    notes: str
    default: bool  # the protocol proposed for its indication unless one is chosen
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Question:
    """A screening question; ``kind`` says the shape of its answer."""

    key: str
    text: str
    help: str
    kind: Literal["bool", "date", "areas", "medicines"]
    sources: tuple[str, ...]


@dataclass(frozen=True)
class SourcedVerdict:
    """A verdict another source gives for the same condition; a clinic may
    choose it instead of the default."""

    verdict: Verdict
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Contraindication:
    """A condition that changes the verdict.

    ``question`` is the answer key that reveals it. ``site_specific`` rules
    fire only when the condition is at the treated area (or its region).
    ``defer_days``/``defer_months`` count from the date the question
    answers (the last laser, say) to the earliest date a session may go
    ahead; they apply when ``verdict`` is DEFER. ``medicines`` (with a
    question of kind "medicines") names the medicine rules whose use by the
    planned date reveals the condition (anticoagulants, say).
    """

    key: str
    name: str
    question: str
    verdict: Verdict
    temporary: bool
    site_specific: bool
    scope: Scope
    defer_days: int
    defer_months: int
    message: str  # to the patient: plain, kind, exact
    clinician_note: str
    alternatives: tuple[SourcedVerdict, ...]
    sources: tuple[str, ...]
    medicines: tuple[str, ...] = ()


@dataclass(frozen=True)
class MedicineRule:
    """A medicine or habit to pause before a session.

    A dose taken fewer than ``pause_days`` before the session defers it to
    ``last dose + pause_days``. When the medicine was prescribed, the patient
    is never told to stop it: ``prescribed_verdict`` applies and
    ``prescribed_message`` tells them to speak to their prescriber.
    ``caution_days`` (habits such as alcohol): a dose within that many days
    gives a caution, not a deferral. ``prescription_only`` medicines
    (anticoagulants) are always treated as prescribed, whatever the answer
    says, so no patient is ever told to pause one; their ``pause_days`` may
    be 0 when the sources give none.
    """

    key: str
    name: str
    examples: tuple[str, ...]
    kind: Literal["medicine", "supplement", "habit"]
    pause_days: int
    alternatives_pause_days: tuple[tuple[int, tuple[str, ...]], ...]
    caution_days: int
    may_be_prescribed: bool
    prescribed_verdict: Verdict
    scope: Scope
    message: str
    prescribed_message: str
    sources: tuple[str, ...]
    prescription_only: bool = False


@dataclass(frozen=True)
class SideEffect:
    """An effect after a session and its expected course, in hours.

    ``expected`` effects within ``lasts_hours.max`` (or ``review_after_hours``)
    are reassured; past it they go for review; ``red_flag`` effects are urgent
    at any time; the others (neither) always go for review.

    Hours count from the end of the session. ``onset_hours.max`` None means
    the sources do not say how late it may start. ``refines`` names a general
    effect (``swelling``) that this scoped one (``deoxycholate_swelling``)
    replaces where both match: the more specific course wins.
    """

    key: str
    name: str
    expected: bool
    red_flag: bool
    onset_hours: IntRange
    peak_hours: IntRange | None
    lasts_hours: IntRange | None
    review_after_hours: int | None
    scope: Scope
    advice: str
    see_doctor: str
    sources: tuple[str, ...]
    refines: str = ""


@dataclass(frozen=True)
class WarningSign:
    """A sign a patient ticks when reporting a side effect; any one makes
    the report urgent. ``emergency``: call the local emergency number first."""

    key: str
    question: str
    advice: str
    emergency: bool
    sources: tuple[str, ...]


@dataclass(frozen=True)
class FollowUpStep:
    """A follow-up check-in, ``after_hours`` after the end of the session
    or of the course's latest session (``anchor``)."""

    key: str
    after_hours: int
    anchor: Literal["session", "last_session"]
    asks: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class AftercareRule:
    key: str
    text: str
    hours: int | None  # how long it applies; None: no fixed time
    scope: Scope
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Price:
    """A default price range in one currency, per session or per course."""

    key: str
    currency: str
    unit: Literal["session", "course"]
    amount: IntRange
    scope: Scope
    note: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Alternative:
    key: str
    name: str
    summary: str
    compared: str  # how it compares with mesotherapy
    indications: tuple[str, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Regulation:
    """What a country allows. ``lipolytic`` rules match every fat-dissolving
    active or indication; ``actives`` name specific ones."""

    key: str
    country: str  # ISO 3166-1 alpha-2
    status: RegulatoryStatus
    lipolytic: bool
    actives: tuple[str, ...]
    approved_areas: tuple[str, ...]  # for "approved": the only areas approved
    summary: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Answer:
    text: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Topic:
    """A question patients ask, answered from the sources. ``answers`` keep
    disagreeing sources side by side; ``sources_differ`` says they disagree,
    so the page can say so instead of blending them into one claim."""

    key: str
    question: str
    answers: tuple[Answer, ...]
    order: int
    sources_differ: bool = False


@dataclass(frozen=True)
class ScaleLabel:
    """What one point of a scale means (GAIS 1: "Very much improved")."""

    value: int
    text: str


@dataclass(frozen=True)
class MeasureItem:
    """One part of a composite score (a Hexsel item, rated 0-3)."""

    key: str
    name: str
    scale: IntRange  # always bounded


@dataclass(frozen=True)
class Measure:
    """An outcome measure rated at a session: GAIS for every indication, or
    the one that fits the indication (hair density for hair loss, say).

    ``scale`` is the range of the recorded value; ``scale.max`` None means a
    count with no upper bound the sources give (hairs per cm²). ``step`` is
    the smallest difference the scale records (0.1 for MASI). A composite
    measure lists its ``items``; its value is their sum. ``raters`` are who
    rates it (GAIS: clinician and patient). ``every_indication`` measures
    fit every indication; the others fit ``indications``.
    """

    key: str
    name: str
    abbreviation: str
    measures: str  # what it measures, in a sentence
    unit: str  # "" for points of a scale
    scale: IntRange
    step: Decimal
    higher_is_better: bool
    every_indication: bool
    indications: tuple[str, ...]
    raters: tuple[Rater, ...]
    labels: tuple[ScaleLabel, ...]
    items: tuple[MeasureItem, ...]
    note: str
    sources: tuple[str, ...]

    def fits(self, indication: str) -> bool:
        return self.every_indication or indication in self.indications

    def label(self, value: object) -> str:
        """The meaning of ``value`` on a labelled scale; "" when it has none."""
        for label in self.labels:
            if label.value == value:
                return label.text
        return ""


@dataclass(frozen=True)
class Catalog:
    sources: dict[str, Source]
    areas: dict[str, Area]
    indications: dict[str, Indication]
    actives: dict[str, Active]
    techniques: dict[str, Technique]
    depth_tiers: dict[str, DepthTier]
    protocols: dict[str, Protocol]
    questions: dict[str, Question]
    contraindications: dict[str, Contraindication]
    medicines: dict[str, MedicineRule]
    side_effects: dict[str, SideEffect]
    aftercare: dict[str, AftercareRule]
    prices: dict[str, Price]
    alternatives: dict[str, Alternative]
    regulations: dict[str, Regulation]
    topics: dict[str, Topic]
    measures: dict[str, Measure]
    warning_signs: dict[str, WarningSign]
    follow_ups: dict[str, FollowUpStep]

    @cached_property
    def texts(self) -> tuple[str, ...]:
        """Every text the catalog shows a person, for translation."""
        from core.catalog.validate import collect_texts

        return collect_texts(self)

    def protocols_for(self, indication: str, area: str) -> list[Protocol]:
        """The protocols for an indication at an area, the default first."""
        found = [
            p for p in self.protocols.values() if p.indication == indication and area in p.areas
        ]
        return sorted(found, key=lambda p: (not p.default, p.key))

    def default_protocol(self, indication: str, area: str) -> Protocol | None:
        """None when no protocol covers that indication at that area."""
        found = self.protocols_for(indication, area)
        return found[0] if found else None

    def regulations_for(self, country: str) -> list[Regulation]:
        return [r for r in self.regulations.values() if r.country == country.upper()]
