"""Which messages a booking and a chart put in the outbox, when they fall
due, and how one is sent once: in this process, with Django's in-memory
mail box (the separate worker process is tests/web/test_messaging_worker.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import override_settings
from django.utils import timezone
from django.utils.html import escape
from django_tasks_db.models import DBTaskResult

from clinical.charting import session_end
from messaging import hooks, outbox
from messaging.models import Channel, Kind, Message, Status
from messaging.render import Rendered
from messaging.sending import BACKOFF, CLAIM_TIMEOUT, MAX_ATTEMPTS, deliver, sweep
from scheduling.booking import book, cancel, mark_no_show, reschedule
from tests.clients import login
from tests.clinical_factories import make_chart, make_course
from tests.conftest import People
from tests.web.test_scheduling_api import KOLKATA, Cal, setup_calendar

pytestmark = pytest.mark.django_db

BOOKED_AT = datetime(2026, 11, 23, 9, 0, tzinfo=KOLKATA)  # Monday
THURSDAY = datetime(2026, 12, 3, 11, 0, tzinfo=KOLKATA)
T0 = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)  # Tuesday 11:30 IST


@pytest.fixture
def reachable(people: People) -> People:
    people.patient.email = "pat@example.com"
    people.patient.consents_to_messages = True
    people.patient.save()
    return people


@pytest.fixture
def cal(reachable: People) -> Cal:
    return setup_calendar(reachable)


def book_at(cal: Cal, start: datetime, now: datetime = BOOKED_AT, service: Any = None) -> Any:
    with time_machine.travel(now, tick=False):
        return book(
            clinic=cal.clinic,
            patient=cal.people.patient,
            service=service or cal.scalp,
            practitioner_id=cal.doctor.pk,
            start=start,
            by=cal.people.front_desk,
        )


def of(appointment: Any) -> dict[tuple[str, str], Message]:
    """The appointment's messages by (kind, status)."""
    return {(m.kind, m.status): m for m in Message.objects.filter(appointment=appointment)}


def chart_at(people: People, when: datetime, course: Any = None, **course_args: Any) -> Any:
    with time_machine.travel(when, tick=False):
        course = course or make_course(people.patient, people.practitioner, **course_args)
        return make_chart(course, people.practitioner, session_number=course.charts.count() + 1)


def send_at(message: Message, when: datetime) -> str:
    with time_machine.travel(when, tick=False):
        return deliver(message.pk)


# -- before a session ------------------------------------------------------------------------


def test_a_booked_session_gets_instructions_a_week_before_and_a_reminder_the_day_before(
    cal: Cal,
) -> None:
    appointment = book_at(cal, THURSDAY)

    pre_visit = Message.objects.get(appointment=appointment, kind=Kind.PRE_VISIT)
    reminder = Message.objects.get(appointment=appointment, kind=Kind.REMINDER)
    # 10:00 at the clinic, 7 days (the catalog's longest pause) and 1 day before.
    assert pre_visit.due_at == datetime(2026, 11, 26, 10, 0, tzinfo=KOLKATA)
    assert reminder.due_at == datetime(2026, 12, 2, 10, 0, tzinfo=KOLKATA)
    for message in (pre_visit, reminder):
        assert message.status == Status.SCHEDULED
        assert (message.channel, message.to, message.language) == (
            Channel.EMAIL,
            "pat@example.com",
            "en",
        )
        assert str(appointment.pk) in message.key
        assert "2026-12-03T05:30:00Z" in message.key
        assert message.created_by == cal.people.front_desk
        # Its task waits in the queue for the moment it falls due.
        task = DBTaskResult.objects.get(id=message.task_id)
        assert task.run_after == message.due_at


def test_moving_the_appointment_moves_its_messages_and_moving_it_back_restores_them(
    cal: Cal,
) -> None:
    appointment = book_at(cal, THURSDAY)
    first = of(appointment)
    later = THURSDAY + timedelta(days=7)

    with time_machine.travel(BOOKED_AT, tick=False):
        reschedule(
            clinic=cal.clinic, appointment_id=appointment.pk, start=later, by=cal.people.front_desk
        )

    now = of(appointment)
    assert now[Kind.PRE_VISIT, Status.CANCELLED].pk == first[Kind.PRE_VISIT, Status.SCHEDULED].pk
    assert now[Kind.REMINDER, Status.CANCELLED].status_note == hooks.MOVED_NOTE
    assert now[Kind.PRE_VISIT, Status.SCHEDULED].due_at == datetime(
        2026, 12, 3, 10, 0, tzinfo=KOLKATA
    )
    assert now[Kind.REMINDER, Status.SCHEDULED].due_at == datetime(
        2026, 12, 9, 10, 0, tzinfo=KOLKATA
    )
    # The old reminder's task, when its time comes, sends nothing.
    assert (
        send_at(first[Kind.REMINDER, Status.SCHEDULED], THURSDAY - timedelta(hours=20)) == "not due"
    )

    with time_machine.travel(BOOKED_AT, tick=False):
        reschedule(
            clinic=cal.clinic,
            appointment_id=appointment.pk,
            start=THURSDAY,
            by=cal.people.front_desk,
        )

    back = Message.objects.filter(appointment=appointment)
    assert back.count() == 4
    scheduled = back.filter(status=Status.SCHEDULED)
    assert set(scheduled.values_list("pk", flat=True)) == {
        first[Kind.PRE_VISIT, Status.SCHEDULED].pk,
        first[Kind.REMINDER, Status.SCHEDULED].pk,
    }
    assert back.filter(status=Status.CANCELLED, key__contains="2026-12-10").count() == 2


def test_cancelling_the_appointment_cancels_its_messages(cal: Cal) -> None:
    appointment = book_at(cal, THURSDAY)
    with time_machine.travel(BOOKED_AT, tick=False):
        cancel(
            clinic=cal.clinic, appointment_id=appointment.pk, reason="Ill", by=cal.people.front_desk
        )

    messages = Message.objects.filter(appointment=appointment)
    assert [(m.status, m.status_note) for m in messages] == [
        (Status.CANCELLED, "The appointment was cancelled."),
    ] * 2
    pre_visit = messages.get(kind=Kind.PRE_VISIT)
    assert send_at(pre_visit, pre_visit.due_at + timedelta(minutes=1)) == "not due"
    assert mail.outbox == []


def test_a_no_show_cancels_what_is_still_pending(cal: Cal) -> None:
    appointment = book_at(cal, THURSDAY)
    # The worker was down: neither message went.
    with time_machine.travel(THURSDAY + timedelta(hours=1), tick=False):
        mark_no_show(clinic=cal.clinic, appointment_id=appointment.pk, by=cal.people.front_desk)

    assert set(
        Message.objects.filter(appointment=appointment).values_list("status", "status_note")
    ) == {(Status.CANCELLED, "The patient did not come (no-show).")}


def test_a_reminder_for_an_appointment_that_has_begun_is_not_sent(cal: Cal) -> None:
    appointment = book_at(cal, THURSDAY)
    reminder = Message.objects.get(appointment=appointment, kind=Kind.REMINDER)

    assert send_at(reminder, THURSDAY + timedelta(minutes=5)) == "cancelled"

    reminder.refresh_from_db()
    assert (reminder.status, reminder.status_note) == (
        Status.CANCELLED,
        "The appointment had begun before the message could be sent.",
    )
    assert mail.outbox == []


def test_a_consultation_gets_a_reminder_but_no_instructions(cal: Cal) -> None:
    appointment = book_at(cal, THURSDAY, service=cal.consultation)

    assert list(Message.objects.filter(appointment=appointment).values_list("kind", flat=True)) == [
        Kind.REMINDER
    ]


def test_a_session_booked_late_gets_its_instructions_now(cal: Cal) -> None:
    now = datetime(2026, 12, 1, 15, 0, tzinfo=KOLKATA)
    appointment = book_at(cal, THURSDAY, now=now)

    pre_visit = Message.objects.get(appointment=appointment, kind=Kind.PRE_VISIT)
    assert pre_visit.due_at == now


def test_a_session_booked_for_the_next_morning_gets_neither(cal: Cal) -> None:
    appointment = book_at(cal, THURSDAY, now=datetime(2026, 12, 2, 12, 0, tzinfo=KOLKATA))

    # Less than a day before: no pre-visit; the reminder's 10:00 has passed.
    assert not Message.objects.filter(appointment=appointment).exists()


def test_a_patient_who_did_not_agree_to_reminders_gets_the_instructions_but_no_reminder(
    cal: Cal,
) -> None:
    cal.people.patient.consents_to_messages = False
    cal.people.patient.save()

    appointment = book_at(cal, THURSDAY)

    statuses = {
        m.kind: (m.status, m.status_note) for m in Message.objects.filter(appointment=appointment)
    }
    assert statuses == {
        Kind.PRE_VISIT: (Status.SCHEDULED, ""),
        Kind.REMINDER: (Status.SKIPPED, outbox.NO_REMINDER_CONSENT),
    }


def test_a_patient_with_only_a_phone_gets_a_text_by_the_console_channel(
    cal: Cal, capsys: pytest.CaptureFixture[str]
) -> None:
    cal.people.patient.email = ""
    cal.people.patient.phone = "+91 98765 43210"
    cal.people.patient.save()
    appointment = book_at(cal, THURSDAY)
    reminder = Message.objects.get(appointment=appointment, kind=Kind.REMINDER)
    assert (reminder.channel, reminder.to) == (Channel.SMS, "+91 98765 43210")

    assert send_at(reminder, reminder.due_at + timedelta(minutes=1)) == "sent"

    printed = capsys.readouterr().out
    assert "sms to +91 98765 43210" in printed
    assert "Thursday 3 December 2026, 11:00 IST (Asia/Kolkata)" in printed
    assert mail.outbox == []


def test_a_patient_without_contact_is_shown_in_the_outbox_as_not_sent(cal: Cal) -> None:
    cal.people.patient.email = ""
    cal.people.patient.save()
    appointment = book_at(cal, THURSDAY)

    pre_visit = Message.objects.get(appointment=appointment, kind=Kind.PRE_VISIT)
    assert (pre_visit.status, pre_visit.status_note, pre_visit.task_id) == (
        Status.SKIPPED,
        outbox.NO_CONTACT,
        "",
    )
    page = login(cal.people.front_desk).get("/staff/test/outbox/?status=skipped")
    assert page.content.decode().count(escape(outbox.NO_CONTACT)) == 2


# -- after a session -------------------------------------------------------------------------


def test_a_chart_schedules_the_aftercare_now_and_the_check_ins_after_the_session(
    reachable: People,
) -> None:
    chart = chart_at(reachable, T0)

    due = dict(Message.objects.filter(chart=chart).values_list("key", "due_at"))
    course = chart.course_id
    assert due == {
        f"aftercare:chart:{chart.pk}": T0,
        f"follow_up:chart:{chart.pk}:day_1": T0 + timedelta(hours=24),
        f"follow_up:chart:{chart.pk}:day_3": T0 + timedelta(hours=72),
        f"follow_up:chart:{chart.pk}:week_1": T0 + timedelta(weeks=1),
        f"follow_up:course:{course}:week_4": T0 + timedelta(weeks=4),
        f"follow_up:course:{course}:week_8": T0 + timedelta(weeks=8),
        f"follow_up:course:{course}:week_12": T0 + timedelta(weeks=12),
    }


def test_the_session_ends_after_the_numbing_and_the_procedure_of_its_appointment(
    cal: Cal,
) -> None:
    appointment = book_at(cal, THURSDAY)
    chart = chart_at(cal.people, THURSDAY + timedelta(hours=2))
    chart.appointment = appointment
    chart.numbing_minutes = 25
    chart.save()

    assert session_end(chart) == THURSDAY + timedelta(minutes=25 + 20)


def test_check_ins_that_fall_at_night_go_out_at_ten_in_the_morning(reachable: People) -> None:
    late = datetime(2026, 11, 24, 21, 30, tzinfo=KOLKATA)
    early = datetime(2026, 11, 24, 6, 15, tzinfo=KOLKATA)

    evening = chart_at(reachable, late)
    morning = chart_at(reachable, early)

    def step(chart: Any, name: str) -> datetime:
        return Message.objects.get(key=f"follow_up:chart:{chart.pk}:{name}").due_at

    assert step(evening, "day_1") == datetime(2026, 11, 26, 10, 0, tzinfo=KOLKATA)
    assert step(morning, "day_1") == datetime(2026, 11, 25, 10, 0, tzinfo=KOLKATA)
    # The aftercare is not held back: it goes right after the session.
    assert Message.objects.get(key=f"aftercare:chart:{evening.pk}").due_at == late


def test_a_later_session_moves_the_course_check_ins(reachable: People) -> None:
    first = chart_at(reachable, T0)
    week_4 = Message.objects.get(key=f"follow_up:course:{first.course_id}:week_4")

    second = chart_at(reachable, T0 + timedelta(weeks=2), course=first.course)

    moved = Message.objects.get(pk=week_4.pk)
    assert (moved.due_at, moved.chart_id, moved.status) == (
        T0 + timedelta(weeks=6),
        second.pk,
        Status.SCHEDULED,
    )
    assert Message.objects.filter(step="week_4").count() == 1
    # The task of its old time leaves it for the task of its new time.
    assert send_at(moved, T0 + timedelta(weeks=4, minutes=1)) == "not due"
    assert DBTaskResult.objects.filter(id=moved.task_id, run_after=moved.due_at).exists()


def test_a_session_after_the_check_in_went_gets_a_check_in_of_its_own(reachable: People) -> None:
    first = chart_at(reachable, T0)
    week_4 = Message.objects.get(key=f"follow_up:course:{first.course_id}:week_4")
    assert send_at(week_4, T0 + timedelta(weeks=4, hours=1)) == "sent"

    second = chart_at(reachable, T0 + timedelta(weeks=5), course=first.course)

    again = Message.objects.filter(step="week_4").exclude(pk=week_4.pk).get()
    assert (again.chart_id, again.due_at, again.status) == (
        second.pk,
        T0 + timedelta(weeks=9),
        Status.SCHEDULED,
    )
    assert Message.objects.get(pk=week_4.pk).status == Status.SENT


# -- sending once ----------------------------------------------------------------------------


class BrokenChannel:
    def send(self, message: Message, rendered: Rendered) -> None:
        raise ConnectionRefusedError("the mail server refused")


def test_a_message_is_sent_once_however_often_its_task_runs(reachable: People) -> None:
    chart = chart_at(reachable, T0)
    aftercare = Message.objects.get(key=f"aftercare:chart:{chart.pk}")

    outcomes = [send_at(aftercare, T0 + timedelta(minutes=m)) for m in (1, 2, 30)]

    assert outcomes == ["sent", "not due", "not due"]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["pat@example.com"]
    assert mail.outbox[0].reply_to == []  # the clinic has no email address
    aftercare.refresh_from_db()
    assert (aftercare.status, aftercare.attempts, aftercare.sent_at) == (
        Status.SENT,
        1,
        T0 + timedelta(minutes=1),
    )


def test_a_message_claimed_by_a_worker_that_died_is_sent_after_ten_minutes(
    reachable: People,
) -> None:
    chart = chart_at(reachable, T0)
    aftercare = Message.objects.get(key=f"aftercare:chart:{chart.pk}")
    claimed = T0 + timedelta(minutes=1)
    Message.objects.filter(pk=aftercare.pk).update(
        status=Status.SENDING, claimed_at=claimed, attempts=1
    )

    with time_machine.travel(claimed + CLAIM_TIMEOUT - timedelta(seconds=1), tick=False):
        assert sweep() == {}
    with time_machine.travel(claimed + CLAIM_TIMEOUT + timedelta(seconds=1), tick=False):
        assert sweep() == {"sent": 1}

    assert len(mail.outbox) == 1
    aftercare.refresh_from_db()
    assert (aftercare.status, aftercare.attempts) == (Status.SENT, 2)


@override_settings(MESOCLINIC_CHANNELS={"email": f"{__name__}.BrokenChannel"})
def test_a_failing_message_is_retried_with_growing_waits_then_failed(reachable: People) -> None:
    chart = chart_at(reachable, T0)
    aftercare = Message.objects.get(key=f"aftercare:chart:{chart.pk}")
    now = T0
    for attempt in range(1, MAX_ATTEMPTS):
        assert send_at(aftercare, now) == "retrying"
        aftercare.refresh_from_db()
        assert aftercare.attempts == attempt
        assert aftercare.next_attempt_at == now + BACKOFF[attempt - 1]
        assert aftercare.last_error == "ConnectionRefusedError: the mail server refused"
        # The retry has its own task, queued for then.
        assert DBTaskResult.objects.get(id=aftercare.task_id).run_after == aftercare.next_attempt_at
        assert send_at(aftercare, aftercare.next_attempt_at - timedelta(seconds=1)) == "not due"
        now = aftercare.next_attempt_at

    assert send_at(aftercare, now) == "failed"

    aftercare.refresh_from_db()
    assert (aftercare.status, aftercare.attempts, aftercare.next_attempt_at) == (
        Status.FAILED,
        MAX_ATTEMPTS,
        None,
    )
    assert mail.outbox == []


class RefusingTask:
    """A task backend that is down."""

    def using(self, **_: Any) -> RefusingTask:
        return self

    def enqueue(self, *args: Any) -> None:
        raise ConnectionError("task backend unavailable")


def test_a_task_backend_that_is_down_loses_no_message(
    reachable: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("messaging.tasks.send_message", RefusingTask())

    chart = chart_at(reachable, T0)

    aftercare = Message.objects.get(key=f"aftercare:chart:{chart.pk}")
    assert (aftercare.status, aftercare.task_id) == (Status.SCHEDULED, "")
    assert not DBTaskResult.objects.exists()
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        assert sweep() == {"sent": 1}
    assert len(mail.outbox) == 1


def test_the_sweep_leaves_messages_whose_task_is_queued_to_the_worker(reachable: People) -> None:
    chart_at(reachable, T0)

    with time_machine.travel(T0 + timedelta(days=2), tick=False):
        assert sweep() == {}
    assert mail.outbox == []


def test_retrying_a_message_not_sent_for_want_of_an_address_reads_the_record_again(
    reachable: People,
) -> None:
    reachable.patient.email = ""
    reachable.patient.save()
    chart = chart_at(reachable, T0)
    aftercare = Message.objects.get(key=f"aftercare:chart:{chart.pk}")
    assert aftercare.status == Status.SKIPPED
    reachable.patient.email = "new@example.com"
    reachable.patient.save()

    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        assert outbox.retry_now(aftercare, by=reachable.front_desk)
        assert deliver(aftercare.pk) == "sent"

    assert mail.outbox[0].to == ["new@example.com"]
    aftercare.refresh_from_db()
    assert (aftercare.status, aftercare.to, aftercare.handled_by) == (
        Status.SENT,
        "new@example.com",
        reachable.front_desk,
    )


def test_an_alert_goes_to_the_clinic_address_or_waits_visibly_without_one(
    people: People,
) -> None:
    people.clinic.email = "desk@clinic.example"
    people.clinic.save()

    alert = outbox.alert_clinic(people.clinic, "alert:test:1", {"event": 0})
    again = outbox.alert_clinic(people.clinic, "alert:test:1", {"event": 0})
    people.other_clinic.email = ""
    missing = outbox.alert_clinic(people.other_clinic, "alert:test:2", {"event": 0})

    assert again.pk == alert.pk
    assert (alert.kind, alert.to, alert.status, alert.patient) == (
        Kind.ALERT,
        "desk@clinic.example",
        Status.SCHEDULED,
        None,
    )
    assert alert.due_at <= timezone.now()
    assert (missing.status, missing.status_note) == (Status.SKIPPED, outbox.NO_CLINIC_EMAIL)


def test_apps_hear_of_a_sent_message_once_and_their_errors_do_not_unsend_it(
    reachable: People,
) -> None:
    from messaging.signals import message_sent

    heard: list[tuple[int, str]] = []

    def listen(sender: type, message: Message, **_: Any) -> None:
        heard.append((message.pk, message.status))

    def broken(sender: type, message: Message, **_: Any) -> None:
        raise RuntimeError("a receiver's bug")

    chart = chart_at(reachable, T0)
    aftercare = Message.objects.get(key=f"aftercare:chart:{chart.pk}")
    message_sent.connect(listen)
    message_sent.connect(broken)
    try:
        assert send_at(aftercare, T0 + timedelta(minutes=1)) == "sent"
        assert send_at(aftercare, T0 + timedelta(minutes=2)) == "not due"
    finally:
        message_sent.disconnect(listen)
        message_sent.disconnect(broken)

    assert heard == [(aftercare.pk, Status.SENT)]
    assert Message.objects.get(pk=aftercare.pk).status == Status.SENT
    assert len(mail.outbox) == 1
