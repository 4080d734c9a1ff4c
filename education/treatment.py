"""What the public page of one indication shows, gathered from the catalog
for the public clinic's country and currency.

An indication is treated at several areas, each with its default protocol;
a rule (side effect, aftercare, price) applies to the page when its scope
matches the indication at any of those areas with that protocol's actives.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.catalog.model import (
    Active,
    AftercareRule,
    Alternative,
    Area,
    Catalog,
    Indication,
    Price,
    Protocol,
    Scope,
    SideEffect,
    Technique,
)
from core.regulation import RegulatoryNote, is_banned, notes_for
from core.triage import effects_for
from education import describe

COUNTRY_NAMES = {
    "FR": gettext_lazy("France"),
    "US": gettext_lazy("the USA"),
    "CA": gettext_lazy("Canada"),
    "GB": gettext_lazy("the UK"),
    "IN": gettext_lazy("India"),
}

EVIDENCE_LABELS = {
    "approved": gettext_lazy("Approved by regulators in some countries"),
    "moderate": gettext_lazy("Moderate evidence"),
    "limited": gettext_lazy("Limited evidence"),
    "weak": gettext_lazy("Weak evidence"),
    "none": gettext_lazy("No clinical studies found"),
}


def country_name(code: str) -> str:
    return str(COUNTRY_NAMES.get(code.upper(), code.upper()))


@dataclass(frozen=True)
class Context:
    """The indication at one area, with the actives its default protocol uses."""

    indication: str
    area: Area
    protocol: Protocol

    def matches(self, scope: Scope) -> bool:
        return scope.matches(
            self.indication, self.area.key, self.area.region, self.protocol.actives
        )


def contexts(catalog: Catalog, indication: Indication) -> list[Context]:
    out = []
    for key in indication.areas:
        protocol = catalog.default_protocol(indication.key, key)
        # The loader guarantees a default protocol for every indication and
        # area; an area without one has nothing to show.
        if protocol is not None:
            out.append(Context(indication.key, catalog.areas[key], protocol))
    return out


@dataclass(frozen=True)
class CourseView:
    protocol: Protocol
    areas: list[Area]
    actives: list[Active]
    techniques: list[Technique]
    steps: list[str]
    length: str
    numbing: str
    procedure: str


def courses(catalog: Catalog, ctxs: Iterable[Context]) -> list[CourseView]:
    """The default protocols of the page, each with the areas it covers."""
    by_key: dict[str, list[Area]] = {}
    protocols: dict[str, Protocol] = {}
    for ctx in ctxs:
        by_key.setdefault(ctx.protocol.key, []).append(ctx.area)
        protocols[ctx.protocol.key] = ctx.protocol
    return [
        CourseView(
            protocol=p,
            areas=by_key[key],
            actives=[catalog.actives[a] for a in p.actives],
            techniques=[catalog.techniques[t] for t in p.techniques],
            steps=describe.course_steps(p),
            length=describe.course_length(p),
            numbing=describe.minutes(p.numbing_minutes),
            procedure=describe.minutes(p.procedure_minutes),
        )
        for key, p in protocols.items()
    ]


@dataclass(frozen=True)
class EffectView:
    effect: SideEffect
    starts: str
    worst: str
    lasts: str
    review_after: str
    only_for: list[str]


def effect_view(catalog: Catalog, se: SideEffect) -> EffectView:
    return EffectView(
        effect=se,
        starts=describe.hours_range(se.onset_hours, onset=True),
        worst=describe.hours_range(se.peak_hours) if se.peak_hours else "",
        lasts=describe.hours_range(se.lasts_hours) if se.lasts_hours else "",
        review_after=describe.duration(se.review_after_hours)
        if se.review_after_hours is not None
        else "",
        only_for=describe.scope_parts(catalog, se.scope),
    )


@dataclass(frozen=True)
class EffectGroups:
    expected: list[EffectView] = field(default_factory=list)
    review: list[EffectView] = field(default_factory=list)
    urgent: list[EffectView] = field(default_factory=list)


def group_effects(catalog: Catalog, effects: Iterable[SideEffect]) -> EffectGroups:
    groups = EffectGroups()
    for se in effects:
        view = effect_view(catalog, se)
        if se.red_flag:
            groups.urgent.append(view)
        elif se.expected:
            groups.expected.append(view)
        else:
            groups.review.append(view)
    return groups


def side_effects(catalog: Catalog, ctxs: Iterable[Context]) -> list[SideEffect]:
    """The effects that apply at any area, a scoped refinement replacing the
    general effect it refines where both match (as the triage does)."""
    keys: set[str] = set()
    for ctx in ctxs:
        keys.update(
            se.key
            for se in effects_for(catalog, ctx.indication, ctx.area.key, ctx.protocol.actives)
        )
    return [se for k, se in catalog.side_effects.items() if k in keys]


def aftercare(catalog: Catalog, ctxs: list[Context]) -> list[AftercareRule]:
    return [r for r in catalog.aftercare.values() if any(c.matches(r.scope) for c in ctxs)]


@dataclass(frozen=True)
class PriceView:
    price: Price
    amount: str
    unit: str
    only_for: list[str]


def prices(catalog: Catalog, ctxs: list[Context], currency: str) -> list[PriceView]:
    """The catalog's default prices in ``currency`` that apply here; the
    most specific first, since a price for the area beats a general one."""
    found = [
        p
        for p in catalog.prices.values()
        if p.currency == currency and any(c.matches(p.scope) for c in ctxs)
    ]
    found.sort(key=lambda p: (p.scope.is_any, p.key))
    return [
        PriceView(
            price=p,
            amount=describe.money_range(p.amount, p.currency),
            unit=_("per session") if p.unit == "session" else _("for the whole course"),
            only_for=describe.scope_parts(catalog, p.scope),
        )
        for p in found
    ]


def alternatives(catalog: Catalog, indication: str) -> list[Alternative]:
    return [
        a for a in catalog.alternatives.values() if not a.indications or indication in a.indications
    ]


@dataclass(frozen=True)
class Notice:
    """A regulatory notice: ``kind`` is banned, partly_banned, off_label,
    approved, warning or unlicensed (the CSS class says how loud it is)."""

    kind: str
    title: str
    summary: str
    sources: tuple[str, ...]
    areas: list[Area] = field(default_factory=list)
    approved_areas: list[Area] = field(default_factory=list)


def notices(catalog: Catalog, country: str, ctxs: list[Context]) -> list[Notice]:
    """What the clinic's country says about this indication, loudest first."""
    where = country_name(country)
    per_area: list[tuple[Area, list[RegulatoryNote]]] = [
        (c.area, notes_for(catalog, country, c.protocol, c.area.key)) for c in ctxs
    ]
    out: list[Notice] = []
    banned = [area for area, notes in per_area if is_banned(notes)]
    ban_notes = {n.key: n for _area, notes in per_area for n in notes if n.status == "banned"}
    for note in ban_notes.values():
        if len(banned) == len(per_area):
            title = _("Not offered in %(country)s") % {"country": where}
            out.append(Notice("banned", title, note.summary, note.sources))
        else:
            title = _("Not offered in %(country)s for some areas") % {"country": where}
            out.append(Notice("partly_banned", title, note.summary, note.sources, banned))

    seen: set[str] = set()
    for _area, notes in per_area:
        for note in notes:
            if note.key in seen or note.status == "banned":
                continue
            seen.add(note.key)
            areas = [a for a, ns in per_area if any(n.key == note.key for n in ns)]
            statuses = {n.status for _a, ns in per_area for n in ns if n.key == note.key}
            reg = catalog.regulations[note.key]
            approved = [catalog.areas[k] for k in reg.approved_areas]
            if "off_label" in statuses:
                title = _("In %(country)s, approved only for some areas") % {"country": where}
                off = [
                    a
                    for a, ns in per_area
                    if any(n.key == note.key and n.status == "off_label" for n in ns)
                ]
                out.append(Notice("off_label", title, note.summary, note.sources, off, approved))
            elif note.status == "approved":
                title = _("Approved in %(country)s") % {"country": where}
                out.append(Notice("approved", title, note.summary, note.sources, areas, approved))
            elif note.status == "warning":
                title = _("A warning in %(country)s") % {"country": where}
                out.append(Notice("warning", title, note.summary, note.sources, areas))
            else:
                title = _("Not licensed in %(country)s") % {"country": where}
                out.append(Notice("unlicensed", title, note.summary, note.sources, areas))
    return out


def is_offered(catalog: Catalog, country: str, indication: Indication) -> bool:
    """False when every area's default protocol is banned in ``country``."""
    ctxs = contexts(catalog, indication)
    return not ctxs or not all(
        is_banned(notes_for(catalog, country, c.protocol, c.area.key)) for c in ctxs
    )


def actives(catalog: Catalog, indication: str, courses: list[CourseView]) -> list[Active]:
    """The actives used for the indication: those of its default protocols,
    then the others the catalog lists for it."""
    keys = [a.key for c in courses for a in c.actives]
    keys += [k for k, a in catalog.actives.items() if indication in a.purposes]
    return [catalog.actives[k] for k in dict.fromkeys(keys)]


@dataclass(frozen=True)
class TreatmentPage:
    indication: Indication
    areas: list[Area]
    evidence_label: str
    courses: list[CourseView]
    actives: list[Active]
    effects: EffectGroups
    aftercare: list[AftercareRule]
    prices: list[PriceView]
    currency: str
    alternatives: list[Alternative]
    notices: list[Notice]
    offered: bool

    @property
    def several_courses(self) -> bool:
        """Different areas follow different courses: name the areas of each."""
        return len(self.courses) > 1


def treatment_page(
    catalog: Catalog, indication: Indication, country: str, currency: str
) -> TreatmentPage:
    ctxs = contexts(catalog, indication)
    page_courses = courses(catalog, ctxs)
    page_notices = notices(catalog, country, ctxs)
    offered = not any(n.kind == "banned" for n in page_notices)
    return TreatmentPage(
        indication=indication,
        areas=[catalog.areas[a] for a in indication.areas],
        evidence_label=str(EVIDENCE_LABELS[indication.evidence.level]),
        courses=page_courses,
        actives=actives(catalog, indication.key, page_courses),
        effects=group_effects(catalog, side_effects(catalog, ctxs)),
        aftercare=aftercare(catalog, ctxs),
        # A price for a treatment the clinic may not give would be an offer.
        prices=prices(catalog, ctxs, currency) if offered else [],
        currency=currency,
        alternatives=alternatives(catalog, indication.key),
        notices=page_notices,
        offered=offered,
    )
