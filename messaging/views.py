"""The outbox: every message of the clinic, and what became of it.

Front desk, practitioners and managers see it (they send the reminders;
the aftercare they read here is theirs to give). Filters by status and
kind; a message that failed or was not sent can be tried again now, and
one not yet sent can be cancelled, each by a POST form. Staff of another
clinic get 404, as if the clinic did not exist.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from clinics.access import SCHEDULING_ROLES, staff_clinic
from clinics.models import Clinic
from messaging import outbox
from messaging.models import Kind, Message, Status

# Who may see and handle the outbox: the roles that run the calendar.
OUTBOX_ROLES = SCHEDULING_ROLES
PAGE_SIZE = 50


class OutboxFilter(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        choices=[("", gettext_lazy("Any status")), *Status.choices],
        required=False,
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        choices=[("", gettext_lazy("Any kind")), *Kind.choices],
        required=False,
    )


def trouble_counts(clinic: Clinic) -> dict[str, int]:
    """How many messages failed for good, and how many wait for a retry."""
    rows = (
        Message.objects.filter(clinic=clinic, status__in=(Status.FAILED, Status.RETRYING))
        .values("status")
        .annotate(n=Count("pk"))
    )
    counts = {Status.FAILED.value: 0, Status.RETRYING.value: 0}
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def _message(clinic: Clinic, message_id: int) -> Message:
    message = (
        Message.objects.filter(clinic=clinic, pk=message_id)
        .select_related("patient", "clinic", "handled_by")
        .first()
    )
    if message is None:
        raise Http404("No such message.")
    return message


@login_required
@require_GET
def outbox_list(request: HttpRequest, slug: str) -> HttpResponse:
    clinic, member = staff_clinic(request.user, slug, OUTBOX_ROLES)
    form = OutboxFilter(request.GET or None)
    status = kind = ""
    if form.is_valid():
        status, kind = form.cleaned_data["status"], form.cleaned_data["kind"]
    page = Paginator(outbox.messages_of(clinic, status, kind), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context: dict[str, Any] = {
        "clinic": clinic,
        "member": member,
        "form": form,
        "page": page,
        "counts": trouble_counts(clinic),
        "retryable": outbox.RETRYABLE,
        "cancellable": outbox.PENDING,
        "filter_query": "&".join(
            f"{name}={value}" for name, value in (("status", status), ("kind", kind)) if value
        ),
    }
    return render(request, "messaging/outbox.html", context)


@login_required
@require_GET
def outbox_detail(request: HttpRequest, slug: str, message_id: int) -> HttpResponse:
    clinic, member = staff_clinic(request.user, slug, OUTBOX_ROLES)
    message = _message(clinic, message_id)
    context = {
        "clinic": clinic,
        "member": member,
        "message": message,
        "retryable": outbox.RETRYABLE,
        "cancellable": outbox.PENDING,
    }
    return render(request, "messaging/detail.html", context)


def _back(request: HttpRequest, clinic: Clinic) -> HttpResponse:
    """Back to the page the form was on (the list with its filters, or the
    message), never to another site."""
    wanted = request.POST.get("next", "")
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(wanted)
    return redirect(reverse("messaging:outbox", kwargs={"slug": clinic.slug}))


@login_required
@require_POST
def retry(request: HttpRequest, slug: str, message_id: int) -> HttpResponse:
    clinic, _member = staff_clinic(request.user, slug, OUTBOX_ROLES)
    message = _message(clinic, message_id)
    if outbox.retry_now(message, by=request.user):
        messages.success(request, gettext("The message will be sent again now."))
    else:
        messages.error(
            request,
            gettext("This message is %(status)s; only a failed or unsent message can be retried.")
            % {"status": message.get_status_display().lower()},
        )
    return _back(request, clinic)


@login_required
@require_POST
def cancel(request: HttpRequest, slug: str, message_id: int) -> HttpResponse:
    clinic, _member = staff_clinic(request.user, slug, OUTBOX_ROLES)
    message = _message(clinic, message_id)
    if outbox.cancel(message, outbox.CANCELLED_BY_STAFF, by=request.user):
        messages.success(request, gettext("The message was cancelled; it will not be sent."))
    else:
        messages.error(
            request,
            gettext("This message is %(status)s; only a message not yet sent can be cancelled.")
            % {"status": message.get_status_display().lower()},
        )
    return _back(request, clinic)
