"""Recall pages, under /staff/<clinic>/stock/.

A manager recalls a lot (from the lot, with the same lot at their other
clinics if they choose) or a faulty device cleaning (with its steriliser
cycle), then messages every patient not yet told; staff who phone or see a
patient record it. Practitioners read recalls; front desk is refused (403:
the pages list patients' sessions); another clinic's staff find nothing
(404). A recall made at one location of a chain shows at each location it
reaches, and each reader sees only the patients of the clinics where they
may read records; each such patient's read is logged, as for the record.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext, gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinical.access import CLINICAL_READ_ROLES
from clinics.access import staff_clinic
from clinics.models import Clinic, Role, StaffMember
from stock import roles
from stock.models import DeviceCleaning, Lot, NoticeHow, Recall, RecallNotice, RecallStatus
from stock.recall import (
    TOLD_BY_HAND,
    RecallError,
    cleanings_in_cycle,
    log_reads,
    managed_clinics,
    mark_told,
    matching_lots,
    message_all,
    notice_rows,
    recall_cleaning,
    recall_clinic_ids,
    recall_lots,
    recalls_at,
    visible_clinic_ids,
)

MANAGER = [Role.MANAGER]


def _nav(member: StaffMember) -> dict[str, bool]:
    """What the stock pages' navigation (stock/_nav.html) offers this role."""
    return {
        "can_receive": member.role in roles.RECEIVE_ROLES,
        "can_manage": member.role in roles.PRODUCT_ROLES,
        "can_read_records": member.role in CLINICAL_READ_ROLES,
    }


class RecallForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("What is wrong"),
        choices=RecallStatus.choices,
        initial=RecallStatus.RECALLED,
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=gettext_lazy("Why (kept with the recall; not sent to patients)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    include_other_clinics = forms.BooleanField(
        label=gettext_lazy("Also at my other clinics"), required=False
    )


class ToldForm(forms.Form):
    how = forms.ChoiceField(
        label=gettext_lazy("How"),
        choices=[(h.value, h.label) for h in TOLD_BY_HAND],
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=2000)


def _recall(clinic: Clinic, recall_id: int) -> Recall:
    recall = recalls_at(clinic).filter(pk=recall_id).first()
    if recall is None:
        raise Http404("No such recall.")
    return recall


def _lot(clinic: Clinic, lot_id: int) -> Lot:
    lot = Lot.objects.filter(product__clinic=clinic, pk=lot_id).select_related("product").first()
    if lot is None:
        raise Http404("No such lot.")
    return lot


def _cleaning(clinic: Clinic, cleaning_id: int) -> DeviceCleaning:
    cleaning = (
        DeviceCleaning.objects.filter(clinic=clinic, pk=cleaning_id)
        .select_related("device", "by")
        .first()
    )
    if cleaning is None:
        raise Http404("No such cleaning.")
    return cleaning


def _others(chosen: list[Any], main: list[Any]) -> list[Any]:
    ids = {m.pk for m in main}
    return [c for c in chosen if c.pk not in ids]


# -- the list ------------------------------------------------------------------------------------


@login_required
@require_GET
def recall_list(request: HttpRequest, slug: str) -> HttpResponse:
    clinic, member = staff_clinic(request.user, slug, CLINICAL_READ_ROLES)
    recalls = list(
        recalls_at(clinic)
        .annotate(
            patients=Count("notices", distinct=True),
            told=Count(
                "notices",
                filter=Q(notices__told_at__isnull=False) | Q(notices__message__status="sent"),
                distinct=True,
            ),
        )
        .prefetch_related("lots__product", "cleanings__device")
        .order_by("-created_at", "-pk")
    )
    context = {
        **_nav(member),
        "clinic": clinic,
        "member": member,
        "recalls": recalls,
        "can_recall": member.role == Role.MANAGER,
        "lots": Lot.objects.filter(product__clinic=clinic).select_related("product")[:500]
        if member.role == Role.MANAGER
        else [],
        "cleanings": DeviceCleaning.objects.filter(clinic=clinic).select_related("device")[:200]
        if member.role == Role.MANAGER
        else [],
    }
    return render(request, "stock/recall_list.html", context)


@login_required
@require_GET
def recall_new(request: HttpRequest, slug: str) -> HttpResponse:
    """Where the list's chooser goes: on to the lot's or the cleaning's recall."""
    clinic, _ = staff_clinic(request.user, slug, MANAGER)
    lot_id, cleaning_id = request.GET.get("lot", ""), request.GET.get("cleaning", "")
    if lot_id.isdigit():
        return redirect("stock:recall_lot", clinic.slug, _lot(clinic, int(lot_id)).pk)
    if cleaning_id.isdigit():
        cleaning = _cleaning(clinic, int(cleaning_id))
        return redirect("stock:recall_cleaning", clinic.slug, cleaning.pk)
    messages.error(request, gettext("Choose a lot or a device cleaning to recall."))
    return redirect("stock:recalls", clinic.slug)


# -- making a recall -----------------------------------------------------------------------------


def _new_page(
    request: HttpRequest,
    context: dict[str, Any],
    form: RecallForm,
    error: RecallError | None = None,
) -> HttpResponse:
    if error is not None:
        form.add_error(error.field if error.field in form.fields else None, error.message)
    status = 200 if request.method == "GET" else 400
    return render(request, "stock/recall_new.html", {**context, "form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def recall_lot(request: HttpRequest, slug: str, lot_id: int) -> HttpResponse:
    clinic, member = staff_clinic(request.user, slug, MANAGER)
    lot = _lot(clinic, lot_id)
    managed = managed_clinics(request.user)
    others = _others(matching_lots(lot, managed), [lot])
    form = RecallForm(request.POST or None)
    context = {
        **_nav(member),
        "clinic": clinic,
        "member": member,
        "kind": "lot",
        "lot": lot,
        "main": [lot],
        "others": others,
    }
    if request.method == "POST" and form.is_valid():
        chosen = [lot] + (others if form.cleaned_data["include_other_clinics"] else [])
        try:
            recall = recall_lots(
                lots=chosen,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
                by=request.user,
                clinic=clinic,
            )
        except RecallError as error:
            return _new_page(request, context, form, error)
        return _created(request, clinic, recall)
    return _new_page(request, context, form)


@login_required
@require_http_methods(["GET", "POST"])
def recall_cleaning_page(request: HttpRequest, slug: str, cleaning_id: int) -> HttpResponse:
    clinic, member = staff_clinic(request.user, slug, MANAGER)
    cleaning = _cleaning(clinic, cleaning_id)
    main = cleanings_in_cycle(cleaning, [clinic])
    others = _others(cleanings_in_cycle(cleaning, managed_clinics(request.user)), main)
    form = RecallForm(request.POST or None)
    context = {
        **_nav(member),
        "clinic": clinic,
        "member": member,
        "kind": "cleaning",
        "cleaning": cleaning,
        "main": main,
        "others": others,
    }
    if request.method == "POST" and form.is_valid():
        chosen = main + (others if form.cleaned_data["include_other_clinics"] else [])
        try:
            recall = recall_cleaning(
                cleanings=chosen,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
                by=request.user,
                clinic=clinic,
            )
        except RecallError as error:
            return _new_page(request, context, form, error)
        return _created(request, clinic, recall)
    return _new_page(request, context, form)


def _created(request: HttpRequest, clinic: Clinic, recall: Recall) -> HttpResponse:
    count = recall.notices.count()
    messages.success(
        request,
        ngettext(
            "Recall recorded: %(n)d patient received it.",
            "Recall recorded: %(n)d patients received it.",
            count,
        )
        % {"n": count},
    )
    return redirect("stock:recall", clinic.slug, recall.pk)


# -- one recall ----------------------------------------------------------------------------------


def _roles(user: Any, clinic_ids: set[int]) -> dict[int, str]:
    return dict(
        StaffMember.objects.filter(user=user, active=True, clinic_id__in=clinic_ids).values_list(
            "clinic_id", "role"
        )
    )


def _detail(
    request: HttpRequest,
    clinic: Clinic,
    member: StaffMember,
    recall: Recall,
    told_form: ToldForm | None = None,
    told_notice: int | None = None,
    status: int = 200,
) -> HttpResponse:
    reach = recall_clinic_ids(recall)
    roles = _roles(request.user, reach)
    readable = visible_clinic_ids(request.user, reach)
    rows = notice_rows(recall, readable)
    log_reads(rows, request.user, f"recall {recall.pk}")
    managed_here = {cid for cid, role in roles.items() if role == Role.MANAGER}
    to_message = [r for r in rows if r.told.at is None and r.notice.message_id is None]
    context = {
        **_nav(member),
        "clinic": clinic,
        "member": member,
        "recall": recall,
        "lots": recall.lots.select_related("product__clinic").order_by("product__clinic__name"),
        "cleanings": recall.cleanings.select_related("device", "clinic").order_by(
            "clinic__name", "cleaned_at"
        ),
        "rows": rows,
        "hidden": recall.notices.exclude(clinic_id__in=readable).count(),
        "told_count": sum(1 for r in rows if r.told.at is not None),
        "can_message": member.role == Role.MANAGER,
        "to_message": [r for r in to_message if r.notice.clinic_id in managed_here],
        "told_form": told_form or ToldForm(),
        "told_notice": told_notice,
        "multi_clinic": len(reach) > 1,
        "how_labels": NoticeHow.choices,
    }
    return render(request, "stock/recall_detail.html", context, status=status)


@login_required
@require_GET
def recall_detail(request: HttpRequest, slug: str, recall_id: int) -> HttpResponse:
    clinic, member = staff_clinic(request.user, slug, CLINICAL_READ_ROLES)
    return _detail(request, clinic, member, _recall(clinic, recall_id))


@login_required
@require_POST
def recall_message_all(request: HttpRequest, slug: str, recall_id: int) -> HttpResponse:
    clinic, _ = staff_clinic(request.user, slug, MANAGER)
    recall = _recall(clinic, recall_id)
    # Only the patients of the clinics this manager manages among the recall's.
    clinics = [c for c in managed_clinics(request.user) if c.pk in recall_clinic_ids(recall)]
    scheduled = message_all(recall, request.user, clinics)
    if scheduled:
        messages.success(
            request,
            ngettext(
                "%(n)d recall message scheduled.",
                "%(n)d recall messages scheduled.",
                len(scheduled),
            )
            % {"n": len(scheduled)},
        )
    else:
        messages.info(request, gettext("Every patient has been told or messaged already."))
    return redirect("stock:recall", clinic.slug, recall.pk)


@login_required
@require_POST
def recall_told(request: HttpRequest, slug: str, recall_id: int, notice_id: int) -> HttpResponse:
    clinic, member = staff_clinic(request.user, slug, CLINICAL_READ_ROLES)
    recall = _recall(clinic, recall_id)
    readable = visible_clinic_ids(request.user, recall_clinic_ids(recall))
    notice = (
        RecallNotice.objects.filter(recall=recall, pk=notice_id, clinic_id__in=readable)
        .select_related("recall")
        .first()
    )
    if notice is None:
        raise Http404("No such patient in this recall.")
    form = ToldForm(request.POST)
    if form.is_valid():
        try:
            mark_told(
                notice, form.cleaned_data["how"], request.user, note=form.cleaned_data["note"]
            )
        except RecallError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(
                request,
                gettext("Recorded that %(patient)s was told.") % {"patient": notice.patient},
            )
            return redirect("stock:recall", clinic.slug, recall.pk)
    return _detail(request, clinic, member, recall, form, notice.pk, status=400)


recall_urlpatterns = [
    path("recalls/", recall_list, name="recalls"),
    path("recalls/new/", recall_new, name="recall_new"),
    path("recalls/<int:recall_id>/", recall_detail, name="recall"),
    path("recalls/<int:recall_id>/message-all/", recall_message_all, name="recall_message_all"),
    path(
        "recalls/<int:recall_id>/notices/<int:notice_id>/told/",
        recall_told,
        name="recall_told",
    ),
    path("lots/<int:lot_id>/recall/", recall_lot, name="recall_lot"),
    path("cleanings/<int:cleaning_id>/recall/", recall_cleaning_page, name="recall_cleaning"),
]
