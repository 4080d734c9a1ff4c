"""Walk-in tokens over JSON, for the clinic's staff.

``POST /tokens`` issues the next token of today with its place and the
estimated wait; ``POST /tokens/call-next`` calls the lowest-numbered waiting
token and books its consultation; ``GET /tokens?clinic=<slug>`` lists
today's tokens. Every endpoint needs a staff login at the clinic (Django
session; unsafe methods need the CSRF token, as a browser sends it); a
token or clinic of another clinic is answered 404, as if it did not exist.
Times come back in the clinic's time zone, with its offset.

The rules live in ``core.queue`` and ``tokens.queueing``; this module
parses, checks who is asking, and shapes the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.security import django_auth
from pydantic import ConfigDict, StrictInt, StrictStr

from api.errors import ApiError
from clinics.access import staff_clinic
from clinics.models import Clinic, StaffMember
from core.queue import Estimate
from tokens import queueing
from tokens.models import Token

router = Router(auth=django_auth)


class _In(Schema):
    model_config = ConfigDict(extra="forbid")


def _staff(request: HttpRequest, slug: str) -> tuple[Clinic, StaffMember]:
    try:
        return staff_clinic(request.user, slug)
    except Http404:
        raise ApiError(
            404, _("There is no such clinic, or you are not its staff."), "clinic"
        ) from None
    except PermissionDenied as error:
        raise ApiError(403, str(error), "clinic") from None


def _token(request: HttpRequest, token_id: int) -> tuple[Clinic, StaffMember]:
    """The clinic of the token, if the user is its staff; else 404."""
    slug = Token.objects.filter(pk=token_id).values_list("clinic__slug", flat=True).first()
    try:
        return staff_clinic(request.user, slug or "")
    except (Http404, PermissionDenied):
        raise ApiError(404, _("There is no such token."), "token") from None


def _raise(error: queueing.TokenError) -> ApiError:
    return ApiError(error.status, error.message, error.field)


# -- shapes ----------------------------------------------------------------------------------


class Ref(Schema):
    id: int
    name: str


class TokenOut(Schema):
    id: int
    number: int
    day: date = Field(..., description="The clinic's local date.")
    status: str = Field(..., description="waiting, called, served or left.")
    name: str
    phone: str
    patient: int | None
    issued_at: datetime
    called_at: datetime | None
    practitioner: Ref | None
    room: str | None = Field(..., description="Where the called patient goes.")
    appointment: int | None = Field(..., description="The consultation booked when called.")
    position: int | None = Field(..., description="Waiting tokens only: 1 is next.")
    wait_minutes: int | None = Field(..., description="Waiting tokens only.")
    estimated_at: datetime | None = Field(..., description="Waiting tokens only.")


class QueueOut(Schema):
    clinic: str
    day: date
    time_zone: str
    tokens: list[TokenOut]


class IssuedOut(Schema):
    id: int
    number: int
    day: date
    position: int = Field(..., description="1: next to be called.")
    wait_minutes: int = Field(..., description="Estimated; see core.queue for the rule.")
    estimated_at: datetime = Field(..., description="In the clinic's time zone.")
    time_zone: str


def _person(staff: StaffMember | None) -> Ref | None:
    if staff is None:
        return None
    return Ref(id=staff.pk, name=staff.user.get_full_name() or staff.user.username)


def token_out(token: Token, tz: ZoneInfo, estimate: Estimate | None = None) -> TokenOut:
    appointment = token.appointment
    room = appointment.room if appointment is not None else None
    return TokenOut(
        id=token.pk,
        number=token.number,
        day=token.day,
        status=token.status,
        name=token.display_name,
        phone=token.phone,
        patient=token.patient_id,
        issued_at=token.issued_at.astimezone(tz),
        called_at=token.called_at.astimezone(tz) if token.called_at else None,
        practitioner=_person(token.practitioner),
        room=room.name if room is not None else None,
        appointment=token.appointment_id,
        position=estimate.position if estimate else None,
        wait_minutes=estimate.wait_minutes if estimate else None,
        estimated_at=estimate.at.astimezone(tz) if estimate else None,
    )


def _one(clinic: Clinic, token_id: int) -> TokenOut:
    token = (
        Token.objects.select_related("patient", "practitioner__user", "appointment__room")
        .filter(pk=token_id)
        .get()
    )
    return token_out(token, ZoneInfo(clinic.time_zone))


# -- endpoints -------------------------------------------------------------------------------


class QueueQuery(Schema):
    clinic: StrictStr = Field(..., max_length=50, description="A clinic's slug.")


@router.get("", response={200: QueueOut})
def list_tokens(request: HttpRequest, filters: Query[QueueQuery]) -> QueueOut:
    """Today's tokens in number order; waiting ones with their estimate."""
    clinic, _member = _staff(request, filters.clinic)
    found = queueing.day_queue(clinic)
    tz = ZoneInfo(clinic.time_zone)
    return QueueOut(
        clinic=clinic.slug,
        day=found.day,
        time_zone=clinic.time_zone,
        tokens=[token_out(t, tz, found.estimates.get(t.pk)) for t in found.tokens],
    )


class IssueIn(_In):
    clinic: StrictStr = Field(..., max_length=50, description="A clinic's slug.")
    name: StrictStr = Field("", max_length=200, description="Required unless patient is given.")
    phone: StrictStr = Field("", max_length=40)
    patient: StrictInt | None = Field(None, description="A patient of the clinic, when known.")


@router.post("", response={201: IssuedOut})
def issue_token(request: HttpRequest, payload: IssueIn) -> Status:
    """Give a walk-in the next token of today: 201 with its number, place and
    estimated wait; 422 naming the field when the clinic is closed today or
    has closed, or the name is missing."""
    clinic, _member = _staff(request, payload.clinic)
    try:
        issued = queueing.issue(
            clinic=clinic,
            by=request.user,
            name=payload.name,
            phone=payload.phone,
            patient=payload.patient,
        )
    except queueing.TokenError as error:
        raise _raise(error) from None
    tz = ZoneInfo(clinic.time_zone)
    return Status(
        201,
        IssuedOut(
            id=issued.token.pk,
            number=issued.token.number,
            day=issued.token.day,
            position=issued.estimate.position,
            wait_minutes=issued.estimate.wait_minutes,
            estimated_at=issued.estimate.at.astimezone(tz),
            time_zone=clinic.time_zone,
        ),
    )


class CallNextIn(_In):
    clinic: StrictStr = Field(..., max_length=50, description="A clinic's slug.")
    practitioner: StrictInt | None = Field(
        None, description="Who sees the patient (a staff id); the caller if they are one."
    )


@router.post("/call-next", response={200: TokenOut})
def call_next(request: HttpRequest, payload: CallNextIn) -> TokenOut:
    """Call the lowest-numbered waiting token of today and book its
    consultation from now: 404 when nobody waits, 409 when the practitioner
    (or every room) is busy; the token then stays waiting."""
    clinic, member = _staff(request, payload.clinic)
    try:
        token = queueing.call_next(
            clinic=clinic, by=request.user, member=member, practitioner_id=payload.practitioner
        )
    except queueing.TokenError as error:
        raise _raise(error) from None
    return _one(clinic, token.pk)


def _change(
    request: HttpRequest, token_id: int, action: Callable[..., Token], **kwargs: Any
) -> TokenOut:
    clinic, _member = _token(request, token_id)
    try:
        action(clinic=clinic, token_id=token_id, by=request.user, **kwargs)
    except queueing.TokenError as error:
        raise _raise(error) from None
    return _one(clinic, token_id)


@router.post("/{token_id}/served", response={200: TokenOut})
def serve_token(request: HttpRequest, token_id: int) -> TokenOut:
    """A called token has been seen; its appointment is checked in."""
    return _change(request, token_id, queueing.mark_served)


@router.post("/{token_id}/left", response={200: TokenOut})
def token_left(request: HttpRequest, token_id: int) -> TokenOut:
    """A waiting token left, or a called one did not answer; a called
    token's appointment is cancelled."""
    return _change(request, token_id, queueing.mark_left)


@router.post("/{token_id}/recall", response={200: TokenOut})
def recall_token(request: HttpRequest, token_id: int) -> TokenOut:
    """Call a called token again."""
    return _change(request, token_id, queueing.recall)


@router.post("/{token_id}/requeue", response={200: TokenOut})
def requeue_token(request: HttpRequest, token_id: int) -> TokenOut:
    """Put a token marked as left back in the queue, with its own number."""
    return _change(request, token_id, queueing.requeue)
