"""How fast the availability API answers one practitioner-day over real HTTP.

The clinic is the core benchmark's (bench/availability_core.py): 20
practitioners, 5 rooms, 2 devices, 5,000 bookings over 60 days, written in
bulk into a fresh database (SQLite in a temporary folder; ``--postgres``: a
throwaway PostgreSQL from scripts/pg-throwaway). gunicorn serves
``mesoclinic.wsgi`` with production settings on a loopback port; one
keep-alive connection asks

    GET /api/v1/availability?clinic=bench&service=face&start=DAY&practitioner=ID

for the same 40 practitioner-days as the core benchmark's (a), round after
round, and the answers are checked against the core's. Printed: median and
p95 per request, the ratio to the peer (8 ms for one provider-day with 5,000
bookings, a well-known open-source booking system on a 2-core machine like
this one; ratio = peer / ours) and to our target (4 ms); then the same
requests in-process through Django's test client, with where the time goes.

Run: .venv/bin/python bench/availability_http.py [--postgres] [--rounds N] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import sys
import tempfile
import time as clock
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from availability_core import DAYS, FIRST_DAY, PEER_MS, SEED, TARGET_MS, build, summary

from bench.support.clinic import availability_clinic, use_database
from bench.support.servers import Client, gunicorn, stop_on_signals, throwaway_postgres


def practitioner_days(query: Any) -> list[tuple[Any, Any]]:
    """The core benchmark's (a): 40 (day, practitioner) drawn the same way."""
    rng = random.Random(SEED + 1)
    days = []
    for _ in range(40):
        day = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
        days.append((day, rng.choice(query.practitioners).id))
    return days


def timed(calls: list[Callable[[], object]], rounds: int) -> list[float]:
    """Milliseconds per call, every call once per round, after a warm-up round."""
    for call in calls:
        call()
    times = []
    for _ in range(rounds):
        for call in calls:
            started = clock.perf_counter()
            call()
            times.append((clock.perf_counter() - started) * 1000)
    return times


def line(label: str, times: list[float]) -> float:
    median, p95 = summary(times)
    print(
        f"{label}: median {median:.2f} ms, p95 {p95:.2f} ms ({len(times)} requests); "
        f"peer / ours = {PEER_MS:.0f} / {median:.2f} = {PEER_MS / median:.2f}, "
        f"target / ours = {TARGET_MS:.0f} / {median:.2f} = {TARGET_MS / median:.2f}"
    )
    return median


def where_time_goes(paths: list[str], rounds: int, profile: bool) -> None:
    """In-process, per request: reading the calendar (scheduling.calendar.load),
    finding the slots (the core's free_slots), the rest (routing, middleware,
    validation, the other queries, JSON), and executing the queries."""
    from django.db import connection
    from django.test import Client as TestClient

    import api.appointments as handler

    spent: dict[str, float] = {"load": 0.0, "free_slots": 0.0}

    def clocked(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            started = clock.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] += clock.perf_counter() - started

        return run

    client = TestClient(HTTP_X_FORWARDED_PROTO="https", HTTP_HOST="127.0.0.1")
    calls: list[Callable[[], object]] = [
        lambda path=path: client.get(path, secure=True)  # type: ignore[misc]
        for path in paths
    ]
    line("in-process (Django test client, no HTTP)", timed(calls, rounds))

    queries = 0

    def database(execute: Callable[..., Any], *args: Any) -> Any:
        nonlocal queries
        queries += 1
        started = clock.perf_counter()
        try:
            return execute(*args)
        finally:
            spent["sql"] += clock.perf_counter() - started

    spent["sql"] = 0.0
    load, free_slots = handler.load, handler.av.free_slots
    handler.load = clocked("load", load)  # type: ignore[assignment]
    handler.av.free_slots = clocked("free_slots", free_slots)  # type: ignore[assignment]
    try:
        started = clock.perf_counter()
        with connection.execute_wrapper(database):
            for _ in range(rounds):
                for call in calls:
                    call()
        total = clock.perf_counter() - started
    finally:
        handler.load, handler.av.free_slots = load, free_slots  # type: ignore[assignment]
    n = rounds * len(calls)
    sql = spent["sql"]
    print(f"    per request, in-process ({n} requests, {queries / n:.0f} queries each):")
    rest = total - spent["load"] - spent["free_slots"]
    for name, seconds in (
        ("scheduling.calendar.load (its queries, rows)", spent["load"]),
        ("core.availability.free_slots", spent["free_slots"]),
        ("the rest (Django, ninja, JSON, other queries)", rest),
        ("total", total),
        ("executing the queries (in all of the above)", sql),
    ):
        print(f"      {name:<46} {seconds / n * 1000:6.2f} ms  {seconds / total:4.0%}")

    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for call in calls * rounds:
            call()
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
        stats.print_stats(40)
        print(out.getvalue())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL")
    parser.add_argument("--rounds", type=int, default=10, help="passes over the 40 days")
    parser.add_argument("--profile", action="store_true", help="cProfile the in-process run")
    args = parser.parse_args()
    stop_on_signals()

    with ExitStack() as stack:
        started = clock.perf_counter()
        if args.postgres:
            url = stack.enter_context(throwaway_postgres()).url
            engine = "PostgreSQL 15 (throwaway cluster, Unix socket)"
        else:
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="mesoclinic-bench-"))
            url = f"sqlite:///{folder}/bench.sqlite3"
            engine = "SQLite (file, WAL)"
        use_database(url)
        query, _ = build()
        clinic = availability_clinic(query)
        days = practitioner_days(query)
        paths = [
            f"/api/v1/availability?clinic={clinic.slug}&service={clinic.service}"
            f"&start={day.isoformat()}&practitioner={clinic.practitioners[pid]}"
            for day, pid in days
        ]
        print(
            f"database: {engine}; clinic: {len(clinic.practitioners)} practitioners, "
            f"{len(query.rooms)} rooms, {len(query.devices)} devices, "
            f"{len(query.bookings)} appointments over {clinic.days} days "
            f"(built in {clock.perf_counter() - started:.1f} s)"
        )

        # The API must give the core's answer, or we are timing something else.
        from django.test import Client as TestClient

        from core.availability import free_slots

        check = TestClient(HTTP_X_FORWARDED_PROTO="https", HTTP_HOST="127.0.0.1")
        slots = 0
        for path, (day, pid) in zip(paths, days, strict=True):
            response = check.get(path, secure=True)
            assert response.status_code == 200, response.content
            got = len(response.json()["slots"])
            want = len(free_slots(replace(query, start=day, end=day, practitioner_id=pid)))
            assert got == want, (path, got, want)
            slots += got
        print(f"40 practitioner-days, {slots} slots in all, the same as the core's")
        print()

        for conn_max_age, note in ((60, "persistent"), (0, "a new one per request")):
            with gunicorn(url, workers=1, threads=1, conn_max_age=conn_max_age) as server:
                client = Client(server.port)

                def ask(path: str, client: Client = client) -> None:
                    status, body = client.request("GET", path)
                    if status != 200:
                        raise SystemExit(f"{path}: {status} {body[:200]!r}")

                calls: list[Callable[[], object]] = [
                    lambda path=path: ask(path)  # type: ignore[misc]
                    for path in paths
                ]
                times = timed(calls, args.rounds)
                # The floor: routing, middleware, validation and one query,
                # which no change to scheduling can take away.
                floor = f"/api/v1/availability?clinic=none&service=face&start={FIRST_DAY}"
                floor_times = timed(
                    [lambda c=client, f=floor: c.request("GET", f)],  # type: ignore[misc]
                    len(times),
                )
                client.close()
            print(
                f"{server.described}, DATABASE_CONN_MAX_AGE={conn_max_age} "
                f"(database connections: {note}), one keep-alive connection"
            )
            line("    over HTTP", times)
            median, p95 = summary(floor_times)
            print(
                f"    floor: an unknown clinic, refused after one query: median {median:.2f} ms, "
                f"p95 {p95:.2f} ms"
            )
        print()
        where_time_goes(paths, args.rounds, args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
