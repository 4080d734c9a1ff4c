"""Stock, lots and devices over JSON, under /api/v1/clinics/{slug}/.

The rules and roles are the pages' (stock/stock.py, stock/cleaning.py,
stock/roles.py): every member of staff reads; front desk and managers
receive deliveries; practitioners and managers record waste and
cleanings; managers manage products and correct counts. Another clinic's
staff get 404, a role that may not 403; bad input 422 naming the field.
Which session took from a lot or used a cleaning is given only to staff
who may read records.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.security import django_auth
from pydantic import ConfigDict, StrictBool, StrictInt, StrictStr

from api.errors import ApiError
from clinical.access import CLINICAL_READ_ROLES
from clinical.models import SessionChart
from clinics.access import staff_clinic
from clinics.models import Clinic, Device, StaffMember
from stock import roles
from stock.cleaning import record_cleaning
from stock.models import DeviceCleaning, Lot, Product, StockMovement
from stock.stock import (
    COUNTERFEIT_WARNING,
    EXPIRING_DAYS,
    ZERO,
    StockError,
    expiring,
    low_stock,
    receive,
    record_movement,
    save_product,
    with_on_hand,
)

router = Router()


def _staff(
    request: HttpRequest, slug: str, allowed: frozenset[str], what: str
) -> tuple[Clinic, StaffMember]:
    try:
        return staff_clinic(request.user, slug, allowed)
    except Http404:
        raise ApiError(404, "There is no such clinic, or you are not its staff.", "slug") from None
    except PermissionDenied:
        raise ApiError(403, f"Your role may not {what}.", "slug") from None


def _error(error: StockError) -> ApiError:
    return ApiError(error.status, error.message, error.field)


class _In(Schema):
    model_config = ConfigDict(extra="forbid")


# -- products ----------------------------------------------------------------------------------


class ProductOut(Schema):
    id: int
    name: str
    brand: str
    supplier: str
    authorised_supplier: bool
    warning: str = Field(..., description="Beware of counterfeit products: set when unauthorised.")
    actives: list[str] = Field(..., description="Catalog active keys.")
    unit: str
    reorder_level: Decimal
    active: bool
    on_hand: Decimal = Field(..., description="In lots usable today.")


def _product_out(product: Product, usable: dict[int, Decimal]) -> ProductOut:
    return ProductOut(
        id=product.pk,
        name=product.name,
        brand=product.brand,
        supplier=product.supplier,
        authorised_supplier=product.authorised_supplier,
        warning="" if product.authorised_supplier else COUNTERFEIT_WARNING,
        actives=list(product.actives),
        unit=product.unit,
        reorder_level=product.reorder_level,
        active=product.active,
        on_hand=usable.get(product.pk, ZERO).quantize(ZERO),
    )


def _usable(clinic: Clinic) -> dict[int, Decimal]:
    lots = with_on_hand(
        Lot.objects.filter(
            product__clinic=clinic, recalled_at__isnull=True, expiry__gte=clinic.today()
        )
    )
    totals: dict[int, Decimal] = {}
    for product_id, have in lots.values_list("product_id", "on_hand"):
        totals[product_id] = totals.get(product_id, Decimal(0)) + Decimal(have)
    return totals


@router.get("/clinics/{slug}/stock/products", response={200: list[ProductOut]}, auth=django_auth)
def list_products(request: HttpRequest, slug: str) -> list[ProductOut]:
    """The clinic's products, stocked first, with what is on hand in usable lots."""
    clinic, _ = _staff(request, slug, roles.VIEW_ROLES, "see the stock")
    usable = _usable(clinic)
    products = Product.objects.filter(clinic=clinic).order_by("-active", "name")
    return [_product_out(p, usable) for p in products]


class ProductIn(_In):
    name: StrictStr = Field(..., max_length=200)
    brand: StrictStr = Field("", max_length=200)
    supplier: StrictStr = Field("", max_length=200)
    authorised_supplier: StrictBool = False
    actives: list[StrictStr] = Field(default_factory=list, description="Catalog active keys.")
    unit: Literal["ml", "g", "vial", "unit"] = "ml"
    reorder_level: Decimal = Decimal(0)
    active: StrictBool = True


class ProductChangeIn(_In):
    name: StrictStr | None = Field(None, max_length=200)
    brand: StrictStr | None = Field(None, max_length=200)
    supplier: StrictStr | None = Field(None, max_length=200)
    authorised_supplier: StrictBool | None = None
    actives: list[StrictStr] | None = None
    unit: Literal["ml", "g", "vial", "unit"] | None = None
    reorder_level: Decimal | None = None
    active: StrictBool | None = None


@router.post("/clinics/{slug}/stock/products", response={201: ProductOut}, auth=django_auth)
def create_product(request: HttpRequest, slug: str, payload: ProductIn) -> Status:
    """Add a product (managers): 422 for an active not in the catalog, a
    name the clinic already has..."""
    clinic, _ = _staff(request, slug, roles.PRODUCT_ROLES, "manage products")
    try:
        product = save_product(clinic, payload.model_dump(), request.user)
    except StockError as error:
        raise _error(error) from None
    return Status(201, _product_out(product, _usable(clinic)))


@router.patch(
    "/clinics/{slug}/stock/products/{product_id}", response={200: ProductOut}, auth=django_auth
)
def change_product(
    request: HttpRequest, slug: str, product_id: int, payload: ProductChangeIn
) -> ProductOut:
    """Change the fields given (managers)."""
    clinic, _ = _staff(request, slug, roles.PRODUCT_ROLES, "manage products")
    product = Product.objects.filter(clinic=clinic, pk=product_id).first()
    if product is None:
        raise ApiError(404, "There is no such product at this clinic.", "product_id")
    values = {name: getattr(payload, name) for name in payload.model_fields_set}
    for name, value in values.items():
        if value is None:
            raise ApiError(422, "This field cannot be emptied.", name)
    if not values:
        raise ApiError(422, "Name at least one field to change.", "body")
    try:
        product = save_product(clinic, values, request.user, product)
    except StockError as error:
        raise _error(error) from None
    return _product_out(product, _usable(clinic))


# -- lots --------------------------------------------------------------------------------------


class LotOut(Schema):
    id: int
    product: int
    product_name: str
    number: str
    expiry: date
    received_on: date | None
    recalled: bool
    usable_today: bool
    on_hand: Decimal


def _lot_out(lot: Lot, today: date) -> LotOut:
    return LotOut(
        id=lot.pk,
        product=lot.product_id,
        product_name=lot.product.name,
        number=lot.number,
        expiry=lot.expiry,
        received_on=lot.received_on,
        recalled=lot.recalled_at is not None,
        usable_today=lot.usable_on(today),
        on_hand=Decimal(lot.on_hand).quantize(ZERO),  # type: ignore[attr-defined]
    )


class LotFilter(Schema):
    product: int | None = Field(None, description="Only this product's lots.")
    empty: bool = Field(False, description="Also lots with nothing on hand.")


@router.get("/clinics/{slug}/stock/lots", response={200: list[LotOut]}, auth=django_auth)
def list_lots(request: HttpRequest, slug: str, filters: Query[LotFilter]) -> list[LotOut]:
    """The clinic's lots holding stock (or all, with ``empty``), first expiry first."""
    clinic, _ = _staff(request, slug, roles.VIEW_ROLES, "see the stock")
    lots = with_on_hand(Lot.objects.filter(product__clinic=clinic).select_related("product"))
    if filters.product is not None:
        lots = lots.filter(product_id=filters.product)
    if not filters.empty:
        lots = lots.exclude(on_hand=0)
    today = clinic.today()
    return [_lot_out(lot, today) for lot in lots.order_by("expiry", "number", "pk")]


class ReceiveIn(_In):
    product: StrictInt
    number: StrictStr = Field(..., description="The lot number printed on the product.")
    expiry: date
    quantity: Decimal = Field(..., description="In the product's unit, above 0.")
    received_on: date | None = Field(None, description="Today if left out.")
    note: StrictStr = ""


class MovementOut(Schema):
    id: int
    lot: int
    kind: str
    quantity: Decimal = Field(..., description="Positive in, negative out.")
    note: str
    by: str
    at: datetime
    chart: int | None = Field(
        None, description="The session's chart: for staff who may read records only."
    )
    patient: int | None = None


def _name(user: Any) -> str:
    return str(user.get_full_name() or user.username)


def _movement_out(movement: StockMovement, records: bool) -> MovementOut:
    chart = movement.chart if records else None
    return MovementOut(
        id=movement.pk,
        lot=movement.lot_id,
        kind=movement.kind,
        quantity=movement.quantity,
        note=movement.note,
        by=_name(movement.by),
        at=movement.at,
        chart=chart.pk if chart else None,
        patient=chart.patient_id if chart else None,
    )


class ReceivedOut(Schema):
    lot: LotOut
    movement: MovementOut


@router.post("/clinics/{slug}/stock/lots", response={201: ReceivedOut}, auth=django_auth)
def receive_lot(request: HttpRequest, slug: str, payload: ReceiveIn) -> Status:
    """Receive a delivery of one lot (made when new): 422 for an expiry
    already past, a quantity of 0 or less, a lot number known with
    another expiry..."""
    clinic, member = _staff(request, slug, roles.RECEIVE_ROLES, "receive deliveries")
    try:
        movement = receive(
            clinic,
            product=payload.product,
            number=payload.number,
            expiry=payload.expiry,
            quantity=payload.quantity,
            received_on=payload.received_on,
            note=payload.note,
            by=request.user,
        )
    except StockError as error:
        raise _error(error) from None
    lot = with_on_hand(Lot.objects.filter(pk=movement.lot_id).select_related("product")).get()
    records = member.role in CLINICAL_READ_ROLES
    return Status(
        201,
        ReceivedOut(lot=_lot_out(lot, clinic.today()), movement=_movement_out(movement, records)),
    )


def _lot(clinic: Clinic, lot_id: int) -> Lot:
    lot = Lot.objects.filter(product__clinic=clinic, pk=lot_id).first()
    if lot is None:
        raise ApiError(404, "There is no such lot at this clinic.", "lot_id")
    return lot


@router.get(
    "/clinics/{slug}/stock/lots/{lot_id}/movements",
    response={200: list[MovementOut]},
    auth=django_auth,
)
def list_movements(request: HttpRequest, slug: str, lot_id: int) -> list[MovementOut]:
    """Every movement of the lot, oldest first."""
    clinic, member = _staff(request, slug, roles.VIEW_ROLES, "see the stock")
    lot = _lot(clinic, lot_id)
    records = member.role in CLINICAL_READ_ROLES
    movements = StockMovement.objects.filter(lot=lot).select_related("by", "chart")
    return [_movement_out(m, records) for m in movements.order_by("at", "pk")]


class MovementIn(_In):
    kind: Literal["wasted", "returned", "adjusted"]
    quantity: Decimal = Field(
        ...,
        description="Waste or a return: the amount out, above 0. A correction: the change, "
        "+ found or - missing.",
    )
    note: StrictStr = Field("", description="The reason: required for a correction.")


@router.post(
    "/clinics/{slug}/stock/lots/{lot_id}/movements",
    response={201: MovementOut},
    auth=django_auth,
)
def create_movement(request: HttpRequest, slug: str, lot_id: int, payload: MovementIn) -> Status:
    """Record waste (practitioners, managers), a return to the supplier
    (front desk, managers) or a count correction (managers): 422 when more
    would go out than is on hand, or a correction has no reason."""
    clinic, member = _staff(request, slug, roles.VIEW_ROLES, "see the stock")
    if member.role not in roles.MOVEMENT_ROLES[payload.kind]:
        raise ApiError(403, "Your role may not record this kind of movement.", "kind")
    lot = _lot(clinic, lot_id)
    try:
        movement = record_movement(
            clinic,
            lot,
            kind=payload.kind,
            quantity=payload.quantity,
            note=payload.note,
            by=request.user,
        )
    except StockError as error:
        raise _error(error) from None
    return Status(201, _movement_out(movement, member.role in CLINICAL_READ_ROLES))


# -- lists -------------------------------------------------------------------------------------


class LowStockOut(Schema):
    product: int
    name: str
    unit: str
    on_hand: Decimal = Field(..., description="In lots usable today.")
    reorder_level: Decimal


@router.get("/clinics/{slug}/stock/low", response={200: list[LowStockOut]}, auth=django_auth)
def list_low_stock(request: HttpRequest, slug: str) -> list[LowStockOut]:
    """Products at or below their reorder level, counting usable lots only."""
    clinic, _ = _staff(request, slug, roles.VIEW_ROLES, "see the stock")
    return [
        LowStockOut(
            product=row.product.pk,
            name=row.product.name,
            unit=row.product.unit,
            on_hand=row.on_hand,
            reorder_level=row.reorder_level,
        )
        for row in low_stock(clinic, clinic.today())
    ]


class ExpiringOut(Schema):
    lot: int
    product: int
    product_name: str
    number: str
    expiry: date
    on_hand: Decimal
    days_left: int = Field(..., description="Negative: expired that many days ago.")
    expired: bool


class ExpiringFilter(Schema):
    days: int = Field(EXPIRING_DAYS, ge=0, le=730, description="How many days ahead.")


@router.get("/clinics/{slug}/stock/expiring", response={200: list[ExpiringOut]}, auth=django_auth)
def list_expiring(
    request: HttpRequest, slug: str, filters: Query[ExpiringFilter]
) -> list[ExpiringOut]:
    """Lots holding stock that expire within ``days`` (default 60), and
    those already expired (to be discarded), first expiry first."""
    clinic, _ = _staff(request, slug, roles.VIEW_ROLES, "see the stock")
    return [
        ExpiringOut(
            lot=row.lot.pk,
            product=row.lot.product_id,
            product_name=row.lot.product.name,
            number=row.lot.number,
            expiry=row.lot.expiry,
            on_hand=row.on_hand,
            days_left=row.days_left,
            expired=row.expired,
        )
        for row in expiring(clinic, clinic.today(), filters.days)
    ]


# -- devices and cleanings ---------------------------------------------------------------------


class CleaningOut(Schema):
    id: int
    device: int
    cleaned_at: datetime
    method: str
    cycle: str
    notes: str
    by: str
    recorded_at: datetime
    charts: list[int] | None = Field(
        None,
        description="The sessions charted with this cleaning: for staff who may read records.",
    )


def _cleaning_out(cleaning: DeviceCleaning, charts: list[int] | None) -> CleaningOut:
    return CleaningOut(
        id=cleaning.pk,
        device=cleaning.device_id,
        cleaned_at=cleaning.cleaned_at,
        method=cleaning.method,
        cycle=cleaning.cycle,
        notes=cleaning.notes,
        by=_name(cleaning.by),
        recorded_at=cleaning.recorded_at,
        charts=charts,
    )


class DeviceOut(Schema):
    id: int
    name: str
    kind: str
    serial_number: str
    last_cleaning: CleaningOut | None


@router.get("/clinics/{slug}/devices", response={200: list[DeviceOut]}, auth=django_auth)
def list_devices(request: HttpRequest, slug: str) -> list[DeviceOut]:
    """The clinic's devices, each with its last recorded cleaning (None:
    it may not be used)."""
    clinic, _ = _staff(request, slug, roles.VIEW_ROLES, "see the devices")
    found = []
    for device in Device.objects.filter(clinic=clinic).order_by("name"):
        last = device.cleanings.select_related("by").order_by("-cleaned_at", "-pk").first()  # type: ignore[attr-defined]
        found.append(
            DeviceOut(
                id=device.pk,
                name=device.name,
                kind=device.kind,
                serial_number=device.serial_number,
                last_cleaning=_cleaning_out(last, None) if last else None,
            )
        )
    return found


def _device(clinic: Clinic, device_id: int) -> Device:
    device = Device.objects.filter(clinic=clinic, pk=device_id).first()
    if device is None:
        raise ApiError(404, "There is no such device at this clinic.", "device_id")
    return device


@router.get(
    "/clinics/{slug}/devices/{device_id}/cleanings",
    response={200: list[CleaningOut]},
    auth=django_auth,
)
def list_cleanings(request: HttpRequest, slug: str, device_id: int) -> list[CleaningOut]:
    """The device's cleaning log, latest first, with the sessions that used each cleaning."""
    clinic, member = _staff(request, slug, roles.VIEW_ROLES, "see the devices")
    device = _device(clinic, device_id)
    cleanings = list(device.cleanings.select_related("by").order_by("-cleaned_at", "-pk"))  # type: ignore[attr-defined]
    records = member.role in CLINICAL_READ_ROLES
    charts: dict[int, list[int]] = {c.pk: [] for c in cleanings}
    if records:
        used = SessionChart.objects.filter(device_cleaning__in=cleanings).order_by("pk")
        for chart_id, cleaning_id in used.values_list("pk", "device_cleaning_id"):
            charts[cleaning_id].append(chart_id)
    return [_cleaning_out(c, charts[c.pk] if records else None) for c in cleanings]


class CleaningIn(_In):
    cleaned_at: datetime | None = Field(None, description="With its time zone; now if left out.")
    method: Literal["autoclave", "chemical", "single_use"]
    cycle: StrictStr = Field("", max_length=80, description="Steriliser cycle or batch.")
    notes: StrictStr = ""


@router.post(
    "/clinics/{slug}/devices/{device_id}/cleanings",
    response={201: CleaningOut},
    auth=django_auth,
)
def create_cleaning(request: HttpRequest, slug: str, device_id: int, payload: CleaningIn) -> Status:
    """Record a cleaning (practitioners, managers): 422 for a time in the
    future, without a time zone, or not after the device's last recorded
    cleaning."""
    clinic, _ = _staff(request, slug, roles.CLEANING_ROLES, "record cleanings")
    device = _device(clinic, device_id)
    try:
        cleaning = record_cleaning(
            clinic,
            device,
            cleaned_at=payload.cleaned_at,
            method=payload.method,
            cycle=payload.cycle,
            notes=payload.notes,
            by=request.user,
        )
    except StockError as error:
        raise _error(error) from None
    return Status(201, _cleaning_out(cleaning, []))
