"""The front desk's token queue: today's tokens, a form to give one, a
"call next" button per practitioner, and served / left / call again.

Plain POST forms, so it works without JavaScript; each calls
``tokens.queueing`` like the API does, and refusals come back as messages.
Staff of the clinic only (``clinics.access.staff_clinic``: 404 for anyone
else, the login page for the anonymous).
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from clinics.access import staff_clinic
from clinics.models import Clinic, StaffMember
from tokens import queueing
from tokens.forms import CallNextForm, IssueForm
from tokens.models import Token, TokenStatus


def _render(
    request: HttpRequest,
    clinic: Clinic,
    member: StaffMember,
    form: IssueForm,
    status: int = 200,
) -> HttpResponse:
    found = queueing.day_queue(clinic)
    rows = [(token, found.estimates.get(token.pk)) for token in found.tokens]
    # The caller first, when they give consultations themselves.
    callers = sorted(found.practitioners, key=lambda s: s.pk != member.pk)
    context = {
        "clinic": clinic,
        "member": member,
        "queue": found,
        "rows": rows,
        "callers": callers,
        "waiting": sum(1 for t in found.tokens if t.status == TokenStatus.WAITING),
        "form": form,
    }
    return render(request, "tokens/staff.html", context, status=status)


@login_required
@require_GET
def queue_page(request: HttpRequest, slug: str) -> HttpResponse:
    clinic, member = staff_clinic(request.user, slug)
    return _render(request, clinic, member, IssueForm())


@login_required
@require_POST
def issue(request: HttpRequest, slug: str) -> HttpResponse:
    clinic, member = staff_clinic(request.user, slug)
    form = IssueForm(request.POST)
    if not form.is_valid():
        return _render(request, clinic, member, form, status=422)
    try:
        issued = queueing.issue(
            clinic=clinic,
            by=request.user,
            name=form.cleaned_data["name"],
            phone=form.cleaned_data["phone"],
        )
    except queueing.TokenError as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return _render(request, clinic, member, form, status=error.status)
    estimate = issued.estimate
    messages.success(
        request,
        _(
            "Token %(number)s for %(name)s: %(ahead)s ahead, about %(minutes)s minutes "
            "(around %(time)s, %(zone)s)."
        )
        % {
            "number": issued.token.number,
            "name": issued.token.display_name,
            "ahead": estimate.ahead,
            "minutes": estimate.wait_minutes,
            "time": f"{estimate.at:%H:%M}",
            "zone": clinic.time_zone,
        },
    )
    return redirect("staff_queue:page", slug=clinic.slug)


@login_required
@require_POST
def call_next(request: HttpRequest, slug: str) -> HttpResponse:
    clinic, member = staff_clinic(request.user, slug)
    form = CallNextForm(request.POST)
    practitioner = form.cleaned_data["practitioner"] if form.is_valid() else None
    try:
        token = queueing.call_next(
            clinic=clinic, by=request.user, member=member, practitioner_id=practitioner
        )
    except queueing.TokenError as error:
        messages.error(request, error.message)
    else:
        room = token.appointment.room if token.appointment else None
        messages.success(
            request,
            _("Token %(number)s called: %(name)s, to %(room)s.")
            % {
                "number": token.number,
                "name": token.display_name,
                "room": room.name if room else _("the practitioner"),
            },
        )
    return redirect("staff_queue:page", slug=clinic.slug)


def _change(
    request: HttpRequest, slug: str, token_id: int, action: Callable[..., Token], done: str
) -> HttpResponse:
    clinic, _member = staff_clinic(request.user, slug)
    try:
        token = action(clinic=clinic, token_id=token_id, by=request.user)
    except queueing.TokenError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done % {"number": token.number})
    return redirect("staff_queue:page", slug=clinic.slug)


@login_required
@require_POST
def served(request: HttpRequest, slug: str, token_id: int) -> HttpResponse:
    return _change(request, slug, token_id, queueing.mark_served, _("Token %(number)s served."))


@login_required
@require_POST
def left(request: HttpRequest, slug: str, token_id: int) -> HttpResponse:
    return _change(
        request, slug, token_id, queueing.mark_left, _("Token %(number)s marked as left.")
    )


@login_required
@require_POST
def recall(request: HttpRequest, slug: str, token_id: int) -> HttpResponse:
    return _change(request, slug, token_id, queueing.recall, _("Token %(number)s called again."))


@login_required
@require_POST
def requeue(request: HttpRequest, slug: str, token_id: int) -> HttpResponse:
    return _change(
        request, slug, token_id, queueing.requeue, _("Token %(number)s is back in the queue.")
    )
