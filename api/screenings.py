"""Self-screening over JSON: ``POST /api/v1/screenings``.

The request names the indication, the area, the planned date and the
answers; the answers schema is built from the catalog's questions, so each
question is one typed field and an unknown key is refused. The core decides
(core.screening); this module only parses, picks the clinic's country and
today's date in its time zone, and translates the result.

Every refusal is a 4xx naming each bad field (api/errors.py), never a 500.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext
from ninja import Field, Router, Schema
from ninja.errors import ValidationError
from pydantic import ConfigDict, StrictBool, create_model

from api.clinic import clinic_context
from core.catalog import Catalog
from core.screening import (
    AnswerValue,
    InputProblem,
    MedicineAnswer,
    ScreeningInputError,
    ScreeningRequest,
    relevant_questions,
    screen,
)
from mesoclinic.catalog import get_catalog
from screening.present import present

router = Router()


class _Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class MedicineIn(_Strict):
    medicine: str = Field(description="A key of medicines.toml, e.g. aspirin.")
    last_dose: date | None = Field(None, description="Required unless ongoing.")
    prescribed: StrictBool = Field(False, description="A doctor prescribed it.")
    ongoing: StrictBool = Field(False, description="Still taken.")


def _answers_schema(catalog: Catalog) -> type[Schema]:
    """One field per question. A field left out is unanswered (the core
    refuses a screening that needs it); for a date question, null is an
    answer: never."""
    fields: dict[str, Any] = {}
    for q in catalog.questions.values():
        kind: Any = {
            "bool": StrictBool,
            "date": date | None,
            "areas": list[str],
            "medicines": list[MedicineIn],
        }[q.kind]
        fields[q.key] = (kind, Field(None, description=q.text))
    model: type[Schema] = create_model("ScreeningAnswers", __base__=_Strict, **fields)
    return model


Answers = _answers_schema(get_catalog())


class ScreeningIn(_Strict):
    indication: str = Field(description="A key of indications.toml, e.g. pigmentation.")
    area: str = Field(description="An area of that indication, e.g. face.")
    planned_date: date = Field(description="The day of the session; today or later.")
    answers: Answers  # type: ignore[valid-type]
    country: str | None = Field(
        None, pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2; default IN."
    )
    clinic: str | None = Field(None, max_length=50, description="A clinic's slug.")
    protocol: str | None = Field(None, description="Default: the indication's default protocol.")


class SourceOut(Schema):
    key: str
    title: str
    url: str


class OtherViewOut(Schema):
    verdict: str | None
    pause_days: int | None
    sources: list[SourceOut]


Verdicts = Literal["eligible", "caution", "defer", "not_eligible"]


class FindingOut(Schema):
    code: str
    kind: str
    verdict: Verdicts
    title: str
    message: str
    sources: list[SourceOut]
    earliest_date: date | None
    last_dose_by: date | None
    clinician_note: str
    other_views: list[OtherViewOut]


class ProtocolOut(Schema):
    key: str
    name: str


class ScreeningOut(Schema):
    verdict: Verdicts
    earliest_date: date | None
    planned_date: date
    indication: str
    area: str
    country: str
    protocol: ProtocolOut
    findings: list[FindingOut]
    disclaimer: str


class ErrorItem(Schema):
    field: str | None
    message: str


class ErrorOut(Schema):
    detail: str
    errors: list[ErrorItem]


class QuestionOut(Schema):
    key: str
    kind: str
    text: str
    help: str
    sources: list[str]


class MedicineOut(Schema):
    key: str
    name: str
    kind: str
    examples: list[str]
    may_be_prescribed: bool
    prescription_only: bool


class QuestionsOut(Schema):
    protocol: ProtocolOut
    questions: list[QuestionOut]
    medicines: list[MedicineOut]


def _refuse(problems: tuple[InputProblem, ...], where: str = "body") -> ValidationError:
    return ValidationError(
        [
            {"loc": (where, *p.field.split(".")), "msg": p.message, "type": "value_error"}
            for p in problems
        ]
    )


def answers_given(given: Any) -> dict[str, AnswerValue]:
    """The answers actually sent, as the core takes them (a key left out
    is not answered)."""
    answers: dict[str, AnswerValue] = {}
    for key in given.model_fields_set:
        value = getattr(given, key)
        if isinstance(value, list):
            value = tuple(
                MedicineAnswer(m.medicine, m.last_dose, m.prescribed, m.ongoing)
                if isinstance(m, MedicineIn)
                else m
                for m in value
            )
        answers[key] = value
    return answers


@router.post(
    "",
    response={200: ScreeningOut, 400: ErrorOut, 422: ErrorOut},
    summary="Screen a patient for one indication at one area",
)
def create_screening(request: HttpRequest, payload: ScreeningIn) -> dict[str, Any]:
    """The verdict (eligible, caution, defer or not_eligible), decided by the
    worst finding, with each finding's message and sources, and the earliest
    date for a dated deferral. It supports the clinician's judgement; it
    never replaces it."""
    catalog = get_catalog()
    context = clinic_context(payload.clinic, payload.country)
    country, today = context.country, context.today
    try:
        result = screen(
            catalog,
            ScreeningRequest(
                indication=payload.indication,
                area=payload.area,
                planned_date=payload.planned_date,
                answered_on=today,
                answers=answers_given(payload.answers),
                country=country,
                protocol=payload.protocol,
            ),
        )
    except ScreeningInputError as exc:
        raise _refuse(exc.problems) from exc
    return present(catalog, result)


@router.get(
    "/questions",
    response={200: QuestionsOut, 422: ErrorOut},
    summary="The questions a screening of one indication at one area asks",
)
def screening_questions(
    request: HttpRequest,
    indication: str,
    area: str,
    protocol: str | None = None,
) -> dict[str, Any]:
    catalog = get_catalog()
    try:
        questions = relevant_questions(catalog, indication, area, protocol)
    except ScreeningInputError as exc:
        raise _refuse(exc.problems, "query") from exc
    chosen = catalog.protocols[protocol] if protocol else catalog.default_protocol(indication, area)
    assert chosen is not None  # relevant_questions refused every other case
    return {
        "protocol": {"key": chosen.key, "name": gettext(chosen.name)},
        "questions": [
            {
                "key": q.key,
                "kind": q.kind,
                "text": gettext(q.text),
                "help": gettext(q.help) if q.help else "",
                "sources": list(q.sources),
            }
            for q in questions
        ],
        "medicines": [
            {
                "key": m.key,
                "name": gettext(m.name),
                "kind": m.kind,
                "examples": [gettext(e) for e in m.examples],
                "may_be_prescribed": m.may_be_prescribed,
                "prescription_only": m.prescription_only,
            }
            for m in catalog.medicines.values()
        ],
    }
