"""The outbox over JSON: a clinic's messages, and retrying or cancelling one.

The same rules as the outbox pages (messaging/views.py): front desk,
practitioners and managers of the clinic; staff of another clinic, and
anyone else, get 404 as if the clinic did not exist. Retrying works on a
failed, retrying or unsent message; cancelling on one not yet sent;
anything else is 409, with the message's status. Times are in the
clinic's time zone, with its offset.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.security import django_auth
from pydantic import field_validator

from api.errors import ApiError
from clinics.access import SCHEDULING_ROLES, staff_clinic
from clinics.models import Clinic
from messaging import outbox
from messaging.models import Kind, Message, Status

router = Router()

MAX_LIMIT = 500


def _clinic(request: HttpRequest, slug: str) -> Clinic:
    try:
        clinic, _member = staff_clinic(request.user, slug, SCHEDULING_ROLES)
    except Http404:
        raise ApiError(
            404, "There is no such clinic, or you are not its staff.", "clinic"
        ) from None
    except PermissionDenied as error:
        raise ApiError(403, str(error), "clinic") from None
    return clinic


def _message(clinic: Clinic, message_id: int) -> Message:
    message = Message.objects.filter(clinic=clinic, pk=message_id).select_related("patient").first()
    if message is None:
        raise ApiError(404, "There is no such message at this clinic.", "message")
    return message


class MessageOut(Schema):
    id: int
    kind: str
    step: str
    patient: int | None
    patient_name: str | None
    channel: str
    to: str
    language: str
    due_at: datetime = Field(..., description="In the clinic's time zone, with its offset.")
    status: str
    status_note: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str
    sent_at: datetime | None
    subject: str = Field(..., description="As sent; empty until the message is sent.")
    body: str = Field(..., description="As sent; empty until the message is sent.")


def message_out(message: Message, zone: ZoneInfo) -> MessageOut:
    def local(moment: datetime | None) -> datetime | None:
        return None if moment is None else moment.astimezone(zone)

    return MessageOut(
        id=message.pk,
        kind=message.kind,
        step=message.step,
        patient=message.patient_id,
        patient_name=str(message.patient) if message.patient is not None else None,
        channel=message.channel,
        to=message.to,
        language=message.language,
        due_at=message.due_at.astimezone(zone),
        status=message.status,
        status_note=message.status_note,
        attempts=message.attempts,
        next_attempt_at=local(message.next_attempt_at),
        last_error=message.last_error,
        sent_at=local(message.sent_at),
        subject=message.subject,
        body=message.body,
    )


class MessagesQuery(Schema):
    status: str | None = Field(None, description="One of: " + ", ".join(Status.values))
    kind: str | None = Field(None, description="One of: " + ", ".join(Kind.values))
    patient: int | None = None
    limit: int = Field(100, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0)

    @field_validator("status")
    @classmethod
    def _status(cls, value: str | None) -> str | None:
        if value is not None and value not in Status.values:
            raise ValueError("Unknown status; one of: " + ", ".join(Status.values))
        return value

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str | None) -> str | None:
        if value is not None and value not in Kind.values:
            raise ValueError("Unknown kind; one of: " + ", ".join(Kind.values))
        return value


@router.get("/clinics/{slug}/messages", response={200: list[MessageOut]}, auth=django_auth)
def list_messages(request: HttpRequest, slug: str, query: Query[MessagesQuery]) -> list[MessageOut]:
    """The clinic's messages, the latest due first."""
    clinic = _clinic(request, slug)
    found = outbox.messages_of(clinic, query.status or "", query.kind or "")
    if query.patient is not None:
        found = found.filter(patient_id=query.patient)
    zone = ZoneInfo(clinic.time_zone)
    return [message_out(m, zone) for m in found[query.offset : query.offset + query.limit]]


@router.get("/clinics/{slug}/messages/{message_id}", response={200: MessageOut}, auth=django_auth)
def get_message(request: HttpRequest, slug: str, message_id: int) -> MessageOut:
    clinic = _clinic(request, slug)
    return message_out(_message(clinic, message_id), ZoneInfo(clinic.time_zone))


@router.post(
    "/clinics/{slug}/messages/{message_id}/retry", response={200: MessageOut}, auth=django_auth
)
def retry_message(request: HttpRequest, slug: str, message_id: int) -> MessageOut:
    """Try a failed, retrying or unsent message again now (the contact is
    read again from the patient's record)."""
    clinic = _clinic(request, slug)
    message = _message(clinic, message_id)
    if not outbox.retry_now(message, by=request.user):
        raise ApiError(
            409,
            f"This message is {message.status}; only a message that is "
            f"{', '.join(str(s) for s in outbox.RETRYABLE)} can be retried.",
            "status",
        )
    message.refresh_from_db()
    return message_out(message, ZoneInfo(clinic.time_zone))


@router.post(
    "/clinics/{slug}/messages/{message_id}/cancel", response={200: MessageOut}, auth=django_auth
)
def cancel_message(request: HttpRequest, slug: str, message_id: int) -> MessageOut:
    """Cancel a message not yet sent."""
    clinic = _clinic(request, slug)
    message = _message(clinic, message_id)
    if not outbox.cancel(message, outbox.CANCELLED_BY_STAFF, by=request.user):
        raise ApiError(
            409,
            f"This message is {message.status}; only a scheduled or retrying message "
            "can be cancelled.",
            "status",
        )
    message.refresh_from_db()
    return message_out(message, ZoneInfo(clinic.time_zone))
