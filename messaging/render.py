"""How each kind of message is written, at the moment it is sent.

A renderer is registered per message kind by the app that owns the kind
(``@renderer("recall")`` in stock, ``@renderer("alert")`` in safety); the
sender calls it inside the patient's language (``translation.override``)
and the clinic's time zone (``timezone.override``), so a renderer only uses
gettext and ``local_time``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.utils import formats

if TYPE_CHECKING:
    from clinics.models import Clinic
    from messaging.models import Message


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str  # the plain text: the email's body and the whole SMS/WhatsApp message
    html: str = ""  # an email's HTML alternative, when there is one


Renderer = Callable[["Message"], Rendered]
_RENDERERS: dict[str, Renderer] = {}


def renderer(kind: str) -> Callable[[Renderer], Renderer]:
    def register(fn: Renderer) -> Renderer:
        _RENDERERS[kind] = fn
        return fn

    return register


def render(message: Message) -> Rendered:
    """The message's text; KeyError when no app registered its kind."""
    return _RENDERERS[message.kind](message)


def local_time(moment: datetime, clinic: Clinic) -> str:
    """A time as a patient reads it: the clinic's local date and time with
    its zone, e.g. "Tuesday 24 November 2026, 11:00 IST (Asia/Kolkata)",
    in the active language's date format."""
    zone = ZoneInfo(clinic.time_zone)
    local = moment.astimezone(zone)
    day = formats.date_format(local, "l j F Y")
    hour = formats.time_format(local, "H:i")
    return f"{day}, {hour} {local.tzname()} ({clinic.time_zone})"
