"""Stock and device pages, under /staff/<clinic>/stock/.

Every member of staff sees the stock (what is on hand, lot by lot, what
runs low, what expires soon) and the devices with their cleaning log;
who may change what is stock.roles. Another clinic's staff get 404, a
role that may not 403. Which patient received a lot or was treated after
a cleaning is shown only to staff who may read records.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods

from clinical.access import CLINICAL_READ_ROLES
from clinical.models import SessionChart
from clinics.access import staff_clinic
from clinics.models import Clinic, Device, StaffMember
from mesoclinic.catalog import get_catalog
from stock import roles
from stock.cleaning import record_cleaning
from stock.forms import CleaningForm, MovementForm, ProductForm, ReceiveForm
from stock.models import DeviceCleaning, Lot, Product, StockMovement
from stock.stock import (
    EXPIRING_DAYS,
    StockError,
    amount,
    expiring,
    low_stock,
    recalled_with_stock,
    receive,
    record_movement,
    save_product,
    with_on_hand,
)


def _staff(request: HttpRequest, slug: str, allowed: frozenset[str]) -> tuple[Clinic, StaffMember]:
    return staff_clinic(request.user, slug, allowed)


def _context(clinic: Clinic, member: StaffMember, **more: Any) -> dict[str, Any]:
    role = member.role
    return {
        "clinic": clinic,
        "member": member,
        "can_receive": role in roles.RECEIVE_ROLES,
        "can_manage": role in roles.PRODUCT_ROLES,
        "can_clean": role in roles.CLEANING_ROLES,
        "can_read_records": role in CLINICAL_READ_ROLES,
        **more,
    }


def _refused(form: Form, error: StockError) -> int:
    form.add_error(error.field if error.field in form.fields else None, error.message)
    return error.status


# -- the overview -------------------------------------------------------------------------


def _days(value: str | None) -> int:
    if value and value.isdigit() and 0 < int(value) <= 730:
        return int(value)
    return EXPIRING_DAYS


@login_required
@require_GET
def overview(request: HttpRequest, slug: str) -> HttpResponse:
    clinic, member = _staff(request, slug, roles.VIEW_ROLES)
    today = clinic.today()
    show_empty = request.GET.get("all") == "1"
    lots = with_on_hand(Lot.objects.filter(product__clinic=clinic)).order_by(
        "expiry", "number", "pk"
    )
    by_product: dict[int, list[Lot]] = defaultdict(list)
    for lot in lots:
        by_product[lot.product_id].append(lot)
    actives = get_catalog().actives
    products = []
    for product in Product.objects.filter(clinic=clinic).order_by("-active", "name"):
        found = by_product.get(product.pk, [])
        usable = sum(
            (lot.on_hand for lot in found if lot.usable_on(today)),  # type: ignore[attr-defined]
            start=Decimal(0),
        )
        total = sum((lot.on_hand for lot in found), start=Decimal(0))  # type: ignore[attr-defined]
        shown = [lot for lot in found if show_empty or lot.on_hand != 0]  # type: ignore[attr-defined]
        products.append(
            {
                "product": product,
                "usable": amount(usable),
                "total": amount(total),
                "lots": [_lot_row(lot, today) for lot in shown],
                "actives": [
                    gettext(actives[a].name) if a in actives else a for a in product.actives
                ],
                "hidden": len(found) - len(shown),
            }
        )
    days = _days(request.GET.get("days"))
    context = _context(
        clinic,
        member,
        products=products,
        unauthorised=[p["product"] for p in products if not p["product"].authorised_supplier],
        low=low_stock(clinic, today),
        expiring=expiring(clinic, today, days),
        recalled=recalled_with_stock(clinic),
        days=days,
        show_empty=show_empty,
        today=today,
    )
    return render(request, "stock/overview.html", context)


def _status(lot: Lot, today: date) -> str:
    if lot.recalled_at is not None:
        return gettext("recalled")
    if lot.expiry < today:
        return gettext("expired")
    return ""


def _lot_row(lot: Lot, today: date) -> dict[str, Any]:
    on_hand = lot.on_hand  # type: ignore[attr-defined]
    return {"lot": lot, "on_hand": amount(on_hand), "status": _status(lot, today)}


# -- receiving ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def receive_page(request: HttpRequest, slug: str) -> HttpResponse:
    clinic, member = _staff(request, slug, roles.RECEIVE_ROLES)
    initial = {"received_on": clinic.today()}
    if request.GET.get("product", "").isdigit():
        initial["product"] = int(request.GET["product"])
    form = ReceiveForm(request.POST or None, clinic=clinic, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                movement = receive(
                    clinic,
                    product=data["product"],
                    number=data["number"],
                    expiry=data["expiry"],
                    quantity=data["quantity"],
                    received_on=data["received_on"],
                    note=data["note"],
                    by=request.user,
                )
            except StockError as error:
                status = _refused(form, error)
            else:
                lot = movement.lot
                messages.success(
                    request,
                    gettext("%(quantity)s %(unit)s of lot %(number)s received.")
                    % {
                        "quantity": amount(movement.quantity),
                        "unit": lot.product.unit,
                        "number": lot.number,
                    },
                )
                return redirect("stock:lot", clinic.slug, lot.pk)
    return render(request, "stock/receive.html", _context(clinic, member, form=form), status=status)


# -- a lot --------------------------------------------------------------------------------


def _lot(clinic: Clinic, lot_id: int) -> Lot:
    lot = Lot.objects.filter(product__clinic=clinic, pk=lot_id).select_related("product").first()
    if lot is None:
        raise Http404("No such lot.")
    return lot


def _movement_rows(lot: Lot, can_read_records: bool) -> list[dict[str, Any]]:
    rows = []
    movements = StockMovement.objects.filter(lot=lot).select_related("by", "chart__patient")
    balance = Decimal(0)
    for movement in movements.order_by("at", "pk"):
        balance += movement.quantity
        rows.append(
            {
                "movement": movement,
                "quantity": amount(movement.quantity),
                "balance": amount(balance),
                "by": movement.by.get_full_name() or movement.by.username,
                "chart": movement.chart if can_read_records else None,
            }
        )
    rows.reverse()
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def lot_page(request: HttpRequest, slug: str, lot_id: int) -> HttpResponse:
    clinic, member = _staff(request, slug, roles.VIEW_ROLES)
    lot = _lot(clinic, lot_id)
    kinds = roles.movement_kinds(member.role)
    form = MovementForm(request.POST or None, kinds=kinds) if kinds else None
    status = 200
    if request.method == "POST":
        if form is None:
            raise PermissionDenied("Your role may not record stock movements.")
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                record_movement(
                    clinic,
                    lot,
                    kind=data["kind"],
                    quantity=data["quantity"],
                    note=data["note"],
                    by=request.user,
                )
            except StockError as error:
                status = _refused(form, error)
            else:
                messages.success(request, gettext("Stock movement recorded."))
                return redirect("stock:lot", clinic.slug, lot.pk)
    context = _context(clinic, member, lot=lot, form=form)
    rows = _movement_rows(lot, context["can_read_records"])
    context.update(
        on_hand=rows[0]["balance"] if rows else "0",
        status=_status(lot, clinic.today()),
        movements=rows,
    )
    return render(request, "stock/lot.html", context, status=status)


# -- products -----------------------------------------------------------------------------


def _product_values(data: dict[str, Any]) -> dict[str, Any]:
    return {
        name: data[name]
        for name in (
            "name",
            "brand",
            "supplier",
            "authorised_supplier",
            "actives",
            "unit",
            "reorder_level",
            "active",
        )
    }


@login_required
@require_http_methods(["GET", "POST"])
def product_edit(request: HttpRequest, slug: str, product_id: int | None = None) -> HttpResponse:
    clinic, member = _staff(request, slug, roles.PRODUCT_ROLES)
    product = None
    initial: dict[str, Any] = {"unit": "ml", "reorder_level": 0, "active": True}
    if product_id is not None:
        product = Product.objects.filter(clinic=clinic, pk=product_id).first()
        if product is None:
            raise Http404("No such product.")
        initial = {name: getattr(product, name) for name in ProductForm.base_fields}
    form = ProductForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                saved = save_product(
                    clinic, _product_values(form.cleaned_data), request.user, product
                )
            except StockError as error:
                status = _refused(form, error)
            else:
                messages.success(request, gettext("%(name)s saved.") % {"name": saved.name})
                return redirect(f"/staff/{clinic.slug}/stock/#product-{saved.pk}")
    context = _context(clinic, member, form=form, product=product)
    return render(request, "stock/product_edit.html", context, status=status)


# -- devices and their cleanings ----------------------------------------------------------


def _local(clinic: Clinic) -> ZoneInfo:
    return ZoneInfo(clinic.time_zone)


def _clean(
    request: HttpRequest, clinic: Clinic, member: StaffMember, device: Device | None
) -> tuple[CleaningForm, int, DeviceCleaning | None]:
    """The cleaning form, read and recorded on a POST."""
    now = timezone.now().astimezone(_local(clinic)).replace(second=0, microsecond=0)
    form = CleaningForm(
        request.POST or None,
        clinic=clinic,
        device=device,
        initial={"cleaned_at": now.replace(tzinfo=None)},
    )
    if request.method != "POST":
        return form, 200, None
    if member.role not in roles.CLEANING_ROLES:
        raise PermissionDenied("Your role may not record cleanings.")
    # The time typed is the clinic's.
    with timezone.override(_local(clinic)):
        valid = form.is_valid()
    if not valid:
        return form, 400, None
    data = form.cleaned_data
    try:
        cleaning = record_cleaning(
            clinic,
            device or data["device"],
            cleaned_at=data["cleaned_at"],
            method=data["method"],
            cycle=data["cycle"],
            notes=data["notes"],
            by=request.user,
        )
    except StockError as error:
        return form, _refused(form, error), None
    messages.success(
        request, gettext("Cleaning of %(device)s recorded.") % {"device": cleaning.device.name}
    )
    return form, 302, cleaning


@login_required
@require_http_methods(["GET", "POST"])
def devices(request: HttpRequest, slug: str) -> HttpResponse:
    clinic, member = _staff(request, slug, roles.VIEW_ROLES)
    form, status, cleaning = _clean(request, clinic, member, None)
    if cleaning is not None:
        return redirect("stock:device", clinic.slug, cleaning.device_id)
    latest = DeviceCleaning.objects.filter(device=OuterRef("pk")).order_by("-cleaned_at", "-pk")
    found = Device.objects.filter(clinic=clinic).annotate(last_id=Subquery(latest.values("pk")[:1]))
    rows = list(found.order_by("name"))
    last = DeviceCleaning.objects.select_related("by").in_bulk(
        [d.last_id for d in rows if d.last_id]
    )  # type: ignore[attr-defined]
    context = _context(
        clinic,
        member,
        form=form,
        devices=[{"device": d, "last": last.get(d.last_id)} for d in rows],  # type: ignore[attr-defined]
    )
    return render(request, "stock/devices.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def device_page(request: HttpRequest, slug: str, device_id: int) -> HttpResponse:
    clinic, member = _staff(request, slug, roles.VIEW_ROLES)
    device = Device.objects.filter(clinic=clinic, pk=device_id).first()
    if device is None:
        raise Http404("No such device.")
    form, status, cleaning = _clean(request, clinic, member, device)
    if cleaning is not None:
        return redirect("stock:device", clinic.slug, device.pk)
    cleanings = list(DeviceCleaning.objects.filter(device=device).select_related("by"))
    charts: dict[int, list[SessionChart]] = defaultdict(list)
    used = SessionChart.objects.filter(device_cleaning__in=cleanings).select_related("patient")
    for chart in used.order_by("performed_on", "pk"):
        charts[chart.device_cleaning_id].append(chart)  # type: ignore[index]
    context = _context(
        clinic,
        member,
        device=device,
        form=form,
        cleanings=[{"cleaning": c, "charts": charts.get(c.pk, [])} for c in cleanings],
        uncleaned=SessionChart.objects.filter(device=device, device_cleaning__isnull=True).count(),
    )
    return render(request, "stock/device.html", context, status=status)


urlpatterns = [
    path("", overview, name="overview"),
    path("receive/", receive_page, name="receive"),
    path("lots/<int:lot_id>/", lot_page, name="lot"),
    path("products/new/", product_edit, name="product_new"),
    path("products/<int:product_id>/edit/", product_edit, name="product_edit"),
    path("devices/", devices, name="devices"),
    path("devices/<int:device_id>/", device_page, name="device"),
]
