"""Self-screening: a patient's answers in, a verdict with its findings out.

``screen`` is pure. The caller passes today's date (``answered_on``) and the
clinic's country; nothing here reads the clock or a database. Each finding
names the catalog entry that raised it (its ``code``), its own verdict, a
plain-language message and its sources; the worst finding decides the
verdict of the whole screening.

Messages are the catalog's English texts. A message may hold
``{placeholders}`` (``{pause_days}``) filled from ``Finding.params``: the
Django layer translates the text first and fills it after, so a translation
keeps the number the clinic follows.

An unanswered question never counts as "no": each question that a rule in
scope reads and that was left out gives an "unanswered" finding with a
caution verdict (the clinician asks it before any treatment), so the
verdict can never be "eligible" on missing answers. The questionnaire page
requires every answer; the API accepts partial answers this way.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

from core.catalog.model import (
    Catalog,
    Contraindication,
    MedicineRule,
    Protocol,
    Question,
    SourcedVerdict,
    Verdict,
)
from core.regulation import RegulatoryNote, notes_for

DISCLAIMER = (
    "This screening supports your practitioner's judgement; it never replaces it. "
    "Your practitioner will go through your answers with you before any treatment."
)

# How far ahead a session may be planned, and how late an answered date may
# be; it keeps every date sum far from the end of the calendar.
MAX_DAYS_AHEAD = 730

# The lips are a region of their own for aftercare, but they sit in the face:
# an inflamed face is near the lips, and inflamed lips are near the face.
_SITE_OF_REGION = {"lips": "face"}


@dataclass(frozen=True)
class MedicineAnswer:
    """One medicine, supplement or habit from medicines.toml.

    ``last_dose`` None is allowed only when ``ongoing``: the pause then runs
    from the day of the screening.
    """

    medicine: str
    last_dose: date | None = None
    prescribed: bool = False
    ongoing: bool = False


# bool for "bool" questions, a date or None (never) for "date", area keys
# for "areas", MedicineAnswers for "medicines".
AnswerValue = bool | date | None | tuple[str, ...] | tuple[MedicineAnswer, ...]


@dataclass(frozen=True)
class ClinicPolicy:
    """Which source a clinic follows where the sources disagree.

    ``verdicts`` picks, per contraindication, one of the verdicts its
    sources give; ``pause_days`` picks, per medicine, one of its sourced
    pauses. Otherwise ``prefer_sources`` (in order) picks any alternative
    that cites one of them. Without either, the catalog's default holds.
    """

    verdicts: Mapping[str, Verdict] = field(default_factory=dict)
    pause_days: Mapping[str, int] = field(default_factory=dict)
    prefer_sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScreeningRequest:
    """``protocol`` None means the catalog's default protocol for the
    indication at the area; ``country`` "" means no country rules apply."""

    indication: str
    area: str
    planned_date: date
    answered_on: date
    answers: Mapping[str, AnswerValue]
    country: str = ""
    protocol: str | None = None
    policy: ClinicPolicy = field(default_factory=ClinicPolicy)


FindingKind = Literal["contraindication", "medicine", "regulation", "unanswered"]


UNANSWERED = (
    "This question was not answered, so it could not be checked. Your clinician will ask "
    "you about it before any treatment."
)


@dataclass(frozen=True)
class OtherView:
    """What another source says about the same finding, not followed here."""

    sources: tuple[str, ...]
    verdict: Verdict | None = None
    pause_days: int | None = None


@dataclass(frozen=True)
class Finding:
    """One reason for the verdict.

    ``earliest_date`` is set on a dated deferral; a deferral without one
    (an infection must heal first) says so in its message.
    ``last_dose_by`` is set when a medicine still taken must stop in time:
    the last day a dose may be taken for the planned date to hold.
    """

    code: str
    kind: FindingKind
    verdict: Verdict
    title: str
    message: str
    sources: tuple[str, ...]
    params: Mapping[str, int] = field(default_factory=dict)
    earliest_date: date | None = None
    last_dose_by: date | None = None
    clinician_note: str = ""
    other_views: tuple[OtherView, ...] = ()

    @property
    def text(self) -> str:
        """The English message with its placeholders filled."""
        return self.message.format(**self.params)


@dataclass(frozen=True)
class ScreeningResult:
    """``earliest_date`` is set only for a "defer" verdict whose every
    deferral has a date: the latest of them. The findings come worst first."""

    verdict: Verdict
    earliest_date: date | None
    findings: tuple[Finding, ...]
    protocol: Protocol
    indication: str
    area: str
    planned_date: date
    answered_on: date
    country: str
    disclaimer: str = DISCLAIMER


@dataclass(frozen=True)
class InputProblem:
    field: str  # dotted path: "area", "answers.medicines.0.last_dose"
    message: str


class ScreeningInputError(ValueError):
    """The request cannot be screened; ``problems`` name each bad field."""

    def __init__(self, problems: Sequence[InputProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in self.problems))

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(p.field for p in self.problems)


# Titles of the findings about the clinic's country; the texts are the
# regulations' own summaries.
REGULATION_FINDINGS: dict[str, tuple[str, Verdict, str]] = {
    "banned": ("not_offered_in_country", Verdict.NOT_ELIGIBLE, "Not offered in this country"),
    "off_label": ("off_label_in_country", Verdict.CAUTION, "Approved here for other areas only"),
    "warning": ("regulatory_warning", Verdict.CAUTION, "A regulator's warning"),
    "unlicensed": ("unlicensed_in_country", Verdict.CAUTION, "Not licensed in this country"),
}

# Every fixed English text this module shows a person, for translation.
FIXED_TEXTS: tuple[str, ...] = (DISCLAIMER, *(t for _, _, t in REGULATION_FINDINGS.values()))


def add_months(day: date, months: int) -> date:
    """``day`` plus whole calendar months. A day the target month lacks is
    clamped to its last day: 31 August + 6 months is 28 (or 29) February."""
    index = day.year * 12 + day.month - 1 + months
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


def worst(verdicts: Sequence[Verdict]) -> Verdict:
    """The most severe verdict; ELIGIBLE when there is none."""
    return max(verdicts, key=lambda v: v.severity, default=Verdict.ELIGIBLE)


def medicine_question(catalog: Catalog) -> Question | None:
    """The one question whose answer lists medicines; None if the catalog
    asks none (then no medicine rule can apply)."""
    return next((q for q in catalog.questions.values() if q.kind == "medicines"), None)


def relevant_questions(
    catalog: Catalog, indication: str, area: str, protocol: str | None = None
) -> tuple[Question, ...]:
    """The questions a screening of this indication at this area reads, in
    catalog order. Raises ScreeningInputError for an unknown indication,
    area or protocol."""
    found, problems = _protocol(catalog, indication, area, protocol)
    if found is None:
        raise ScreeningInputError(problems)
    return _relevant(catalog, indication, area, found)


def screen(catalog: Catalog, request: ScreeningRequest) -> ScreeningResult:
    """Screen one patient for one indication at one area.

    Raises ScreeningInputError naming every bad or missing field.
    """
    protocol, problems = _protocol(catalog, request.indication, request.area, request.protocol)
    problems += _check_dates(request)
    problems += _check_policy(catalog, request.policy)
    country = request.country.strip().upper()
    if country and not (len(country) == 2 and country.isascii() and country.isalpha()):
        problems.append(InputProblem("country", "Give a two-letter country code, such as IN."))
    if protocol is not None:
        relevant = _relevant(catalog, request.indication, request.area, protocol)
        problems += _check_answers(catalog, request, relevant)
    if problems or protocol is None:
        raise ScreeningInputError(problems)

    region = catalog.areas[request.area].region
    findings: list[Finding] = [
        Finding(
            code=f"unanswered.{question.key}",
            kind="unanswered",
            verdict=Verdict.CAUTION,
            title=question.text,
            message=UNANSWERED,
            sources=question.sources,
        )
        for question in relevant
        if question.key not in request.answers
    ]
    for ci in catalog.contraindications.values():
        if ci.scope.matches(request.indication, request.area, region, protocol.actives):
            finding = _contraindication(catalog, ci, request)
            if finding is not None:
                findings.append(finding)
    question = medicine_question(catalog)
    for answer in _items(request.answers.get(question.key) if question else None):
        if isinstance(answer, MedicineAnswer):
            rule = catalog.medicines[answer.medicine]
            if rule.scope.matches(request.indication, request.area, region, protocol.actives):
                finding = _medicine(rule, answer, request)
                if finding is not None:
                    findings.append(finding)
    if country:
        findings += _regulations(notes_for(catalog, country, protocol, request.area))

    # Worst first; among equals, the order above (catalog, then answers).
    findings.sort(key=lambda f: -f.verdict.severity)
    verdict = worst([f.verdict for f in findings])
    earliest = None
    if verdict is Verdict.DEFER:
        dates = [f.earliest_date for f in findings if f.verdict is Verdict.DEFER]
        if all(d is not None for d in dates):
            earliest = max(d for d in dates if d is not None)
    return ScreeningResult(
        verdict=verdict,
        earliest_date=earliest,
        findings=tuple(findings),
        protocol=protocol,
        indication=request.indication,
        area=request.area,
        planned_date=request.planned_date,
        answered_on=request.answered_on,
        country=country,
    )


# -- input ---------------------------------------------------------------


def _items(value: object) -> tuple[object, ...]:
    """The items of a list answer; nothing for any other answer."""
    return tuple(value) if isinstance(value, list | tuple) else ()


def _protocol(
    catalog: Catalog, indication: str, area: str, key: str | None
) -> tuple[Protocol | None, list[InputProblem]]:
    if indication not in catalog.indications:
        return None, [InputProblem("indication", f"Unknown indication '{indication}'.")]
    if area not in catalog.indications[indication].areas:
        known = ", ".join(catalog.indications[indication].areas)
        message = f"'{area}' is not an area for this indication; choose one of: {known}."
        return None, [InputProblem("area", message)]
    if key is None:
        protocol = catalog.default_protocol(indication, area)
        if protocol is None:
            return None, [InputProblem("area", "No protocol covers this indication here.")]
        return protocol, []
    protocol = catalog.protocols.get(key)
    if protocol is None:
        return None, [InputProblem("protocol", f"Unknown protocol '{key}'.")]
    if protocol.indication != indication or area not in protocol.areas:
        return None, [InputProblem("protocol", "This protocol is not for this indication here.")]
    return protocol, []


def _check_dates(request: ScreeningRequest) -> list[InputProblem]:
    problems = []
    if _is_date(request.answered_on) and _is_date(request.planned_date):
        if request.planned_date < request.answered_on:
            problems.append(InputProblem("planned_date", "The planned date is in the past."))
        elif request.planned_date > request.answered_on + timedelta(days=MAX_DAYS_AHEAD):
            message = f"The planned date is more than {MAX_DAYS_AHEAD} days ahead."
            problems.append(InputProblem("planned_date", message))
    else:
        problems.append(InputProblem("planned_date", "Give a date."))
    return problems


def _check_policy(catalog: Catalog, policy: ClinicPolicy) -> list[InputProblem]:
    problems = []
    for key, verdict in policy.verdicts.items():
        ci = catalog.contraindications.get(key)
        if ci is None:
            problems.append(InputProblem(f"policy.verdicts.{key}", "Unknown contraindication."))
        elif verdict not in {ci.verdict, *(a.verdict for a in ci.alternatives)}:
            message = "No source gives this verdict for this contraindication."
            problems.append(InputProblem(f"policy.verdicts.{key}", message))
    for key, days in policy.pause_days.items():
        rule = catalog.medicines.get(key)
        if rule is None:
            problems.append(InputProblem(f"policy.pause_days.{key}", "Unknown medicine."))
        elif days not in {rule.pause_days, *(d for d, _ in rule.alternatives_pause_days)}:
            message = "No source gives this pause for this medicine."
            problems.append(InputProblem(f"policy.pause_days.{key}", message))
    for n, source in enumerate(policy.prefer_sources):
        if source not in catalog.sources:
            problems.append(InputProblem(f"policy.prefer_sources.{n}", "Unknown source."))
    return problems


def _relevant(
    catalog: Catalog, indication: str, area: str, protocol: Protocol
) -> tuple[Question, ...]:
    region = catalog.areas[area].region
    keys = {
        ci.question
        for ci in catalog.contraindications.values()
        if ci.scope.matches(indication, area, region, protocol.actives)
    }
    question = medicine_question(catalog)
    if question is not None and any(
        m.scope.matches(indication, area, region, protocol.actives)
        for m in catalog.medicines.values()
    ):
        keys.add(question.key)
    return tuple(q for q in catalog.questions.values() if q.key in keys)


def _is_date(value: object) -> bool:
    # A datetime is a date too, but a time of day has no meaning here.
    return isinstance(value, date) and not isinstance(value, datetime)


def _check_answers(
    catalog: Catalog, request: ScreeningRequest, relevant: tuple[Question, ...]
) -> list[InputProblem]:
    problems = []
    latest = request.answered_on + timedelta(days=MAX_DAYS_AHEAD)
    for key, value in request.answers.items():
        where = f"answers.{key}"
        question = catalog.questions.get(key)
        if question is None:
            problems.append(InputProblem(where, "Unknown question."))
        elif question.kind == "bool":
            if not isinstance(value, bool):
                problems.append(InputProblem(where, "Answer yes (true) or no (false)."))
        elif question.kind == "date":
            if value is not None and not _is_date(value):
                problems.append(InputProblem(where, "Give a date, or nothing for never."))
            elif isinstance(value, date) and value > latest:
                problems.append(InputProblem(where, "This date is too far ahead."))
        elif question.kind == "areas":
            if not isinstance(value, tuple | list) or not all(isinstance(a, str) for a in value):
                problems.append(InputProblem(where, "Give a list of areas."))
            else:
                for n, area in enumerate(value):
                    if area not in catalog.areas:
                        problems.append(InputProblem(f"{where}.{n}", f"Unknown area '{area}'."))
        else:
            problems += _check_medicines(catalog, where, value, latest)
    return problems


def _check_medicines(
    catalog: Catalog, where: str, value: object, latest: date
) -> list[InputProblem]:
    if not isinstance(value, tuple | list) or not all(isinstance(m, MedicineAnswer) for m in value):
        return [InputProblem(where, "Give a list of medicines.")]
    problems = []
    seen: set[str] = set()
    for n, answer in enumerate(value):
        at = f"{where}.{n}"
        rule = catalog.medicines.get(answer.medicine)
        if rule is None:
            problems.append(
                InputProblem(f"{at}.medicine", f"Unknown medicine '{answer.medicine}'.")
            )
            continue
        if answer.medicine in seen:
            problems.append(InputProblem(f"{at}.medicine", "This medicine is listed twice."))
        seen.add(answer.medicine)
        if not isinstance(answer.prescribed, bool) or not isinstance(answer.ongoing, bool):
            problems.append(InputProblem(at, "Answer prescribed and ongoing with true or false."))
        if answer.last_dose is None:
            if not answer.ongoing:
                message = "Give the date of the last dose, or say it is ongoing."
                problems.append(InputProblem(f"{at}.last_dose", message))
        elif not _is_date(answer.last_dose):
            problems.append(InputProblem(f"{at}.last_dose", "Give a date."))
        elif answer.last_dose > latest:
            problems.append(InputProblem(f"{at}.last_dose", "This date is too far ahead."))
        if answer.prescribed is True and not rule.may_be_prescribed:
            message = f"'{rule.name}' is not something a doctor prescribes."
            problems.append(InputProblem(f"{at}.prescribed", message))
    return problems


# -- choosing between sources -------------------------------------------


def _chosen_verdict(
    ci: Contraindication, policy: ClinicPolicy
) -> tuple[SourcedVerdict, tuple[OtherView, ...]]:
    options = [SourcedVerdict(ci.verdict, ci.sources), *ci.alternatives]
    chosen = options[0]
    wanted = policy.verdicts.get(ci.key)
    if wanted is not None:
        chosen = next(o for o in options if o.verdict is wanted)
    else:
        preferred = next(
            (a for s in policy.prefer_sources for a in ci.alternatives if s in a.sources), None
        )
        chosen = preferred or chosen
    others = tuple(OtherView(o.sources, verdict=o.verdict) for o in options if o is not chosen)
    return chosen, others


def _chosen_pause(
    rule: MedicineRule, policy: ClinicPolicy
) -> tuple[int, tuple[str, ...], tuple[OtherView, ...]]:
    options = [(rule.pause_days, rule.sources), *rule.alternatives_pause_days]
    chosen = options[0]
    wanted = policy.pause_days.get(rule.key)
    if wanted is not None:
        chosen = next(o for o in options if o[0] == wanted)
    else:
        preferred = next(
            (a for s in policy.prefer_sources for a in rule.alternatives_pause_days if s in a[1]),
            None,
        )
        chosen = preferred or chosen
    others = tuple(OtherView(o[1], pause_days=o[0]) for o in options if o is not chosen)
    return chosen[0], chosen[1], others


# -- findings ------------------------------------------------------------


def _site(catalog: Catalog, area: str) -> str:
    region = catalog.areas[area].region
    return _SITE_OF_REGION.get(region, region)


def _contraindication(
    catalog: Catalog, ci: Contraindication, request: ScreeningRequest
) -> Finding | None:
    """The finding ``ci`` raises for these answers, or None if it does not
    fire (a "no", no date, a date long enough ago, an infection elsewhere)."""
    question = catalog.questions[ci.question]
    answer = request.answers.get(ci.question)
    earliest: date | None = None
    if question.kind == "bool":
        fires = answer is True
    elif question.kind == "date":
        if not _is_date(answer):
            return None
        assert isinstance(answer, date)
        if ci.defer_days or ci.defer_months:
            earliest = add_months(answer, ci.defer_months) + timedelta(days=ci.defer_days)
            fires = earliest > request.planned_date
        else:
            fires = True
    elif question.kind == "areas":
        areas = [a for a in _items(answer) if isinstance(a, str)]
        if ci.site_specific:
            here = _site(catalog, request.area)
            fires = any(a == request.area or _site(catalog, a) == here for a in areas)
        else:
            fires = bool(areas)
    else:
        fires = any(
            isinstance(m, MedicineAnswer)
            and m.medicine in ci.medicines
            and _in_use(catalog.medicines[m.medicine], m, request)
            for m in _items(answer)
        )
    if not fires:
        return None
    chosen, others = _chosen_verdict(ci, request.policy)
    return Finding(
        code=ci.key,
        kind="contraindication",
        verdict=chosen.verdict,
        title=ci.name,
        message=ci.message,
        sources=chosen.sources,
        earliest_date=earliest if chosen.verdict is Verdict.DEFER else None,
        clinician_note=ci.clinician_note,
        other_views=others,
    )


def _in_use(rule: MedicineRule, answer: MedicineAnswer, request: ScreeningRequest) -> bool:
    """Still taken, or taken too close to the planned date to have worn off
    by the sources' measure (the longest pause or caution they give). When
    the sources give no measure (antiplatelets), any dose reported counts:
    the practitioner judges, not the arithmetic."""
    if answer.ongoing or answer.last_dose is None:
        return True
    window = max(rule.pause_days, rule.caution_days, *(d for d, _ in rule.alternatives_pause_days))
    return window == 0 or answer.last_dose + timedelta(days=window) > request.planned_date


def _medicine(
    rule: MedicineRule, answer: MedicineAnswer, request: ScreeningRequest
) -> Finding | None:
    """The finding one medicine answer raises, or None if its pause is over
    by the planned date. A prescribed medicine is never paused by the
    patient: it gets ``prescribed_verdict`` and ``prescribed_message``."""
    if answer.prescribed or rule.prescription_only:
        if not _in_use(rule, answer, request):
            return None
        return Finding(
            code=rule.key,
            kind="medicine",
            verdict=rule.prescribed_verdict,
            title=rule.name,
            message=rule.prescribed_message,
            sources=rule.sources,
        )
    pause, sources, others = _chosen_pause(rule, request.policy)
    planned = request.planned_date
    if answer.ongoing or answer.last_dose is None:
        # Still taken: the earliest the patient can stop is today.
        start = max(answer.last_dose or request.answered_on, request.answered_on)
    else:
        start = answer.last_dose
    earliest = start + timedelta(days=pause)

    def finding(
        verdict: Verdict, earliest_date: date | None = None, last_dose_by: date | None = None
    ) -> Finding:
        return Finding(
            code=rule.key,
            kind="medicine",
            verdict=verdict,
            title=rule.name,
            message=rule.message,
            sources=sources,
            params={"pause_days": pause, "caution_days": rule.caution_days},
            earliest_date=earliest_date,
            last_dose_by=last_dose_by,
            other_views=others,
        )

    if earliest > planned:
        return finding(Verdict.DEFER, earliest_date=earliest)
    if answer.ongoing:
        return finding(Verdict.CAUTION, last_dose_by=planned - timedelta(days=pause))
    if rule.caution_days and start + timedelta(days=rule.caution_days) > planned:
        return finding(Verdict.CAUTION)
    return None


def _regulations(notes: list[RegulatoryNote]) -> list[Finding]:
    findings = []
    for note in notes:
        if note.status not in REGULATION_FINDINGS:
            continue  # "approved" here: nothing to say
        code, verdict, title = REGULATION_FINDINGS[note.status]
        findings.append(
            Finding(
                code=code,
                kind="regulation",
                verdict=verdict,
                title=title,
                message=note.summary,
                sources=note.sources,
                clinician_note=f"{note.key} ({note.country}, {note.status})",
            )
        )
    return findings
