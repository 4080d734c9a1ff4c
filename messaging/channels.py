"""How a message reaches a patient: email, SMS, WhatsApp.

``settings.MESOCLINIC_CHANNELS`` maps each channel to a class with
``send(message, rendered) -> None`` that raises when the message did not
go (the sender then retries it). Email goes through Django's mail
framework; SMS and WhatsApp print to the console until a clinic plugs in
its provider's class.
"""

from __future__ import annotations

import logging
import sys
from email.utils import formataddr, parseaddr
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives
from django.utils.module_loading import import_string

from messaging.render import Rendered

if TYPE_CHECKING:
    from messaging.models import Message

logger = logging.getLogger(__name__)


class MessageChannel(Protocol):
    def send(self, message: Message, rendered: Rendered) -> None: ...


def get_channel(name: str) -> MessageChannel:
    """The channel class configured for ``name``; ImproperlyConfigured
    (retried, then shown in the outbox) when none is."""
    path = settings.MESOCLINIC_CHANNELS.get(name)
    if not path:
        raise ImproperlyConfigured(f"No channel is configured for {name!r} (MESOCLINIC_CHANNELS).")
    channel: MessageChannel = import_string(path)()
    return channel


def sender(clinic_name: str) -> str:
    """DEFAULT_FROM_EMAIL's address under the clinic's name."""
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((clinic_name, address or settings.DEFAULT_FROM_EMAIL))


class EmailChannel:
    """Email through Django's default mailer: plain text, with the HTML
    version when there is one; replies go to the clinic's own address."""

    def send(self, message: Message, rendered: Rendered) -> None:
        clinic = message.clinic
        mail = EmailMultiAlternatives(
            subject=rendered.subject,
            body=rendered.text,
            from_email=sender(clinic.name),
            to=[message.to],
            reply_to=[clinic.email] if clinic.email else [],
            headers={"X-Mesoclinic-Message": str(message.pk)},
        )
        if rendered.html:
            mail.attach_alternative(rendered.html, "text/html")
        mail.send()


class ConsoleChannel:
    """Prints the message (SMS and WhatsApp until a provider is plugged in)."""

    def send(self, message: Message, rendered: Rendered) -> None:
        text = (
            f"--- {message.channel} to {message.to} (message {message.pk})\n"
            f"{rendered.subject}\n\n{rendered.text}\n---\n"
        )
        sys.stdout.write(text)
        sys.stdout.flush()
        logger.info("Printed %s message %s to %s", message.channel, message.pk, message.to)
