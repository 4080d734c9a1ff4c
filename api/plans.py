"""Plan previews: a proposed course for an indication at an area.

``POST /api/v1/plans/preview`` answers 200 with the preview, or 422 naming
the field to blame: the schema's checks first (missing fields, wrong types,
unknown fields), then the domain's (unknown indication, area not treated
for it, protocol or number of sessions that does not fit, a first session
in the past). A protocol the clinic's country bans is refused with 422 too,
naming "indication", "area" or "protocol", and the body lists the banning
regulations with their sources: a preview of a course the clinic may not
give would invite a booking it must turn down.

The core answers in English; texts are translated here, in the language of
the request.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict, StrictInt, StrictStr, field_validator

from api.clinic import clinic_context
from api.errors import ApiError
from core.catalog.model import FloatRange, IntRange, Source
from core.planning import (
    Message,
    NotOffered,
    PlanError,
    PlanPreview,
    PlanRequest,
    preview,
)
from core.regulation import RegulatoryNote
from mesoclinic.catalog import get_catalog

router = Router()


def _t(text: str) -> str:
    # gettext("") returns the catalog's header, never an empty string.
    return gettext(text) if text else ""


def _message(message: Message) -> str:
    text = _t(message.text)
    return text % dict(message.params) if message.params else text


class PlanPreviewIn(Schema):
    model_config = ConfigDict(extra="forbid")

    indication: StrictStr = Field(..., min_length=1, max_length=64, examples=["hair_loss"])
    area: StrictStr = Field(..., min_length=1, max_length=64, examples=["scalp"])
    start_date: date = Field(..., description="The first session, YYYY-MM-DD.")
    sessions: StrictInt | None = Field(
        None, description="How many sessions; the protocol's default when left out."
    )
    protocol: StrictStr | None = Field(
        None, min_length=1, max_length=64, description="The default protocol when left out."
    )
    clinic: StrictStr | None = Field(
        None, max_length=50, description="A clinic's slug; the public clinic when left out."
    )
    country: StrictStr | None = Field(
        None, pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2; the clinic's if left out"
    )
    currency: StrictStr | None = Field(
        None, pattern=r"^[A-Za-z]{3}$", description="ISO 4217; the clinic's if left out"
    )

    @field_validator("start_date", mode="before")
    @classmethod
    def _date_as_text(cls, value: Any) -> Any:
        # Pydantic would read a number as a Unix timestamp; a client that
        # sends one has made a mistake, not chosen a date.
        if not isinstance(value, str):
            raise ValueError("Enter a date as YYYY-MM-DD.")
        return value


class RangeOut(Schema):
    min: int
    max: int | None


class FloatRangeOut(Schema):
    min: float
    max: float


class NamedOut(Schema):
    key: str
    name: str


class IndicationOut(NamedOut):
    summary: str


class NeedleOut(Schema):
    gauge: list[int]
    length_mm: FloatRangeOut
    angle_degrees: RangeOut | None
    sources: list[str]


class DepthOut(NamedOut):
    depth_mm: FloatRangeOut


class SessionOut(Schema):
    number: int
    phase: str | None = Field(..., description="None for the first session.")
    earliest: date
    latest: date | None = Field(..., description="None when the sources set no maximum.")
    interval_days: RangeOut | None = Field(..., description="From the session before.")


class MinutesOut(Schema):
    numbing: RangeOut
    procedure: RangeOut
    total: RangeOut


class AftercareOut(Schema):
    key: str
    text: str
    hours: int | None
    sources: list[str]


class PriceOut(Schema):
    currency: str
    unit: Literal["session", "course"]
    per_session: RangeOut | None
    total: RangeOut
    sessions: int
    origin: Literal["clinic", "catalog"]
    note: str
    sources: list[str]


class EvidenceOut(Schema):
    level: str
    weak: bool
    summary: str
    sources: list[str]


class RegulationOut(Schema):
    key: str
    country: str
    status: str
    summary: str
    sources: list[str]


class SourceOut(Schema):
    key: str
    title: str
    kind: str
    url: str


class PlanPreviewOut(Schema):
    country: str
    currency: str
    indication: IndicationOut
    area: NamedOut
    protocol: NamedOut
    other_protocols: list[NamedOut]
    actives: list[NamedOut]
    techniques: list[NamedOut]
    needle: NeedleOut
    depth: list[DepthOut]
    volume_per_point_ml: FloatRangeOut | None
    point_spacing_cm: FloatRangeOut | None
    max_points: int | None
    session_range: RangeOut
    sessions: list[SessionOut]
    minutes: MinutesOut
    aftercare: list[AftercareOut]
    price: PriceOut | None
    price_note: str | None
    evidence: EvidenceOut
    maintenance: str
    notes: str
    regulatory_notes: list[RegulationOut]
    sources: list[SourceOut]


class ErrorItemOut(Schema):
    field: str
    message: str


class RefusalOut(Schema):
    detail: str
    errors: list[ErrorItemOut]
    regulations: list[RegulationOut] = Field(
        default_factory=list, description="Set when the clinic's country bans the protocol."
    )
    sources: list[SourceOut] = Field(default_factory=list)


def _range(r: IntRange | None) -> dict[str, Any] | None:
    return None if r is None else {"min": r.min, "max": r.max}


def _frange(r: FloatRange | None) -> dict[str, Any] | None:
    return None if r is None else {"min": r.min, "max": r.max}


def _regulation(note: RegulatoryNote) -> dict[str, Any]:
    return {
        "key": note.key,
        "country": note.country,
        "status": note.status,
        "summary": _t(note.summary),
        "sources": list(note.sources),
    }


def _source(source: Source) -> dict[str, Any]:
    return {"key": source.key, "title": source.title, "kind": source.kind, "url": source.url}


def _named(key: str, name: str) -> dict[str, str]:
    return {"key": key, "name": _t(name)}


def _out(plan: PlanPreview, country: str, currency: str) -> dict[str, Any]:
    price = plan.price
    return {
        "country": country,
        "currency": currency,
        "indication": {**_named(plan.indication.key, plan.indication.name)}
        | {"summary": _t(plan.indication_summary)},
        "area": _named(plan.area.key, plan.area.name),
        "protocol": _named(plan.protocol.key, plan.protocol.name),
        "other_protocols": [_named(p.key, p.name) for p in plan.other_protocols],
        "actives": [_named(a.key, a.name) for a in plan.actives],
        "techniques": [_named(t.key, t.name) for t in plan.techniques],
        "needle": {
            "gauge": list(plan.needle.gauge),
            "length_mm": _frange(plan.needle.length_mm),
            "angle_degrees": _range(plan.needle.angle_degrees),
            "sources": list(plan.needle.sources),
        },
        "depth": [{**_named(d.key, d.name), "depth_mm": _frange(d.depth_mm)} for d in plan.depth],
        "volume_per_point_ml": _frange(plan.volume_per_point_ml),
        "point_spacing_cm": _frange(plan.point_spacing_cm),
        "max_points": plan.max_points,
        "session_range": _range(plan.session_range),
        "sessions": [
            {
                "number": s.number,
                "phase": _t(s.phase) if s.phase else None,
                "earliest": s.earliest,
                "latest": s.latest,
                "interval_days": _range(s.interval_days),
            }
            for s in plan.sessions
        ],
        "minutes": {
            "numbing": _range(plan.numbing_minutes),
            "procedure": _range(plan.procedure_minutes),
            "total": _range(plan.minutes_per_session),
        },
        "aftercare": [
            {"key": r.key, "text": _t(r.text), "hours": r.hours, "sources": list(r.sources)}
            for r in plan.aftercare
        ],
        "price": None
        if price is None
        else {
            "currency": price.currency,
            "unit": price.unit,
            "per_session": _range(price.per_session),
            "total": _range(price.total),
            "sessions": price.sessions,
            "origin": price.origin,
            "note": _t(price.note),
            "sources": list(price.sources),
        },
        "price_note": None if plan.price_note is None else _message(plan.price_note),
        "evidence": {
            "level": plan.evidence.level,
            "weak": plan.weak_evidence,
            "summary": _t(plan.evidence.summary),
            "sources": list(plan.evidence.sources),
        },
        "maintenance": _t(plan.maintenance),
        "notes": _t(plan.notes),
        "regulatory_notes": [_regulation(n) for n in plan.regulatory_notes],
        "sources": [_source(s) for s in plan.sources],
    }


@router.post(
    "/preview",
    response={200: PlanPreviewOut, 422: RefusalOut},
    summary="Preview a course of sessions",
)
def plan_preview(request: HttpRequest, payload: PlanPreviewIn) -> Any:
    """The proposed course for an indication at an area: protocol, sessions
    with their date windows, time per session, aftercare, price, evidence,
    the clinic country's rules and every source. It supports a clinician's
    judgement; it never replaces it."""
    context = clinic_context(payload.clinic, payload.country, payload.currency)
    if payload.start_date < context.today:
        raise ApiError(422, gettext("The first session cannot be in the past."), "start_date")
    country, currency = context.country, context.currency
    catalog = get_catalog()
    try:
        plan = preview(
            catalog,
            PlanRequest(
                indication=payload.indication,
                area=payload.area,
                start_date=payload.start_date,
                sessions=payload.sessions,
                protocol=payload.protocol,
                country=country,
                currency=currency,
            ),
        )
    except NotOffered as refusal:
        reason = _message(refusal.message)
        cited = dict.fromkeys(s for n in refusal.notes for s in n.sources)
        return Status(
            422,
            {
                "detail": reason,
                "errors": [{"field": refusal.field, "message": reason}],
                "regulations": [_regulation(n) for n in refusal.notes],
                "sources": [_source(catalog.sources[key]) for key in cited],
            },
        )
    except PlanError as error:
        raise ApiError(422, _message(error.message), error.field) from None
    return Status(200, _out(plan, country, currency))
