"""The background task that sends one message (run by ``manage.py db_worker``)."""

from __future__ import annotations

from django.tasks import task

from messaging.sending import deliver


@task()
def send_message(message_id: int) -> str:
    """Send the message if it is due and no other worker has it; see
    messaging.sending. Enqueued by messaging.outbox with ``run_after`` set
    to when the message falls due."""
    return deliver(message_id)
