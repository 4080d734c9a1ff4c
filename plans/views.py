"""The public plan preview: what a course of sessions would look like at the
public clinic, in its currency and within what its country allows.

A GET form: it changes nothing, so a preview can be bookmarked or shared.
The core decides; this view only turns its answer, or its refusal, into a
page in the visitor's language.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.planning import (
    Message,
    NotOffered,
    PlanError,
    PlanRequest,
    preview,
)
from mesoclinic.catalog import get_catalog
from mesoclinic.site import public_clinic
from plans.forms import PlanForm

EVIDENCE_LABELS = {
    "approved": _("Approved by regulators"),
    "moderate": _("Moderate evidence"),
    "limited": _("Limited evidence"),
    "weak": _("Weak evidence"),
    "none": _("No clinical studies found"),
}

# The core names its inputs; the form holds indication and area in one field.
FORM_FIELDS = {"indication": "treatment", "area": "treatment", "protocol": None}


def _message(message: Message) -> str:
    text = gettext(message.text)
    return text % dict(message.params) if message.params else text


def preview_page(request: HttpRequest) -> HttpResponse:
    """Costs the queries of public_clinic(); the catalog is in memory."""
    catalog = get_catalog()
    clinic = public_clinic()
    earliest = clinic.today()
    bound = "treatment" in request.GET
    form = PlanForm(
        request.GET if bound else None,
        catalog=catalog,
        earliest=earliest,
        initial={"start_date": earliest},
    )
    context: dict[str, Any] = {"form": form, "clinic": clinic}
    if bound and form.is_valid():
        indication, area = form.indication_and_area
        try:
            context["plan"] = preview(
                catalog,
                PlanRequest(
                    indication=indication,
                    area=area,
                    start_date=form.cleaned_data["start_date"],
                    sessions=form.cleaned_data["sessions"],
                    country=clinic.country,
                    currency=clinic.currency,
                ),
            )
        except NotOffered as refusal:
            context["refusal"] = {
                "reason": _message(refusal.message),
                "sources": list(dict.fromkeys(s for n in refusal.notes for s in n.sources)),
            }
        except PlanError as error:
            form.add_error(FORM_FIELDS.get(error.field, error.field), _message(error.message))
    plan = context.get("plan")
    if plan is not None:
        context["evidence_label"] = EVIDENCE_LABELS[plan.evidence.level]
        context["protocol_sources"] = catalog.protocols[plan.protocol.key].sources
        context["price_note"] = _message(plan.price_note) if plan.price_note else ""
    return render(request, "plans/preview.html", context)
