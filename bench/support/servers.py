"""A throwaway PostgreSQL cluster, a gunicorn server with production
settings, and a keep-alive HTTP client that logs in like a browser.

Both servers are context managers that stop what they started, also when
the benchmark is interrupted (SIGINT, SIGTERM): ``stop_on_signals`` turns
those into SystemExit so every ``finally`` runs.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
# Only for the throwaway server; never a real deployment's key.
SECRET_KEY = "bench-only-secret-key-0123456789abcdef-not-for-production"  # noqa: S105


def stop_on_signals() -> None:
    def leave(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, leave)
    signal.signal(signal.SIGINT, leave)


@dataclass(frozen=True)
class Postgres:
    pgdir: str
    url: str  # DATABASE_URL of the database "mesoclinic", created empty

    @property
    def postmaster(self) -> int:
        return int((Path(self.pgdir) / "data" / "postmaster.pid").read_text().split()[0])

    def psql(self, sql: str) -> str:
        """Run ``sql`` in the database and return psql's unaligned output."""
        done = subprocess.run(
            [
                _pg_tool("psql"),
                "-h",
                self.pgdir,
                "-U",
                "postgres",
                "-d",
                "mesoclinic",
                "-v",
                "ON_ERROR_STOP=1",
                "-qAtc",
                sql,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()


def _pg_tool(name: str) -> str:
    local = PG_BIN / name
    found = str(local) if local.exists() else shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} not found (install postgresql-client, or set PG_BIN)")
    return found


@contextmanager
def throwaway_postgres() -> Iterator[Postgres]:
    """A fresh cluster from scripts/pg-throwaway with an empty database
    "mesoclinic"; stopped and deleted on the way out."""
    script = ROOT / "scripts" / "pg-throwaway"
    out = subprocess.run([script, "start"], capture_output=True, text=True, check=True).stdout
    values = dict(line.split("=", 1) for line in out.split() if "=" in line)
    pgdir, url = values["PGDIR"], values["DATABASE_URL"]
    try:
        subprocess.run(
            [_pg_tool("createdb"), "-h", pgdir, "-U", "postgres", "mesoclinic"], check=True
        )
        yield Postgres(pgdir, url)
    finally:
        subprocess.run([script, "stop", pgdir], check=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(database_url: str, conn_max_age: int) -> dict[str, str]:
    """Production settings: no DEBUG, no test mode. The client plays the
    TLS-terminating proxy (X-Forwarded-Proto: https), so the HTTPS redirect,
    secure cookies and CSRF origin checks all stay on."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "MESOCLINIC_TESTING", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        SECRET_KEY=SECRET_KEY,
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=database_url,
        DATABASE_CONN_MAX_AGE=str(conn_max_age),
        SECURE_PROXY_SSL_HEADER="1",
        DJANGO_SETTINGS_MODULE="mesoclinic.settings",
    )
    return env


@dataclass(frozen=True)
class Gunicorn:
    port: int
    args: list[str]
    pid: int

    @property
    def described(self) -> str:
        return "gunicorn " + " ".join(self.args)


@contextmanager
def gunicorn(
    database_url: str,
    *,
    workers: int,
    worker_class: str = "gthread",
    threads: int = 1,
    conn_max_age: int = 60,
    log: Path | None = None,
) -> Iterator[Gunicorn]:
    """``mesoclinic.wsgi`` on a loopback port; waits until it answers."""
    port = free_port()
    args = [
        "mesoclinic.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--keep-alive",
        "30",
        "--backlog",
        "2048",
    ]
    if worker_class == "gthread":
        args += ["--threads", str(threads)]
    out = open(log, "wb") if log is not None else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), *args],
        cwd=ROOT,
        env=server_env(database_url, conn_max_age),
        stdout=out,
        stderr=out,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise SystemExit(f"gunicorn exited with {process.returncode}; see {log}")
            try:
                status, _ = Client(port).request("GET", "/api/v1/openapi.json")
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("gunicorn did not answer within 30 s")
            time.sleep(0.1)
        yield Gunicorn(port, args, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if out is not subprocess.DEVNULL:
            out.close()


@dataclass
class Client:
    """One keep-alive connection with a browser's cookies, behind the proxy."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    timeout: float = 60

    def __post_init__(self) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        self.origin = f"https://127.0.0.1:{self.port}"

    def headers(self, unsafe: bool) -> dict[str, str]:
        headers = {"X-Forwarded-Proto": "https"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if unsafe:
            headers["Origin"] = self.origin
            if "csrftoken" in self.cookies:
                headers["X-CSRFToken"] = self.cookies["csrftoken"]
        return headers

    def send(
        self, method: str, path: str, body: bytes | None = None, content_type: str = ""
    ) -> None:
        headers = self.headers(unsafe=method not in ("GET", "HEAD"))
        if content_type:
            headers["Content-Type"] = content_type
        self.connection.request(method, path, body=body, headers=headers)

    def receive(self) -> tuple[int, bytes]:
        response = self.connection.getresponse()
        body = response.read()
        for header in response.headers.get_all("Set-Cookie") or ():
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        if response.getheader("Connection", "").lower() == "close":
            self.connection.close()
        return response.status, body

    def request(
        self, method: str, path: str, body: bytes | None = None, content_type: str = ""
    ) -> tuple[int, bytes]:
        self.send(method, path, body, content_type)
        return self.receive()

    def post_json(self, path: str, payload: Any) -> tuple[int, bytes]:
        return self.request("POST", path, json.dumps(payload).encode(), "application/json")

    def log_in(self, username: str, password: str) -> bool:
        """As a browser does: the form (for its CSRF cookie), then the POST.
        Returns False when the form could not be shown (production settings
        without ``collectstatic`` answer 500: the manifest is missing); the
        POST then carries a CSRF cookie of our own, which Django accepts as
        it would the one the form sets."""
        status, page = self.request("GET", "/accounts/login/")
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status == 200 and match:
            token = match.group(1).decode()
        else:
            token = self.cookies["csrftoken"] = secrets.token_hex(16)
        form = urlencode(
            {"username": username, "password": password, "csrfmiddlewaretoken": token}
        ).encode()
        posted, _ = self.request(
            "POST", "/accounts/login/", form, "application/x-www-form-urlencoded"
        )
        if posted != 302 or "sessionid" not in self.cookies:
            raise SystemExit(f"logging in as {username} failed: {posted}")
        return status == 200

    def close(self) -> None:
        self.connection.close()


def cpu_seconds(roots: dict[str, int], others: dict[str, set[int]]) -> dict[str, float]:
    """CPU time used so far (user + system), read from /proc (Linux): for
    each name in ``roots``, by that process and its children (a gunicorn
    master and its workers, a postmaster and its backends); for each name in
    ``others``, by those processes; "machine": by everything."""
    tick = os.sysconf("SC_CLK_TCK")
    used = dict.fromkeys([*roots, *others], 0.0)
    # The whole machine's busy time, to tell when something else was running.
    cpu = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    used["machine"] = sum(int(cpu[i]) for i in (0, 1, 2, 5, 6, 7)) / tick
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        pid = int(entry.name)
        fields = stat[stat.rindex(")") + 2 :].split()
        parent, seconds = int(fields[1]), (int(fields[11]) + int(fields[12])) / tick
        for name, root in roots.items():
            if root in (pid, parent):
                used[name] += seconds
        for name, pids in others.items():
            if pid in pids:
                used[name] += seconds
    return used
