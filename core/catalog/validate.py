"""Cross-checks over a whole catalog: references, sources and ranges.

Each problem raises CatalogError naming the file and entry, so a broken
catalog fails loudly at start instead of giving a wrong answer later.
"""

from __future__ import annotations

from collections.abc import Iterable

from core.catalog.load import CatalogError
from core.catalog.model import Catalog, FollowUpStep, Measure, Scope, Verdict


def _refs(where: str, kind: str, keys: Iterable[str], known: Iterable[str]) -> None:
    known_set = set(known)
    for key in keys:
        if key not in known_set:
            raise CatalogError(f"{where}: unknown {kind} '{key}'")


def _sources(catalog: Catalog, where: str, keys: Iterable[str]) -> None:
    keys = tuple(keys)
    if not keys:
        raise CatalogError(f"{where}: no sources")
    _refs(where, "source", keys, catalog.sources)


def _scope(catalog: Catalog, where: str, scope: Scope) -> None:
    _refs(where, "indication", scope.indications, catalog.indications)
    _refs(where, "area", scope.areas, catalog.areas)
    _refs(where, "active", scope.actives, catalog.actives)
    regions = {a.region for a in catalog.areas.values()}
    _refs(where, "region", scope.regions, regions)


def validate(c: Catalog) -> None:
    for s in c.sources.values():
        if s.kind == "seed" and not s.key.endswith(".txt"):
            raise CatalogError(f"sources.toml [{s.key}]: a seed source is named by its file")

    for a in c.areas.values():
        _sources(c, f"areas.toml [{a.key}]", a.sources)

    for i in c.indications.values():
        where = f"indications.toml [{i.key}]"
        _sources(c, where, i.sources)
        _sources(c, where + ".evidence", i.evidence.sources)
        _refs(where, "area", i.areas, c.areas)
        if not i.areas:
            raise CatalogError(f"{where}: no areas")

    for act in c.actives.values():
        where = f"actives.toml [{act.key}]"
        _sources(c, where, act.sources)
        _refs(where, "indication", act.purposes, c.indications)

    for t in c.techniques.values():
        _sources(c, f"techniques.toml [{t.key}]", t.sources)
    for d in c.depth_tiers.values():
        _sources(c, f"depth_tiers.toml [{d.key}]", d.sources)

    covered: dict[tuple[str, str], int] = {}
    for p in c.protocols.values():
        where = f"protocols.toml [{p.key}]"
        _sources(c, where, p.sources)
        _sources(c, where + ".needle", p.needle.sources)
        _refs(where, "indication", [p.indication], c.indications)
        _refs(where, "active", p.actives, c.actives)
        _refs(where, "technique", p.techniques, c.techniques)
        _refs(where, "depth tier", p.depth, c.depth_tiers)
        _refs(where, "area of its indication", p.areas, c.indications[p.indication].areas)
        if not p.areas or not p.actives or not p.techniques:
            raise CatalogError(f"{where}: needs areas, actives and techniques")
        if p.sessions.max is None or p.sessions.min < 1:
            raise CatalogError(f"{where}: sessions must be [min >= 1, max]")
        if not p.sessions.contains(p.default_sessions):
            raise CatalogError(
                f"{where}: default_sessions {p.default_sessions} is outside sessions "
                f"[{p.sessions.min}, {p.sessions.max}]"
            )
        if not p.schedule:
            raise CatalogError(f"{where}: empty schedule")
        if p.schedule[-1].sessions is not None:
            raise CatalogError(f"{where}: the last phase of the schedule must hold 'the rest'")
        previous = None
        for n, phase in enumerate(p.schedule):
            if phase.sessions is None and n != len(p.schedule) - 1:
                raise CatalogError(f"{where}: only the last phase may hold 'the rest'")
            if phase.sessions == 0:
                raise CatalogError(f"{where}: phase '{phase.name}' has no sessions")
            if phase.interval_days.min < 1:
                raise CatalogError(f"{where}: phase '{phase.name}' interval must be >= 1 day")
            if previous is not None:
                shrinks_min = phase.interval_days.min < previous.interval_days.min
                prev_max, this_max = previous.interval_days.max, phase.interval_days.max
                shrinks_max = (prev_max is None and this_max is not None) or (
                    prev_max is not None and this_max is not None and this_max < prev_max
                )
                if shrinks_min or shrinks_max:
                    raise CatalogError(
                        f"{where}: phase '{phase.name}' has shorter intervals than "
                        f"'{previous.name}': a course's intervals never shrink"
                    )
            previous = phase
        if p.procedure_minutes.max is None or p.numbing_minutes.max is None:
            raise CatalogError(f"{where}: procedure and numbing minutes need a maximum")
        if p.default:
            for area in p.areas:
                covered[(p.indication, area)] = covered.get((p.indication, area), 0) + 1
    for i in c.indications.values():
        for area in i.areas:
            count = covered.get((i.key, area), 0)
            if count != 1:
                raise CatalogError(
                    f"protocols.toml: indication '{i.key}' at area '{area}' has {count} "
                    "default protocols; it needs exactly one"
                )

    for q in c.questions.values():
        _sources(c, f"questions.toml [{q.key}]", q.sources)

    for ci in c.contraindications.values():
        where = f"contraindications.toml [{ci.key}]"
        _sources(c, where, ci.sources)
        _scope(c, where, ci.scope)
        _refs(where, "question", [ci.question], c.questions)
        if ci.verdict is Verdict.ELIGIBLE:
            raise CatalogError(f"{where}: a contraindication cannot give 'eligible'")
        if (ci.defer_days or ci.defer_months) and ci.verdict is not Verdict.DEFER:
            raise CatalogError(f"{where}: defer_days/defer_months need verdict 'defer'")
        question = c.questions[ci.question]
        if ci.site_specific and question.kind != "areas":
            raise CatalogError(f"{where}: a site-specific rule needs an 'areas' question")
        if (ci.defer_days or ci.defer_months) and question.kind != "date":
            raise CatalogError(f"{where}: a dated deferral needs a 'date' question")
        _refs(where, "medicine", ci.medicines, c.medicines)
        if bool(ci.medicines) != (question.kind == "medicines"):
            raise CatalogError(f"{where}: 'medicines' goes with a 'medicines' question, and only")
        for alt in ci.alternatives:
            _sources(c, where + ".alternatives", alt.sources)

    for m in c.medicines.values():
        where = f"medicines.toml [{m.key}]"
        _sources(c, where, m.sources)
        _scope(c, where, m.scope)
        if m.pause_days < 1 and not m.prescription_only:
            raise CatalogError(f"{where}: pause_days must be at least 1")
        if m.prescription_only and not m.may_be_prescribed:
            raise CatalogError(f"{where}: prescription_only needs may_be_prescribed = true")
        if m.caution_days and m.caution_days < m.pause_days:
            raise CatalogError(f"{where}: caution_days must not be shorter than pause_days")
        if m.may_be_prescribed and not m.prescribed_message:
            raise CatalogError(
                f"{where}: a medicine that may be prescribed needs prescribed_message"
            )
        for _, alt_sources in m.alternatives_pause_days:
            _sources(c, where + ".alternative_pauses", alt_sources)

    for se in c.side_effects.values():
        where = f"side_effects.toml [{se.key}]"
        _sources(c, where, se.sources)
        _scope(c, where, se.scope)
        if se.expected and se.red_flag:
            raise CatalogError(f"{where}: an effect cannot be both expected and a red flag")
        if se.expected and se.lasts_hours is None and se.review_after_hours is None:
            raise CatalogError(
                f"{where}: an expected effect needs lasts_hours or review_after_hours"
            )
        if not se.expected and not se.see_doctor:
            raise CatalogError(f"{where}: an effect that is not expected needs see_doctor")
        onset, peak, lasts = se.onset_hours, se.peak_hours, se.lasts_hours
        if peak is not None and peak.min < onset.min:
            raise CatalogError(f"{where}: peak_hours starts before onset_hours")
        if lasts is not None and lasts.max is not None and lasts.max < onset.min:
            raise CatalogError(f"{where}: lasts_hours ends before onset_hours")
        if (
            peak is not None
            and peak.max is not None
            and lasts is not None
            and lasts.max is not None
            and lasts.max < peak.max
        ):
            raise CatalogError(f"{where}: lasts_hours ends before peak_hours")
        if se.review_after_hours is not None:
            if not se.expected:
                raise CatalogError(
                    f"{where}: review_after_hours only applies to an expected effect"
                )
            # Reviewing an effect before its sources say it has ended would
            # send every patient to the doctor.
            if lasts is not None and se.review_after_hours < (lasts.max or lasts.min):
                raise CatalogError(f"{where}: review_after_hours is before lasts_hours ends")
    for se in c.side_effects.values():
        if not se.refines:
            continue
        where = f"side_effects.toml [{se.key}]"
        _refs(where, "side effect to refine", [se.refines], c.side_effects)
        general = c.side_effects[se.refines]
        if se.refines == se.key or general.refines:
            raise CatalogError(f"{where}: refines '{se.refines}', which must be a general effect")
        if se.scope.is_any:
            raise CatalogError(f"{where}: a refinement needs a narrower scope than '{general.key}'")
        if general.red_flag and not se.red_flag:
            raise CatalogError(f"{where}: refines a red flag but is not one itself")

    for r in c.aftercare.values():
        where = f"aftercare.toml [{r.key}]"
        _sources(c, where, r.sources)
        _scope(c, where, r.scope)

    for sign in c.warning_signs.values():
        _sources(c, f"warning_signs.toml [{sign.key}]", sign.sources)

    last_step: FollowUpStep | None = None
    for step in c.follow_ups.values():
        where = f"follow_ups.toml [{step.key}]"
        _sources(c, where, step.sources)
        if step.after_hours <= 0:
            raise CatalogError(f"{where}: after_hours must be after the session")
        # The file's order is the order they go out, within each anchor.
        if (
            last_step is not None
            and last_step.anchor == step.anchor
            and step.after_hours <= last_step.after_hours
        ):
            raise CatalogError(f"{where}: comes before [{last_step.key}] in time")
        last_step = step

    for pr in c.prices.values():
        where = f"prices.toml [{pr.key}]"
        _sources(c, where, pr.sources)
        _scope(c, where, pr.scope)
        if len(pr.currency) != 3 or not pr.currency.isupper():
            raise CatalogError(f"{where}: currency must be an ISO 4217 code")

    for option in c.alternatives.values():
        where = f"alternatives.toml [{option.key}]"
        _sources(c, where, option.sources)
        _refs(where, "indication", option.indications, c.indications)

    for reg in c.regulations.values():
        where = f"regulations.toml [{reg.key}]"
        _sources(c, where, reg.sources)
        _refs(where, "active", reg.actives, c.actives)
        _refs(where, "area", reg.approved_areas, c.areas)
        if len(reg.country) != 2 or not reg.country.isupper():
            raise CatalogError(f"{where}: country must be an ISO 3166 alpha-2 code")
        if not reg.lipolytic and not reg.actives:
            raise CatalogError(f"{where}: a regulation names actives or is 'lipolytic'")

    orders = set()
    for topic in c.topics.values():
        where = f"topics.toml [{topic.key}]"
        for n, ans in enumerate(topic.answers):
            _sources(c, f"{where}.answers[{n}]", ans.sources)
        if topic.order in orders:
            raise CatalogError(f"{where}: order {topic.order} is used twice")
        orders.add(topic.order)
        if not topic.question.rstrip().endswith("?"):
            raise CatalogError(f"{where}: the question must end with '?'")
        if topic.sources_differ and len({a.sources for a in topic.answers}) < 2:
            raise CatalogError(
                f"{where}: sources_differ needs answers from at least two different sources"
            )

    for measure in c.measures.values():
        _measure(c, measure)
    for i in c.indications.values():
        if not any(m.fits(i.key) for m in c.measures.values()):
            raise CatalogError(f"measures.toml: indication '{i.key}' has no outcome measure")


def _measure(c: Catalog, m: Measure) -> None:
    where = f"measures.toml [{m.key}]"
    _sources(c, where, m.sources)
    _refs(where, "indication", m.indications, c.indications)
    if m.every_indication == bool(m.indications):
        raise CatalogError(f"{where}: give either every_indication = true or indications")
    if not m.raters:
        raise CatalogError(f"{where}: no raters")
    low, high = m.scale.min, m.scale.max
    if high is not None:
        if high == low:
            raise CatalogError(f"{where}: scale [{low}, {high}] holds one value")
        if (high - low) % m.step:
            raise CatalogError(f"{where}: scale [{low}, {high}] is not whole steps of {m.step}")
    if m.items:
        if m.step != 1:
            raise CatalogError(f"{where}: a score made of items counts in steps of 1")
        keys = [item.key for item in m.items]
        if len(set(keys)) != len(keys):
            raise CatalogError(f"{where}: an item key is used twice")
        if any(item.scale.max is None for item in m.items):
            raise CatalogError(f"{where}: every item needs a bounded scale")
        total_min = sum(item.scale.min for item in m.items)
        total_max = sum(item.scale.max or 0 for item in m.items)
        if (low, high) != (total_min, total_max):
            raise CatalogError(
                f"{where}: scale [{low}, {high}] is not the sum of its items "
                f"[{total_min}, {total_max}]"
            )
    values = [label.value for label in m.labels]
    if len(set(values)) != len(values):
        raise CatalogError(f"{where}: a label's value is used twice")
    for value in values:
        if not m.scale.contains(value) or (value - low) % m.step:
            raise CatalogError(f"{where}: label value {value} is not a point of the scale")


def collect_texts(c: Catalog) -> tuple[str, ...]:
    """Every text the catalog shows a person, for translation."""
    out: list[str] = []

    def add(*texts: str) -> None:
        out.extend(t for t in texts if t)

    for a in c.areas.values():
        add(a.name)
    for i in c.indications.values():
        add(i.name, i.summary, i.evidence.summary, *i.includes)
    for act in c.actives.values():
        add(act.name, act.note, act.group)
    for t in c.techniques.values():
        add(t.name, t.description, t.device)
    for d in c.depth_tiers.values():
        add(d.name)
    for p in c.protocols.values():
        add(p.name, p.maintenance, p.notes, *(ph.name for ph in p.schedule))
    for q in c.questions.values():
        add(q.text, q.help)
    for ci in c.contraindications.values():
        add(ci.name, ci.message, ci.clinician_note)
    for m in c.medicines.values():
        add(m.name, m.message, m.prescribed_message, *m.examples)
    for se in c.side_effects.values():
        add(se.name, se.advice, se.see_doctor)
    for r in c.aftercare.values():
        add(r.text)
    for sign in c.warning_signs.values():
        add(sign.question, sign.advice)
    for step in c.follow_ups.values():
        add(step.asks)
    for pr in c.prices.values():
        add(pr.note)
    for option in c.alternatives.values():
        add(option.name, option.summary, option.compared)
    for reg in c.regulations.values():
        add(reg.summary)
    for topic in c.topics.values():
        add(topic.question, *(a.text for a in topic.answers))
    for measure in c.measures.values():
        add(measure.name, measure.measures, measure.unit, measure.note)
        add(*(label.text for label in measure.labels), *(item.name for item in measure.items))
    return tuple(dict.fromkeys(out))
