"""Adverse events counted per product, lot, practitioner and indication.

Each row counts the events and their triage levels (expected, review,
urgent) beside the sessions and patients of the same group: how many
sessions used the lot, how many patients received it. A count alone says
little (five events of a lot used at five hundred sessions is not five of
a lot used at six), so the rate is always shown with it.

Both counts are taken over the same sessions: a date range picks the
sessions by their day, and an event is counted with the session it
followed, however long after it was reported. An event after a session
with two lots counts once for each lot (and once for a product, however
many of its lots were used); one with no lot recorded is counted in a row
of its own, so nothing goes missing. Rows are in clinic order: most events
first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext

from clinics.models import Clinic, StaffMember
from mesoclinic.catalog import get_catalog
from safety.models import AdverseEvent, Level
from stock.models import Lot, Product

GROUPINGS = ("product", "lot", "practitioner", "indication")
LEVELS = tuple(Level.values)  # expected, review, urgent


class ReportError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass
class ReportRow:
    key: str  # the product, lot or practitioner (staff member) id, or the indication key; "" none
    label: str
    events: int = 0
    levels: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LEVELS, 0))
    sessions: int = 0
    patients: int = 0

    @property
    def expected(self) -> int:
        return self.levels[Level.EXPECTED]

    @property
    def review(self) -> int:
        return self.levels[Level.REVIEW]

    @property
    def urgent(self) -> int:
        return self.levels[Level.URGENT]

    @property
    def per_100_sessions(self) -> Decimal | None:
        """Events per 100 sessions, to one decimal; None without sessions."""
        if not self.sessions:
            return None
        rate = Decimal(self.events * 100) / Decimal(self.sessions)
        return rate.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Report:
    by: str
    date_from: date | None
    date_to: date | None
    rows: list[ReportRow]
    events: int  # distinct events in the range (a row may count one event twice; this never)
    sessions: int


def _key(value: Any) -> str:
    return "" if value is None else str(value)


def _events(clinic: Clinic, date_from: date | None, date_to: date | None) -> QuerySet[Any]:
    events = AdverseEvent.objects.filter(clinic=clinic)
    if date_from is not None:
        events = events.filter(chart__performed_on__gte=date_from)
    if date_to is not None:
        events = events.filter(chart__performed_on__lte=date_to)
    return events


def _charts(clinic: Clinic, date_from: date | None, date_to: date | None) -> QuerySet[Any]:
    from clinical.models import SessionChart

    charts = SessionChart.objects.filter(clinic=clinic)
    if date_from is not None:
        charts = charts.filter(performed_on__gte=date_from)
    if date_to is not None:
        charts = charts.filter(performed_on__lte=date_to)
    return charts


def _points(clinic: Clinic, date_from: date | None, date_to: date | None) -> QuerySet[Any]:
    from clinical.models import InjectionPoint

    points = InjectionPoint.objects.filter(clinic=clinic)
    if date_from is not None:
        points = points.filter(chart__performed_on__gte=date_from)
    if date_to is not None:
        points = points.filter(chart__performed_on__lte=date_to)
    return points


# What each grouping counts by: the event's path to the group, and the
# exposure's (sessions and patients) from the points or the charts.
_EVENT_GROUP = {
    "product": "lots__product",
    "lot": "lots",
    "practitioner": "chart__practitioner",
    "indication": "chart__course__indication",
}


def _level_counts(events: QuerySet[Any], group: str) -> dict[str, dict[str, int]]:
    counts = {level: Count("pk", filter=Q(level=level), distinct=True) for level in LEVELS}
    out: dict[str, dict[str, int]] = {}
    rows = events.values(group).annotate(total=Count("pk", distinct=True), **counts)
    for row in rows.order_by():
        out[_key(row[group])] = {"events": row["total"], **{lvl: row[lvl] for lvl in LEVELS}}
    return out


def _exposure(
    clinic: Clinic, by: str, date_from: date | None, date_to: date | None
) -> dict[str, tuple[int, int]]:
    """Sessions and patients per group."""
    if by in ("product", "lot"):
        group = "lot__product" if by == "product" else "lot"
        rows = _points(clinic, date_from, date_to).values(group)
        rows = rows.annotate(
            sessions=Count("chart", distinct=True), patients=Count("chart__patient", distinct=True)
        )
    else:
        group = "practitioner" if by == "practitioner" else "course__indication"
        rows = _charts(clinic, date_from, date_to).values(group)
        rows = rows.annotate(sessions=Count("pk"), patients=Count("patient", distinct=True))
    return {_key(r[group]): (r["sessions"], r["patients"]) for r in rows.order_by()}


def _labels(by: str, keys: Iterable[str]) -> dict[str, str]:
    ids = [int(k) for k in keys if k.isdigit()]
    labels: dict[str, str] = {}
    if by == "product":
        for product in Product.objects.filter(pk__in=ids):
            labels[str(product.pk)] = str(product)
    elif by == "lot":
        for lot in Lot.objects.filter(pk__in=ids).select_related("product"):
            labels[str(lot.pk)] = gettext("%(product)s, lot %(lot)s") % {
                "product": lot.product,
                "lot": lot.number,
            }
    elif by == "practitioner":
        for member in StaffMember.objects.filter(pk__in=ids).select_related("user"):
            labels[str(member.pk)] = member.user.get_full_name() or member.user.username
    else:
        indications = get_catalog().indications
        for key in keys:
            found = indications.get(key)
            labels[key] = gettext(found.name) if found is not None else key
    return labels


def parse_by(value: str | None) -> str:
    by = (value or "product").strip()
    if by not in GROUPINGS:
        raise ReportError("by", "Count by product, lot, practitioner or indication.")
    return by


def adverse_event_report(
    clinic: Clinic,
    by: str,
    date_from: date | None = None,
    date_to: date | None = None,
) -> Report:
    """The clinic's adverse events counted ``by`` one of GROUPINGS, over the
    sessions from ``date_from`` to ``date_to`` (days at the clinic, both
    included; None: no limit). Every group with sessions or events has a
    row; the "no lot recorded" row (key "") only when it has events. A few
    queries, whatever the number of events."""
    by = parse_by(by)
    if date_from is not None and date_to is not None and date_from > date_to:
        raise ReportError("date_to", "The end of the range is before its start.")
    events = _events(clinic, date_from, date_to)
    counted = _level_counts(events, _EVENT_GROUP[by])
    exposure = _exposure(clinic, by, date_from, date_to)
    keys = set(counted) | {k for k in exposure if k}
    labels = _labels(by, keys)
    rows = []
    for key in keys:
        found = counted.get(key, {})
        sessions, patients = exposure.get(key, (0, 0))
        rows.append(
            ReportRow(
                key=key,
                label=labels.get(key, key) if key else gettext("No lot recorded"),
                events=found.get("events", 0),
                levels={lvl: found.get(lvl, 0) for lvl in LEVELS},
                sessions=sessions,
                patients=patients,
            )
        )
    rows.sort(key=lambda r: (-r.events, -r.levels[Level.URGENT], r.key == "", r.label.lower()))
    return Report(
        by=by,
        date_from=date_from,
        date_to=date_to,
        rows=rows,
        events=events.count(),
        sessions=_charts(clinic, date_from, date_to).count(),
    )


CSV_HEADER = (
    "group",
    "id",
    "name",
    "events",
    "expected",
    "review",
    "urgent",
    "sessions",
    "patients",
    "events_per_100_sessions",
)


def csv_rows(report: Report) -> list[list[str]]:
    """The report as CSV rows, header first (English column names, stable
    for spreadsheets and scripts)."""
    out = [list(CSV_HEADER)]
    for row in report.rows:
        rate = row.per_100_sessions
        out.append(
            [
                report.by,
                row.key,
                row.label,
                str(row.events),
                str(row.expected),
                str(row.review),
                str(row.urgent),
                str(row.sessions),
                str(row.patients),
                "" if rate is None else str(rate),
            ]
        )
    return out
