"""Who may do what at a clinic: least privilege per role.

Staff of one clinic see nothing of another; an inactive membership counts as
none. Pages and API handlers ask here, never test roles themselves.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.http import Http404

from clinics.models import Clinic, Role, StaffMember

# Who runs the calendar: book, move, cancel, check in, call the next token.
SCHEDULING_ROLES = frozenset({Role.FRONT_DESK, Role.PRACTITIONER, Role.MANAGER})


def membership(user: object, clinic: Clinic) -> StaffMember | None:
    """The user's active role at the clinic, or None (anonymous users too)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        StaffMember.objects.filter(clinic=clinic, user=user, active=True)
        .select_related("user", "clinic")
        .first()
    )


def staff_clinic(
    user: object, slug: str, roles: Iterable[str] = SCHEDULING_ROLES
) -> tuple[Clinic, StaffMember]:
    """The clinic ``slug`` and the user's membership there. Raises Http404
    when there is no such clinic or the user is not its staff (so outsiders
    cannot learn which clinics exist), PermissionDenied when their role is
    not one of ``roles``."""
    # One query: the membership, its clinic found by slug on the way.
    member = None
    if getattr(user, "is_authenticated", False):
        member = (
            StaffMember.objects.filter(clinic__slug=slug, user=user, active=True)
            .select_related("user", "clinic")
            .first()
        )
    if member is None:
        raise Http404("No such clinic.")
    if member.role not in set(roles):
        raise PermissionDenied("Your role at this clinic does not allow this.")
    return member.clinic, member


def clinics_of(user: object) -> list[StaffMember]:
    """The user's active memberships, clinic loaded."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        StaffMember.objects.filter(user=user, active=True).select_related("clinic").order_by("pk")
    )
