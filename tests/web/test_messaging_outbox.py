"""The outbox staff see, and what they can do from it: the pages and the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
import time_machine
from django.test import Client
from django_tasks_db.models import DBTaskResult

from messaging import outbox
from messaging.models import Kind, Message, Status
from tests.clients import login, post_json
from tests.conftest import People
from tests.web.test_scheduling_api import KOLKATA

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=KOLKATA)
OUTBOX = "/staff/test/outbox/"
API = "/api/v1/clinics/test/messages"


@pytest.fixture(autouse=True)
def monday() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def box(people: People) -> dict[str, Message]:
    """A reminder due later, one that failed for good, one that was sent,
    and a message of the other clinic."""
    people.patient.email = "pat@example.com"
    people.patient.consents_to_messages = True
    people.patient.save()

    def message(key: str, **extra: Any) -> Message:
        return outbox.schedule(
            clinic=people.clinic,
            kind=Kind.REMINDER,
            key=key,
            due_at=datetime(2026, 11, 26, 10, 0, tzinfo=KOLKATA),
            patient=people.patient,
            **extra,
        )

    scheduled = message("reminder:1")
    failed = message("reminder:2")
    Message.objects.filter(pk=failed.pk).update(
        status=Status.FAILED, attempts=5, last_error="SMTPRecipientsRefused: no such mailbox"
    )
    sent = message("reminder:3")
    Message.objects.filter(pk=sent.pk).update(
        status=Status.SENT, attempts=1, sent_at=NOW, subject="Reminder", body="See you soon."
    )
    other = outbox.schedule(
        clinic=people.other_clinic,
        kind=Kind.ALERT,
        key="alert:other",
        due_at=NOW,
        to="desk@other.example",
    )
    return {
        "scheduled": scheduled,
        "failed": Message.objects.get(pk=failed.pk),
        "sent": Message.objects.get(pk=sent.pk),
        "other": other,
    }


def rows(response: Any) -> list[int]:
    return [m.pk for m in response.context["page"].object_list]


# -- the page --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["front_desk", "practitioner", "manager"])
def test_the_clinic_staff_see_every_message_with_its_state(
    people: People, box: dict[str, Message], role: str
) -> None:
    response = login(getattr(people, role)).get(OUTBOX)

    assert response.status_code == 200
    assert sorted(rows(response)) == sorted(box[k].pk for k in ("scheduled", "failed", "sent"))
    assert response.context["counts"] == {"failed": 1, "retrying": 0}
    html = response.content.decode()
    assert "Pat One" in html
    assert "pat@example.com" in html
    assert "Thu 26 Nov 2026, 10:00 IST" in html  # the clinic's local time
    assert "SMTPRecipientsRefused: no such mailbox" in html
    assert "desk@other.example" not in html


@pytest.mark.parametrize("who", ["outsider", "patient"])
def test_anyone_else_gets_404(people: People, box: dict[str, Message], who: str) -> None:
    user = people.outsider if who == "outsider" else people.patient.user
    client = login(user)

    assert client.get(OUTBOX).status_code == 404
    assert client.get(f"{OUTBOX}{box['failed'].pk}/").status_code == 404
    assert client.post(f"{OUTBOX}{box['failed'].pk}/retry/").status_code == 404
    assert Message.objects.get(pk=box["failed"].pk).status == Status.FAILED


def test_logged_out_visitors_are_sent_to_the_login(box: dict[str, Message]) -> None:
    response = Client().get(OUTBOX)

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_message_of_another_clinic_is_not_found_under_this_one(
    people: People, box: dict[str, Message]
) -> None:
    client = login(people.front_desk)

    assert client.get(f"{OUTBOX}{box['other'].pk}/").status_code == 404
    assert client.post(f"{OUTBOX}{box['other'].pk}/cancel/").status_code == 404
    assert Message.objects.get(pk=box["other"].pk).status == Status.SCHEDULED


def test_it_filters_by_status_and_kind(people: People, box: dict[str, Message]) -> None:
    client = login(people.front_desk)

    assert rows(client.get(OUTBOX, {"status": "failed"})) == [box["failed"].pk]
    assert rows(client.get(OUTBOX, {"kind": "aftercare"})) == []
    assert len(rows(client.get(OUTBOX, {"kind": "reminder", "status": "sent"}))) == 1
    unknown = client.get(OUTBOX, {"status": "lost"})
    assert unknown.status_code == 200
    assert "That filter is not known" in unknown.content.decode()
    assert len(rows(unknown)) == 3


def test_a_failed_message_can_be_sent_again_now(people: People, box: dict[str, Message]) -> None:
    failed = box["failed"]

    response = login(people.front_desk).post(
        f"{OUTBOX}{failed.pk}/retry/", {"next": f"{OUTBOX}?status=failed"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"{OUTBOX}?status=failed"
    failed.refresh_from_db()
    assert (failed.status, failed.next_attempt_at, failed.handled_by, failed.handled_at) == (
        Status.RETRYING,
        NOW,
        people.front_desk,
        NOW,
    )
    assert DBTaskResult.objects.get(id=failed.task_id).run_after == NOW


def test_a_sent_message_cannot_be_retried_or_cancelled(
    people: People, box: dict[str, Message]
) -> None:
    client = login(people.practitioner)
    sent = box["sent"]

    retried = client.post(f"{OUTBOX}{sent.pk}/retry/", follow=True)
    cancelled = client.post(f"{OUTBOX}{sent.pk}/cancel/", follow=True)

    assert "only a failed or unsent message can be retried" in retried.content.decode()
    assert "only a message not yet sent can be cancelled" in cancelled.content.decode()
    after = Message.objects.get(pk=sent.pk)
    assert (after.status, after.handled_by, after.task_id) == (Status.SENT, None, sent.task_id)


def test_a_scheduled_message_can_be_cancelled(people: People, box: dict[str, Message]) -> None:
    scheduled = box["scheduled"]

    response = login(people.manager).post(f"{OUTBOX}{scheduled.pk}/cancel/", follow=True)

    assert "it will not be sent" in response.content.decode()
    scheduled.refresh_from_db()
    assert (scheduled.status, scheduled.status_note, scheduled.handled_by) == (
        Status.CANCELLED,
        outbox.CANCELLED_BY_STAFF,
        people.manager,
    )


def test_actions_need_post_and_the_csrf_token(people: People, box: dict[str, Message]) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.front_desk)
    url = f"{OUTBOX}{box['scheduled'].pk}/cancel/"

    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 403
    assert Message.objects.get(pk=box["scheduled"].pk).status == Status.SCHEDULED


def test_it_never_redirects_to_another_site(people: People, box: dict[str, Message]) -> None:
    response = login(people.front_desk).post(
        f"{OUTBOX}{box['scheduled'].pk}/cancel/", {"next": "https://evil.example/"}
    )

    assert response["Location"] == OUTBOX


def test_a_sent_message_shows_its_text_as_sent(people: People, box: dict[str, Message]) -> None:
    response = login(people.front_desk).get(f"{OUTBOX}{box['sent'].pk}/")

    assert response.status_code == 200
    assert "See you soon." in response.content.decode()


# -- the API ---------------------------------------------------------------------------------


def test_the_api_lists_the_clinic_messages_in_its_time_zone(
    people: People, box: dict[str, Message]
) -> None:
    client = login(people.practitioner)

    everything = client.get(API).json()
    failed = client.get(API, {"status": "failed"}).json()

    assert sorted(m["id"] for m in everything) == sorted(
        box[k].pk for k in ("scheduled", "failed", "sent")
    )
    assert [m["id"] for m in failed] == [box["failed"].pk]
    assert failed[0]["due_at"] == "2026-11-26T10:00:00+05:30"
    assert failed[0]["last_error"] == "SMTPRecipientsRefused: no such mailbox"
    assert (failed[0]["patient"], failed[0]["attempts"]) == (people.patient.pk, 5)


def test_the_api_names_a_bad_filter(people: People, box: dict[str, Message]) -> None:
    response = login(people.front_desk).get(API, {"status": "lost"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "status"


def test_the_api_retries_and_cancels(people: People, box: dict[str, Message]) -> None:
    client = login(people.front_desk)

    retried = post_json(client, f"{API}/{box['failed'].pk}/retry")
    cancelled = post_json(client, f"{API}/{box['scheduled'].pk}/cancel")
    refused = post_json(client, f"{API}/{box['sent'].pk}/cancel")

    assert (retried.status_code, retried.json()["status"]) == (200, "retrying")
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["field"] == "status"
    assert Message.objects.get(pk=box["sent"].pk).status == Status.SENT


def test_the_api_answers_404_to_strangers_and_401_to_the_logged_out(
    people: People, box: dict[str, Message]
) -> None:
    outsider = login(people.outsider)

    assert outsider.get(API).status_code == 404
    assert post_json(outsider, f"{API}/{box['failed'].pk}/retry").status_code == 404
    assert post_json(login(people.front_desk), f"{API}/{box['other'].pk}/retry").status_code == 404
    assert Client().get(API).status_code == 401
    assert Message.objects.get(pk=box["failed"].pk).status == Status.FAILED


def test_the_staff_navigation_leads_to_the_outbox(people: People) -> None:
    page = login(people.front_desk).get("/staff/test/patients/").content.decode()

    assert 'href="/staff/test/outbox/"' in page
