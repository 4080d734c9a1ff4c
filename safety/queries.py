"""The review list's order, shared by the page and the API."""

from __future__ import annotations

from django.db.models import Case, IntegerField, QuerySet, Value, When

from clinics.models import Clinic
from safety.models import AdverseEvent, EventStatus, Level

LEVEL_RANK = Case(
    When(level=Level.URGENT, then=Value(0)),
    When(level=Level.REVIEW, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)
OPEN_RANK = Case(
    When(status=EventStatus.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField()
)


def ordered(events: QuerySet[AdverseEvent]) -> QuerySet[AdverseEvent]:
    """Open first, urgent before review, then by when the review is due
    (the longest overdue first), then the newest report."""
    return events.annotate(open_rank=OPEN_RANK, level_rank=LEVEL_RANK).order_by(
        "open_rank", "level_rank", "review_due_at", "-reported_at", "-pk"
    )


def filtered(clinic: Clinic, show: str, level: str) -> QuerySet[AdverseEvent]:
    """The clinic's events: ``show`` "open" (waiting for review) or "all";
    ``level`` one level, or "" for any."""
    events = AdverseEvent.objects.filter(clinic=clinic)
    if show == "open":
        events = events.filter(status=EventStatus.OPEN)
    if level:
        events = events.filter(level=level)
    return ordered(events)
