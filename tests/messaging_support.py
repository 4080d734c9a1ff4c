"""A local SMTP server that keeps what it receives, and the task worker run
as a separate process at a chosen moment (tests/worker_at.py).

The worker is a real ``manage.py db_worker`` in its own process, reading
the test database (its name is passed down: the PostgreSQL test database,
or the SQLite test database file) and mailing to the sink by SMTP. Time in
that process is moved with time_machine, so a test says "the worker runs
25 hours after the session" without sleeping.
"""

from __future__ import annotations

import email
import email.policy
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from aiosmtpd.controller import Controller
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
WORKER = Path(__file__).resolve().parent / "worker_at.py"


@dataclass(frozen=True)
class Mail:
    """One message the sink received, decoded."""

    to: tuple[str, ...]  # the envelope's recipients
    sender: str  # the From header
    subject: str
    text: str
    html: str
    headers: EmailMessage

    @property
    def outbox_id(self) -> int:
        return int(self.headers["X-Mesoclinic-Message"])


def decode(raw: bytes, recipients: list[str]) -> Mail:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    plain = parsed.get_body(preferencelist=("plain",))
    html = parsed.get_body(preferencelist=("html",))
    return Mail(
        to=tuple(recipients),
        sender=str(parsed["From"]),
        subject=str(parsed["Subject"]),
        text=plain.get_content() if plain is not None else "",  # type: ignore[attr-defined]
        html=html.get_content() if html is not None else "",  # type: ignore[attr-defined]
        headers=parsed,
    )


class SmtpSink:
    """aiosmtpd handler: every message accepted, decoded and kept."""

    def __init__(self) -> None:
        self.port = 0
        self.mails: list[Mail] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        mail = decode(envelope.original_content or envelope.content, envelope.rcpt_tos)
        with self._lock:
            self.mails.append(mail)
        return "250 Message accepted for delivery"

    def received(self) -> list[Mail]:
        with self._lock:
            return list(self.mails)

    def wait_for(self, found: Callable[[list[Mail]], bool], timeout: float = 10) -> list[Mail]:
        """Poll until ``found(mails)`` holds; fails the test at ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            mails = self.received()
            if found(mails):
                return mails
            time.sleep(0.05)
        pytest.fail(
            f"the SMTP sink did not get the expected mail in {timeout} s: {self.received()}"
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


def worker_env(smtp_port: int) -> dict[str, str]:
    """The environment of a worker process that uses this test's database
    and mails to ``smtp_port`` on 127.0.0.1."""
    settings = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DATABASE_URL"}}
    env.pop("MESOCLINIC_TEST_DB_PER_PROCESS", None)
    if connection.vendor == "sqlite":
        name = str(settings["NAME"])
        assert not connection.is_in_memory_db(), (
            "the SQLite test database must be a file for a worker process to open it"
        )
        env["DATABASE_URL"] = f"sqlite:///{name}"
    else:
        base = urlsplit(os.environ["DATABASE_URL"])
        env["DATABASE_URL"] = urlunsplit(base._replace(path="/" + quote(str(settings["NAME"]))))
    env.update(
        MESOCLINIC_TESTING="1",
        DJANGO_SETTINGS_MODULE="mesoclinic.settings",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        PYTHONPATH=str(ROOT),
    )
    return env


def worker_command(at: datetime, *args: str) -> list[str]:
    return [sys.executable, str(WORKER), at.isoformat(), *args]


def run_worker(at: datetime, smtp_port: int, *args: str, timeout: float = 60) -> str:
    """Run the worker once (batch: every task due at ``at``, then exit), as
    a separate process; returns its output. ``args`` replace the default
    worker arguments; a first argument naming another command runs that
    one (``send_due_messages``)."""
    done = subprocess.run(
        worker_command(at, *args),
        env=worker_env(smtp_port),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    return output


class RunningWorker:
    """A long-running worker process, its output collected as it comes."""

    def __init__(self, at: datetime, smtp_port: int, *args: str) -> None:
        env = {**worker_env(smtp_port), "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            worker_command(at, *args),
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def wait_for_output(self, text: str, timeout: float = 60) -> None:
        """Poll the output until ``text`` appears (the worker says it started)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in list(self.lines)):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        pytest.fail(f"the worker did not print {text!r}: {''.join(self.lines)}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self._reader.join(timeout=5)
