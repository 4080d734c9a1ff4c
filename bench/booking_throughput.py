"""Bookings per second through the HTTP API on PostgreSQL, every check on,
beside the raw insert limit of the same database on the same machine.

One command does it all, on a throwaway PostgreSQL 15 cluster
(scripts/pg-throwaway) that is deleted at the end, also on Ctrl-C:

1. Migrate, and write a clinic in Asia/Kolkata where each of 32 clients has
   its own practitioner, room and injector gun, plus two shared
   practitioners.
2. gunicorn serves ``mesoclinic.wsgi`` with production settings. 32 client
   processes log in through /accounts/login/ (session and CSRF cookies, as a
   browser) and POST /api/v1/appointments over keep-alive connections for
   ``--seconds``: mostly their own practitioner's next free half-hour
   (alternately a consultation, and a session that takes their room and
   gun); every tenth request the same shared practitioner's next slot as
   everyone else (these collide: one 201, the rest 409); every fiftieth a
   Sunday (422). Printed: bookings/s (201s), 409s, 422s, errors, and the
   CPU time each request cost the server, the database and the clients.
   Then, for 5 s, the same POST for a clinic that does not exist: the
   ceiling of any booking endpoint on this stack and machine.
3. The race: 64, then 320 simultaneous requests for one slot of one
   practitioner. Exactly one may get 201.
4. SQL checks that no two live appointments of one practitioner, room or
   device overlap, and that the table holds exactly the 201s.
5. The raw limit: pgbench, 32 clients (-c 32 -j 2), for as long, inserting
   into a copy of the appointment table (``LIKE ... INCLUDING ALL``: the
   same columns, checks and exclusion constraints), one row per
   transaction, ON CONFLICT DO NOTHING.

Printed last: API / raw limit, and API / the peer (a well-known open-source
booking system books about 250/s over its REST API on a 2-core machine,
without checking overlaps; the target is at least 500/s).

Run: .venv/bin/python bench/booking_throughput.py [--seconds 20] [--workers N]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time as clock
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support.clinic import PASSWORD, BookingClinic, booking_clinic, slot, use_database
from bench.support.servers import (
    Client,
    Postgres,
    _pg_tool,
    cpu_seconds,
    gunicorn,
    stop_on_signals,
    throwaway_postgres,
)

PEER_PER_S = 250.0
TARGET_PER_S = 500.0
CLIENTS = 32
RACES = (64, 320)
FLOOR_SECONDS = 5
LIVE = "('booked', 'checked_in', 'completed')"
URL = "/api/v1/appointments"


@dataclass
class Tally:
    """What one client saw, per kind of request."""

    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0

    def add(self, kind: str, status: int) -> None:
        self.statuses.setdefault(kind, Counter())[status] += 1


def _request(client: Client, payload: dict[str, Any], tally: Tally, kind: str) -> int:
    started = clock.perf_counter()
    try:
        status, body = client.post_json(URL, payload)
    except OSError as error:
        tally.errors.append(f"{type(error).__name__}: {error}")
        client.close()
        return 0
    tally.latencies.append((clock.perf_counter() - started) * 1000)
    tally.add(kind, status)
    if status not in (201, 409, 422) and len(tally.errors) < 5:
        tally.errors.append(f"{status}: {body[:300]!r}")
    return status


def client_process(
    n: int,
    clinic: BookingClinic,
    port: int,
    seconds: float,
    barrier: Any,
    results: Any,
) -> None:
    """One client: log in, book for ``seconds``, then take part in the races."""
    try:
        _client(n, clinic, port, seconds, barrier, results)
    except threading.BrokenBarrierError:
        pass  # another client failed, or the benchmark was interrupted
    except BaseException as error:
        results.put(("failed", n, f"{type(error).__name__}: {error}"))
        barrier.abort()
        raise


def _client(
    n: int, clinic: BookingClinic, port: int, seconds: float, barrier: Any, results: Any
) -> None:
    client = Client(port)
    form = client.log_in(clinic.desks[n], PASSWORD)
    results.put(("login", n, form))
    tz = ZoneInfo(clinic.time_zone)
    patients = clinic.patients
    mine = {"clinic": clinic.slug, "practitioner": clinic.practitioners[n]}
    session = {"service": "hair-session", "room": clinic.rooms[n], "device": clinic.devices[n]}
    # A Sunday, far ahead: refused as a closed day, whatever else is booked.
    sunday = datetime.combine(clinic.first_day + timedelta(days=6 + 7 * 60), datetime.min.time())
    tally = Tally()
    barrier.wait()
    tally.started = clock.perf_counter()
    deadline = tally.started + seconds
    own = shared = sent = 0
    while clock.perf_counter() < deadline:
        sent += 1
        patient = patients[(n * 97 + sent) % len(patients)]
        if sent % 10 == 3:
            payload = {
                "clinic": clinic.slug,
                "practitioner": clinic.shared_practitioner,
                "service": "consultation",
                "start": slot(clinic.first_day, shared, tz).isoformat(),
            }
            shared += 1
            kind = "collide"
        elif sent % 50 == 7:
            payload = {
                **mine,
                "service": "consultation",
                "start": sunday.replace(hour=11, tzinfo=tz).isoformat(),
            }
            kind = "rule"
        else:
            payload = {**mine, "start": slot(clinic.first_day, own, tz).isoformat()}
            payload.update(session if own % 2 else {"service": "consultation"})
            kind = "own"
        payload["patient"] = patient
        status = _request(client, payload, tally, kind)
        if kind == "own" and status in (201, 409):
            own += 1
    tally.ended = clock.perf_counter()
    results.put(("run", n, tally))

    # The ceiling of this stack: the same POST (session, user, CSRF, JSON
    # validation) refused at once, for a clinic that does not exist.
    floor = Tally()
    nowhere = {**mine, "clinic": "nowhere", "patient": patients[0], "service": "consultation"}
    nowhere["start"] = slot(clinic.first_day, 0, tz).isoformat()
    barrier.wait()
    floor.started = clock.perf_counter()
    while clock.perf_counter() < floor.started + FLOOR_SECONDS:
        _request(client, nowhere, floor, "floor")
    floor.ended = clock.perf_counter()
    results.put(("floor", n, floor))

    for number, count in enumerate(RACES):
        # All clients are released at once; each opens its share of the
        # connections and sends on every one of them, then reads the answers.
        # (Not connected in advance: a sync worker that accepts an idle
        # connection waits on it, and is killed after its timeout.)
        share = count // CLIENTS + (1 if n < count % CLIENTS else 0)
        start = slot(clinic.first_day, 10_000 + number, tz).isoformat()
        race = Tally()
        racers = []
        barrier.wait()
        for k in range(share):
            payload = {
                "clinic": clinic.slug,
                "patient": patients[(n * 10 + k) % len(patients)],
                "service": "consultation",
                "practitioner": clinic.racer,
                "start": start,
            }
            racer = Client(port, dict(client.cookies))
            try:
                racer.send("POST", URL, json.dumps(payload).encode(), "application/json")
            except OSError as error:
                race.errors.append(f"{type(error).__name__}: {error}")
                continue
            racers.append(racer)
        for racer in racers:
            try:
                status, body = racer.receive()
            except OSError as error:
                race.errors.append(f"{type(error).__name__}: {error}")
                continue
            finally:
                racer.close()
            race.add("race", status)
            if status not in (201, 409) and len(race.errors) < 5:
                race.errors.append(f"{status}: {body[:300]!r}")
        results.put((f"race{count}", n, race))
    client.close()


class Clients:
    """The client processes, the barrier that starts each phase, and the
    queue their tallies come back on."""

    def __init__(self, clinic: BookingClinic, port: int, seconds: float) -> None:
        ctx = mp.get_context("fork")
        self.barrier = ctx.Barrier(CLIENTS + 1)
        self.results = ctx.Queue()
        self.processes = [
            ctx.Process(
                target=client_process, args=(n, clinic, port, seconds, self.barrier, self.results)
            )
            for n in range(CLIENTS)
        ]
        for process in self.processes:
            process.start()

    @property
    def pids(self) -> set[int]:
        return {p.pid for p in self.processes if p.pid is not None}

    def start(self) -> None:
        """Release every client into the next phase."""
        try:
            self.barrier.wait(timeout=30)
        except threading.BrokenBarrierError:
            self._failed()
            raise

    def collect(self, phase: str, timeout: float) -> list[Any]:
        """One result per client for ``phase``."""
        got = []
        for _ in range(CLIENTS):
            what, n, value = self.results.get(timeout=timeout)
            if what == "failed":
                raise SystemExit(f"client {n} failed: {value}")
            assert what == phase, (what, phase)
            got.append(value)
        return got

    def _failed(self) -> None:
        while not self.results.empty():
            what, n, value = self.results.get()
            if what == "failed":
                raise SystemExit(f"client {n} failed: {value}")

    def stop(self) -> None:
        """Release any client still waiting, then end any still running."""
        self.barrier.abort()
        deadline = clock.monotonic() + 10
        for process in self.processes:
            process.join(timeout=max(0.0, deadline - clock.monotonic()))
            if process.is_alive():
                process.terminate()
                process.join()


def run_clients(
    clinic: BookingClinic, port: int, seconds: float, roots: dict[str, int]
) -> tuple[dict[str, list[Any]], dict[str, float]]:
    """The clients' tallies per phase, and the CPU seconds the server, the
    database and the clients used during the timed run."""
    began = clock.perf_counter()
    clients = Clients(clinic, port, seconds)
    out: dict[str, list[Any]] = {}
    try:
        forms = clients.collect("login", 120)
        print(
            f"  {CLIENTS} clients logged in through /accounts/login/ "
            f"({clock.perf_counter() - began:.1f} s, PBKDF2 on the server)"
        )
        if not all(forms):
            print(
                "  note: GET /accounts/login/ answered 500 (no collectstatic: the static "
                "manifest is missing), so each client posted the form with a CSRF cookie "
                "of its own"
            )
        others = {"clients": clients.pids}
        before = cpu_seconds(roots, others)
        clients.start()
        out["run"] = clients.collect("run", seconds + 120)
        after = cpu_seconds(roots, others)
        for phase in ("floor", *(f"race{c}" for c in RACES)):
            clients.start()
            out[phase] = clients.collect(phase, seconds + 120)
    finally:
        clients.stop()
    return out, {name: after[name] - before[name] for name in after}


def report_run(tallies: list[Tally], cpu: dict[str, float]) -> float:
    elapsed = max(t.ended for t in tallies) - min(t.started for t in tallies)
    kinds: dict[str, Counter[int]] = {}
    for t in tallies:
        for kind, counter in t.statuses.items():
            kinds.setdefault(kind, Counter()).update(counter)
    total: Counter[int] = Counter()
    for counter in kinds.values():
        total.update(counter)
    latencies = sorted(x for t in tallies for x in t.latencies)
    errors = [e for t in tallies for e in t.errors]
    booked = total[201]
    others = {s: c for s, c in total.items() if s not in (201, 409, 422)}
    print(
        f"  {sum(total.values())} requests in {elapsed:.1f} s: "
        f"{booked} booked (201), {total[409]} taken (409), {total[422]} refused (422), "
        f"errors: {sum(others.values()) + len([e for e in errors if not e[:3].isdigit()])}"
        + (f" {dict(others)}" if others else "")
    )
    labels = {
        "own": "own practitioner's next slot (expect 201)",
        "collide": "the shared practitioner's slot (expect one 201 per slot, else 409)",
        "rule": "a Sunday (expect 422)",
    }
    for kind, label in labels.items():
        counter = kinds.get(kind, Counter())
        print(f"    {label}: " + ", ".join(f"{s}: {c}" for s, c in sorted(counter.items())))
    if latencies:
        p95 = latencies[int(0.95 * (len(latencies) - 1))]
        print(
            f"  latency per request: median {statistics.median(latencies):.1f} ms, p95 {p95:.1f} ms"
        )
    for error in errors[:5]:
        print(f"    error: {error}")
    rate = booked / elapsed
    answered = sum(total.values())
    ours = {name: seconds for name, seconds in cpu.items() if name != "machine"}
    ours["anything else"] = cpu["machine"] - sum(ours.values())
    cores = os.cpu_count() or 1
    print(
        "  CPU per request: "
        + ", ".join(f"{name} {seconds / answered * 1000:.1f} ms" for name, seconds in ours.items())
        + f"; the {cores} cores offered {cores * elapsed / answered * 1000:.1f} ms"
    )
    print(f"  bookings/s: {rate:.0f}")
    return rate


def report_floor(tallies: list[Tally]) -> float:
    elapsed = max(t.ended for t in tallies) - min(t.started for t in tallies)
    answered = sum(sum(c.values()) for t in tallies for c in t.statuses.values())
    statuses: Counter[int] = Counter()
    for t in tallies:
        statuses.update(t.statuses.get("floor", Counter()))
    rate = answered / elapsed
    print(
        f"  ceiling: the same POST for a clinic that does not exist, refused after the "
        f"session, user and clinic queries: {rate:.0f}/s ({dict(statuses)})"
    )
    return rate


def verify(pg: Postgres, booked: int) -> None:
    """No two live appointments of one resource overlap; every 201 is a row."""
    overlaps = 0
    for resource in ("practitioner", "room", "device"):
        overlaps += int(
            pg.psql(
                f"SELECT count(*) FROM scheduling_appointment a "  # noqa: S608
                f"JOIN scheduling_appointment b ON a.{resource}_id = b.{resource}_id "
                f"AND a.id < b.id "
                f"AND tstzrange(a.blocked_from, a.blocked_until, '[)') "
                f"&& tstzrange(b.blocked_from, b.blocked_until, '[)') "
                f"WHERE a.status IN {LIVE} AND b.status IN {LIVE}"
            )
        )
    rows = int(pg.psql("SELECT count(*) FROM scheduling_appointment"))
    print(f"  double bookings: {overlaps}")
    print(f"  appointments in the table: {rows}, 201s received: {booked}")
    if overlaps or rows != booked:
        raise SystemExit("FAILED: the database does not match what the API answered")


def report_race(count: int, tallies: list[Tally]) -> int:
    total: Counter[int] = Counter()
    for t in tallies:
        total.update(t.statuses.get("race", Counter()))
    errors = [e for t in tallies for e in t.errors]
    won = total[201]
    verdict = "ok" if won == 1 and not errors and set(total) <= {201, 409} else "FAILED"
    print(
        f"  {count} requests for one slot: {won} got 201, {total[409]} got 409, "
        f"other answers: { ({s: c for s, c in total.items() if s not in (201, 409)}) }, "
        f"connection errors: {len([e for e in errors if not e[:3].isdigit()])}: {verdict}"
    )
    for error in errors[:3]:
        print(f"    error: {error}")
    return won


PGBENCH_SCRIPT = """\
\\set p random(1, 32)
\\set n random(0, 100000000)
INSERT INTO bench_appointment (clinic_id, patient_id, service_id, practitioner_id, room_id,
  device_id, starts_at, ends_at, blocked_from, blocked_until, status, notes, cancel_reason,
  created_by_id, created_at, updated_at)
SELECT 1, 1, 1, :p, :p, :p, t, t + interval '30 minutes', t, t + interval '30 minutes',
  'booked', '', '', 1, now(), now()
FROM (SELECT timestamptz '2030-01-07 04:30+00' + :n * interval '30 minutes' AS t) s
ON CONFLICT DO NOTHING;
"""


def raw_limit(pg: Postgres, seconds: float, folder: Path) -> float:
    pg.psql("CREATE TABLE bench_appointment (LIKE scheduling_appointment INCLUDING ALL)")

    def constraints(table: str) -> list[str]:
        defs = pg.psql(
            f"SELECT pg_get_constraintdef(oid) FROM pg_constraint "  # noqa: S608
            f"WHERE conrelid = '{table}'::regclass AND contype IN ('x', 'c')"
        )
        return sorted(defs.splitlines())

    same = constraints("bench_appointment") == constraints("scheduling_appointment")
    exclusions = len([c for c in constraints("bench_appointment") if c.startswith("EXCLUDE")])
    print(
        f"  bench_appointment: LIKE scheduling_appointment INCLUDING ALL; "
        f"{exclusions} exclusion constraints, checks and exclusions the same: {same}"
    )
    script = folder / "insert.sql"
    script.write_text(PGBENCH_SCRIPT)
    command = [
        _pg_tool("pgbench"),
        "-h",
        pg.pgdir,
        "-U",
        "postgres",
        "-n",
        "-c",
        str(CLIENTS),
        "-j",
        "2",
        "-T",
        str(round(seconds)),
        "-f",
        str(script),
        "mesoclinic",
    ]
    print("  " + " ".join([*command[:1], "...", *command[5:]]))
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(done.stdout, done.stderr)
        raise SystemExit("pgbench failed")
    match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", done.stdout)
    tps = float(match.group(1)) if match else float("nan")
    rows = int(pg.psql("SELECT count(*) FROM bench_appointment"))
    failed = re.search(r"number of failed transactions: (\d+)", done.stdout)
    rate = rows / seconds
    print(
        f"  pgbench: {tps:.0f} transactions/s, {rows} rows inserted ({rate:.0f} rows/s), "
        f"failed transactions: {failed.group(1) if failed else '?'}"
    )
    return rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20)
    # gunicorn's rule for sync workers, 2 x cores + 1: while one waits for
    # the database another runs. gthread (keep-alive) measured no faster
    # here, and its long tail came from connections piling up on one worker.
    cores = os.cpu_count() or 1
    parser.add_argument("--workers", type=int, default=2 * cores + 1)
    parser.add_argument("--worker-class", default="sync", choices=("sync", "gthread"))
    parser.add_argument("--threads", type=int, default=1, help="threads per gthread worker")
    args = parser.parse_args()
    stop_on_signals()
    began = clock.perf_counter()

    with tempfile.TemporaryDirectory(prefix="mesoclinic-bench-") as tmp, throwaway_postgres() as pg:
        folder = Path(tmp)
        use_database(pg.url)
        from django.db import connections

        clinic = booking_clinic(CLIENTS, date.today())
        connections.close_all()  # the clients are forked: no connection may be shared
        print(
            f"PostgreSQL 15 throwaway cluster ({pg.pgdir}); clinic: {CLIENTS} clients, "
            f"each with its own practitioner, room and gun, from {clinic.first_day}"
        )
        with gunicorn(
            pg.url,
            workers=args.workers,
            worker_class=args.worker_class,
            threads=args.threads,
            conn_max_age=60,
            log=folder / "gunicorn.log",
        ) as server:
            print(
                f"server: {server.described}, DATABASE_CONN_MAX_AGE=60, production settings "
                "behind a TLS proxy (the client sends X-Forwarded-Proto: https)"
            )
            closes = " (sync workers close it after each answer)"
            print(
                f"clients: {CLIENTS} processes, one keep-alive connection each"
                + (closes if args.worker_class == "sync" else "")
            )
            roots = {"gunicorn": server.pid, "postgres": pg.postmaster}
            results, cpu = run_clients(clinic, server.port, args.seconds, roots)
            print()
            print(f"booking for {args.seconds:.0f} s")
            rate = report_run(results["run"], cpu)
            booked = sum(c[201] for t in results["run"] for c in t.statuses.values())
            races = {count: results[f"race{count}"] for count in RACES}
            floor = report_floor(results["floor"])
        print()
        print("after the run")
        race_won = sum(t.statuses.get("race", Counter())[201] for ts in races.values() for t in ts)
        verify(pg, booked + race_won)
        print()
        print("the race")
        wins = [report_race(count, tallies) for count, tallies in races.items()]
        print()
        print(f"the raw limit of this database on this machine, for {args.seconds:.0f} s")
        raw = raw_limit(pg, args.seconds, folder)
    print()
    print(f"API bookings/s = {rate:.0f}, every check on")
    print(f"  API / raw insert limit = {rate:.0f} / {raw:.0f} = {rate / raw:.3f}")
    print(f"  API / peer = {rate:.0f} / {PEER_PER_S:.0f} = {rate / PEER_PER_S:.2f}")
    print(f"  API / target = {rate:.0f} / {TARGET_PER_S:.0f} = {rate / TARGET_PER_S:.2f}")
    print(f"  API / this stack's ceiling (a POST refused at once) = {rate / floor:.2f}")
    print(f"(whole run: {clock.perf_counter() - began:.0f} s)")
    return 0 if all(w == 1 for w in wins) else 1


if __name__ == "__main__":
    sys.exit(main())
