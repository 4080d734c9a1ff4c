"""Messages that go out, once, on time: the real task worker in its own
process (``manage.py db_worker``, tests/worker_at.py) mailing to a local
SMTP server (aiosmtpd), with time moved by time_machine, never by sleeping.

The session of these tests ends at T0, a Tuesday at 11:30 in the clinic
(Asia/Kolkata); every time a patient reads is the clinic's local time with
its zone.
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django_tasks_db.models import DBTaskResult

from messaging import outbox
from messaging.models import Kind, Message, Status
from messaging.tasks import send_message
from scheduling.booking import book
from tests.clients import login
from tests.clinical_factories import make_chart, make_course
from tests.conftest import People
from tests.messaging_support import (
    Mail,
    RunningWorker,
    SmtpSink,
    free_port,
    run_worker,
    smtp_sink,  # noqa: F401  (the fixture)
    worker_command,
    worker_env,
)
from tests.web.test_scheduling_api import KOLKATA, setup_calendar

pytestmark = pytest.mark.django_db(transaction=True)

T0 = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)  # Tuesday 11:30 IST
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
WEEK = timedelta(weeks=1)


@pytest.fixture
def reachable(people: People) -> People:
    people.patient.email = "pat@example.com"
    people.patient.consents_to_messages = True
    people.patient.save()
    return people


def chart_at(people: People, when: datetime, course: Any = None, **course_args: Any) -> Any:
    with time_machine.travel(when, tick=False):
        course = course or make_course(people.patient, people.practitioner, **course_args)
        number = course.charts.count() + 1
        return make_chart(course, people.practitioner, session_number=number)


def sent(mails: list[Mail]) -> list[tuple[str, str, int | None]]:
    """(kind, step, chart id) of each mail, from the outbox row it names."""
    rows = {m.pk: m for m in Message.objects.filter(pk__in=[mail.outbox_id for mail in mails])}
    return [
        (rows[mail.outbox_id].kind, rows[mail.outbox_id].step, rows[mail.outbox_id].chart_id)
        for mail in mails
    ]


class Run:
    """Runs the worker at given moments and returns the mails each run sent."""

    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink
        self.seen = 0

    def __call__(self, at: datetime, *args: str) -> list[tuple[str, str, int | None]]:
        run_worker(at, self.sink.port, *args)
        mails = self.sink.received()
        new, self.seen = mails[self.seen :], len(mails)
        return sent(new)


@pytest.fixture
def worker(smtp_sink: SmtpSink) -> Run:  # noqa: F811
    return Run(smtp_sink)


# -- aftercare -------------------------------------------------------------------------------


def test_scalp_aftercare_reaches_the_patient_by_mail_from_a_worker_process(
    reachable: People,
    smtp_sink: SmtpSink,  # noqa: F811
) -> None:
    chart = chart_at(reachable, T0)

    run_worker(T0 + timedelta(minutes=1), smtp_sink.port)

    [mail] = smtp_sink.received()
    assert mail.to == ("pat@example.com",)
    assert "Test Clinic" in mail.sender
    assert mail.subject == "Your aftercare after your session on Tuesday 24 November 2026"
    assert "Do not wash your hair for 24 hours after a hair mesotherapy session." in mail.text
    # The end of the rule, in the clinic's local time with its zone.
    assert "Until Wednesday 25 November 2026, 11:30 IST (Asia/Kolkata)." in mail.text
    assert "Keep out of direct sun" not in mail.text
    assert "Do not wash your hair for 24 hours" in mail.html
    message = Message.objects.get(key=f"aftercare:chart:{chart.pk}")
    assert mail.outbox_id == message.pk
    assert (message.status, message.attempts) == (Status.SENT, 1)
    assert message.subject == mail.subject
    assert "Do not wash your hair for 24 hours" in message.body
    # The check-ins wait for their time.
    assert set(Message.objects.filter(kind=Kind.FOLLOW_UP).values_list("status", flat=True)) == {
        Status.SCHEDULED
    }


def test_face_aftercare_says_no_sun_for_72_hours(
    reachable: People,
    smtp_sink: SmtpSink,  # noqa: F811
) -> None:
    chart_at(reachable, T0, indication="facial_rejuvenation", areas=("face",))

    run_worker(T0 + timedelta(minutes=1), smtp_sink.port)

    [mail] = smtp_sink.received()
    assert "Keep out of direct sun for 72 hours after a face mesotherapy session." in mail.text
    assert "Until Friday 27 November 2026, 11:30 IST (Asia/Kolkata)." in mail.text
    assert "Do not wash your hair" not in mail.text


def test_a_hindi_speaking_patient_gets_the_aftercare_in_hindi(
    reachable: People,
    smtp_sink: SmtpSink,  # noqa: F811
) -> None:
    reachable.patient.preferred_language = "hi"
    reachable.patient.save()
    chart = chart_at(reachable, T0)

    run_worker(T0 + timedelta(minutes=1), smtp_sink.port)

    [mail] = smtp_sink.received()
    message = Message.objects.get(key=f"aftercare:chart:{chart.pk}")
    assert message.language == "hi"
    # The catalog's Hindi text of the scalp rule.
    assert "बालों की मेसोथेरेपी के सत्र के बाद 24 घंटे तक बाल न धोएँ।" in mail.text
    assert "Do not wash your hair for 24 hours" not in mail.text
    assert "IST (Asia/Kolkata)" in mail.text


# -- follow-ups ------------------------------------------------------------------------------


def test_follow_ups_arrive_at_their_times_through_the_last_session(
    reachable: People, worker: Run
) -> None:
    first = chart_at(reachable, T0)
    aftercare = (Kind.AFTERCARE, "", first.pk)

    assert worker(T0 + 23 * HOUR) == [aftercare]
    assert worker(T0 + 25 * HOUR) == [(Kind.FOLLOW_UP, "day_1", first.pk)]
    assert worker(T0 + 71 * HOUR) == []
    assert worker(T0 + 73 * HOUR) == [(Kind.FOLLOW_UP, "day_3", first.pk)]
    assert worker(T0 + 169 * HOUR) == [(Kind.FOLLOW_UP, "week_1", first.pk)]

    # A second session two weeks later: the late check-ins now count from it.
    second_end = T0 + 2 * WEEK
    second = chart_at(reachable, second_end, course=first.course)
    # 4 weeks after the first session: nothing for the first session any
    # more; the second session's own check-ins have all fallen due.
    assert sorted(worker(T0 + 4 * WEEK + HOUR)) == sorted(
        [
            (Kind.AFTERCARE, "", second.pk),
            (Kind.FOLLOW_UP, "day_1", second.pk),
            (Kind.FOLLOW_UP, "day_3", second.pk),
            (Kind.FOLLOW_UP, "week_1", second.pk),
        ]
    )
    assert worker(second_end + 4 * WEEK - HOUR) == []
    assert worker(second_end + 4 * WEEK + HOUR) == [(Kind.FOLLOW_UP, "week_4", second.pk)]
    assert worker(second_end + 8 * WEEK + HOUR) == [(Kind.FOLLOW_UP, "week_8", second.pk)]
    assert worker(second_end + 12 * WEEK + HOUR) == [(Kind.FOLLOW_UP, "week_12", second.pk)]
    assert worker(second_end + 20 * WEEK) == []
    # One of each, for the course; none left to send.
    assert Message.objects.filter(step="week_4").count() == 1
    assert not Message.objects.filter(status__in=outbox.PENDING).exists()


def test_a_worker_down_for_four_days_sends_what_fell_due_once(
    reachable: People, worker: Run
) -> None:
    chart = chart_at(reachable, T0)

    assert sorted(worker(T0 + 4 * DAY)) == sorted(
        [
            (Kind.AFTERCARE, "", chart.pk),
            (Kind.FOLLOW_UP, "day_1", chart.pk),
            (Kind.FOLLOW_UP, "day_3", chart.pk),
        ]
    )
    assert worker(T0 + 4 * DAY + HOUR) == []
    assert worker(T0 + 4 * DAY + HOUR, "send_due_messages") == []
    assert Message.objects.filter(status=Status.SENT).count() == 3
    assert set(Message.objects.filter(status=Status.SENT).values_list("attempts", flat=True)) == {1}


# -- failures and retries --------------------------------------------------------------------


def test_a_refused_mail_is_retried_shown_to_staff_and_then_sent(
    reachable: People,
    smtp_sink: SmtpSink,  # noqa: F811
) -> None:
    chart = chart_at(reachable, T0)
    closed = free_port()  # nothing listens there

    run_worker(T0 + timedelta(minutes=1), closed)

    message = Message.objects.get(key=f"aftercare:chart:{chart.pk}")
    assert message.status == Status.RETRYING
    assert message.attempts == 1
    assert "Connection refused" in message.last_error
    # Five minutes after the failed attempt (the worker's clock ticks on from T0 + 1 min).
    assert message.next_attempt_at is not None
    assert (
        timedelta(0) <= message.next_attempt_at - (T0 + timedelta(minutes=6)) < timedelta(minutes=1)
    )
    page = login(reachable.front_desk).get("/staff/test/outbox/")
    assert page.status_code == 200
    assert "Connection refused" in page.content.decode()
    assert page.context["counts"] == {"failed": 0, "retrying": 1}

    # The server is back, but the retry is not due yet.
    run_worker(T0 + timedelta(minutes=3), smtp_sink.port)
    assert smtp_sink.received() == []

    run_worker(T0 + timedelta(minutes=7), smtp_sink.port)
    [mail] = smtp_sink.received()
    assert mail.outbox_id == message.pk
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (Status.SENT, 2, "")


def test_two_workers_never_send_one_message_twice(
    reachable: People,
    smtp_sink: SmtpSink,  # noqa: F811
) -> None:
    chart = chart_at(reachable, T0)
    message = Message.objects.get(key=f"aftercare:chart:{chart.pk}")
    # Three tasks for the one message (a retry enqueued beside the first
    # task, the sweep...), and two workers taking them at the same time.
    for _ in range(2):
        send_message.using(run_after=T0).enqueue(message.pk)
    at = T0 + timedelta(minutes=1)
    workers = [
        subprocess.Popen(worker_command(at), env=worker_env(smtp_sink.port)) for _ in range(2)
    ]
    assert [w.wait(timeout=60) for w in workers] == [0, 0]

    assert [mail.outbox_id for mail in smtp_sink.received()] == [message.pk]
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENT, 1)
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 3


def test_the_sweep_sends_what_lost_its_task_and_leaves_queued_ones_to_the_worker(
    reachable: People, worker: Run
) -> None:
    chart = chart_at(reachable, T0)
    aftercare = Message.objects.get(key=f"aftercare:chart:{chart.pk}")
    # The task table was pruned under the aftercare's task only.
    DBTaskResult.objects.filter(id=aftercare.task_id).delete()

    assert worker(T0 + 25 * HOUR) == [(Kind.FOLLOW_UP, "day_1", chart.pk)]
    assert worker(T0 + 25 * HOUR, "send_due_messages") == [(Kind.AFTERCARE, "", chart.pk)]
    assert worker(T0 + 26 * HOUR, "send_due_messages") == []


# -- a long-running worker -------------------------------------------------------------------


@pytest.fixture
def running_worker(smtp_sink: SmtpSink) -> Iterator[RunningWorker]:  # noqa: F811
    worker = RunningWorker(
        T0 + timedelta(minutes=1),
        smtp_sink.port,
        "--interval",
        "0.2",
        "--no-startup-delay",
        "--no-reload",
        "-v",
        "1",
    )
    try:
        worker.wait_for_output("Starting worker")
        yield worker
    finally:
        worker.stop()


def test_a_running_worker_picks_up_the_aftercare_within_seconds_and_stops_on_sigterm(
    reachable: People,
    smtp_sink: SmtpSink,  # noqa: F811
    running_worker: RunningWorker,
) -> None:
    chart = chart_at(reachable, T0)

    [mail] = smtp_sink.wait_for(lambda mails: len(mails) >= 1, timeout=10)
    assert mail.outbox_id == Message.objects.get(key=f"aftercare:chart:{chart.pk}").pk

    running_worker.process.send_signal(signal.SIGTERM)
    assert running_worker.process.wait(timeout=10) == 0


# -- before the session ----------------------------------------------------------------------


def test_the_pre_visit_mail_never_tells_to_stop_prescribed_blood_thinners(
    reachable: People,
    smtp_sink: SmtpSink,  # noqa: F811
) -> None:
    cal = setup_calendar(reachable)
    start = datetime(2026, 12, 3, 11, 0, tzinfo=KOLKATA)  # a Thursday
    with time_machine.travel(datetime(2026, 11, 23, 9, 0, tzinfo=KOLKATA), tick=False):
        appointment = book(
            clinic=cal.clinic,
            patient=reachable.patient,
            service=cal.scalp,
            practitioner_id=cal.doctor.pk,
            start=start,
            by=reachable.front_desk,
        )
    pre_visit = Message.objects.get(appointment=appointment, kind=Kind.PRE_VISIT)
    assert pre_visit.due_at == datetime(2026, 11, 26, 10, 0, tzinfo=KOLKATA)

    run_worker(pre_visit.due_at - timedelta(minutes=1), smtp_sink.port)
    assert smtp_sink.received() == []
    run_worker(pre_visit.due_at + timedelta(minutes=1), smtp_sink.port)

    [mail] = smtp_sink.received()
    assert mail.subject == "Before your session on Thursday 3 December 2026"
    assert "Thursday 3 December 2026, 11:00 IST (Asia/Kolkata)" in mail.text
    to_pause, prescribed = mail.text.split("Medicines a doctor prescribed")
    assert "Aspirin" in to_pause
    assert "Your last dose: Thursday 26 November 2026 at the latest." in to_pause
    assert "blood thinners" not in to_pause.lower()
    assert "Do not stop a medicine a doctor prescribed for you" in prescribed
    assert "Anticoagulants (blood thinners)" in prescribed
    assert "Tell your practitioner, who will talk with your prescriber." in prescribed
    # The reminder waits for the day before.
    reminder = Message.objects.get(appointment=appointment, kind=Kind.REMINDER)
    assert (reminder.status, reminder.due_at) == (
        Status.SCHEDULED,
        datetime(2026, 12, 2, 10, 0, tzinfo=KOLKATA),
    )
