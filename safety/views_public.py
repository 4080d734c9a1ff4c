"""The patient's follow-up pages, reached by the link in a follow-up message.

No login: the token in the address is the key, and it opens one session's
pages only (the session, its aftercare, a report of a problem and the
advice for it). Every page asks browsers not to keep it (``no-store``),
never to pass its address on, and search engines not to index it. An
unknown, expired or revoked link gets the same kind page, which says
nothing about which it was.

The referrer policy is ``strict-origin``, not ``no-referrer``: both keep
the address (and the token in it) out of every Referer header, but under
``no-referrer`` browsers send ``Origin: null`` with the page's own form
posts, which Django's CSRF check rightly refuses (the report form, and
the language switcher of the site's header). ``strict-origin`` sends only
the site's origin, and nothing at all to a plain-http site.

The pages speak the patient's language unless the visitor chose another.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from messaging.render import local_time
from safety.events import EventError, record_answer, report_event, session_window
from safety.links import open_link
from safety.models import AdverseEvent, FollowUpLink, ReportedVia
from safety.report_form import blank_form, read_form, too_large
from safety.triage_display import advice_context

View = Callable[..., HttpResponse]


def private(response: HttpResponse) -> HttpResponse:
    response["Referrer-Policy"] = "strict-origin"
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def follow_up_page(view: View) -> View:
    """Open the link of ``token`` (or answer the "no such link" page), in
    the patient's language, with the private headers."""

    @wraps(view)
    def wrapped(request: HttpRequest, token: str, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            link = open_link(token)
        except Http404:
            response = render(request, "safety/follow_up/no_link.html", status=404)
            return private(response)
        if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            language = link.patient.preferred_language
            if language in dict(settings.LANGUAGES):
                translation.activate(language)
                request.LANGUAGE_CODE = language
        return private(view(request, link, *args, **kwargs))

    return wrapped


def _base_context(request: HttpRequest, link: FollowUpLink) -> dict[str, Any]:
    chart = link.chart
    start, _end = session_window(chart)
    step = request.GET.get("step") or request.POST.get("step") or ""
    return {
        "link": link,
        "clinic": link.clinic,
        "chart": chart,
        "session_time": local_time(start, link.clinic),
        "step": step[:20],
        "step_query": f"?{urlencode({'step': step[:20]})}" if step else "",
    }


def _aftercare(link: FollowUpLink) -> Any:
    """The session's aftercare sheet laid out for a page
    (clinical.aftercare_sheet.chart_sheet), None when the session's area
    has no sheet. The page partial, not the email fragment: the email's
    inline styles are refused by the site's Content-Security-Policy."""
    from clinical.aftercare_sheet import chart_sheet

    try:
        return chart_sheet(link.chart)
    except Http404:
        return None


@require_GET
@follow_up_page
def home(request: HttpRequest, link: FollowUpLink) -> HttpResponse:
    context = _base_context(request, link)
    context["aftercare"] = _aftercare(link)
    context["events"] = AdverseEvent.objects.filter(link=link).order_by("-reported_at")[:5]
    return render(request, "safety/follow_up/home.html", context)


@require_GET
@follow_up_page
def aftercare_pdf(request: HttpRequest, link: FollowUpLink) -> HttpResponse:
    """The printable aftercare sheet of the link's session (PDF)."""
    from clinical.views.aftercare import pdf_response

    view = _aftercare(link)
    if view is None:
        return render(request, "safety/follow_up/no_link.html", status=404)
    return pdf_response(view)


@require_POST
@follow_up_page
def all_is_well(request: HttpRequest, link: FollowUpLink) -> HttpResponse:
    step = request.POST.get("step", "")
    # Past the day's limit the answer is known already: thank them all the same.
    with contextlib.suppress(EventError):
        record_answer(link, step)
    return redirect(reverse("followup:thanks", kwargs={"token": link.token}))


@require_GET
@follow_up_page
def thanks(request: HttpRequest, link: FollowUpLink) -> HttpResponse:
    return render(request, "safety/follow_up/thanks.html", _base_context(request, link))


@require_http_methods(["GET", "POST"])
@follow_up_page
def report(request: HttpRequest, link: FollowUpLink) -> HttpResponse:
    context = _base_context(request, link)
    chart = link.chart
    if request.method != "POST":
        context["form"] = blank_form(chart)
        return render(request, "safety/follow_up/report.html", context)
    if too_large(request):
        form = blank_form(chart)
        form.errors = {"photos": _("The photos are too large together; send smaller ones.")}
        context["form"] = form
        return render(request, "safety/follow_up/report.html", context, status=413)
    values, form = read_form(request, chart)
    status = 400
    if values is not None:
        try:
            event = report_event(chart, values, via=ReportedVia.PATIENT, link=link)
        except EventError as error:
            form.errors = {error.field: error.message}
            status = error.status
        else:
            return redirect(
                reverse("followup:advice", kwargs={"token": link.token, "event_id": event.pk})
            )
    context["form"] = form
    return render(request, "safety/follow_up/report.html", context, status=status)


@require_GET
@follow_up_page
def advice(request: HttpRequest, link: FollowUpLink, event_id: int) -> HttpResponse:
    event = AdverseEvent.objects.filter(pk=event_id, link=link).first()
    if event is None:
        # Another link's event (or none): this link opens nothing else.
        return render(request, "safety/follow_up/no_link.html", status=404)
    context = _base_context(request, link)
    context.update(event=event, **advice_context(event))
    return render(request, "safety/follow_up/advice.html", context)
