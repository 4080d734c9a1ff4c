"""What the clinic has on hand, lot by lot, and how it changes.

What is on hand of a lot is the sum of its movements (StockMovement):
nothing stores a running balance that could drift from them. Stock comes
in by ``receive`` (a delivery), goes out by charting a session
(``take_for_chart``, called by clinical.charting inside the chart's own
transaction) and by ``record_movement`` (waste, a return to the supplier,
a count correction). Movements are never edited: a correction is a new
movement.

Amounts are in the product's unit. A chart records volumes in ml, so only
products counted in ml are taken out of stock by charting; a cream counted
in grams or a product counted in vials is taken out by hand (waste or a
count correction), since a volume injected says nothing about them.

Suggestions and lists for the stock pages and the chart's lot choice:
``suggest_lot`` (first expiry, first out), ``low_stock``, ``expiring``.
Refusals raise StockError naming the field.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import DecimalField, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from clinics.models import Clinic
from core.charting import Issue
from mesoclinic.catalog import get_catalog
from stock.models import Lot, MovementKind, Product, StockMovement

if TYPE_CHECKING:
    from clinical.models import SessionChart

ZERO = Decimal("0.000")
# Stock taken out by charting: the chart's volumes are in ml.
CHARTED_UNIT = "ml"
UNITS = ("ml", "g", "vial", "unit")
# The soon-to-expire list looks this many days ahead unless told otherwise.
EXPIRING_DAYS = 60
COUNTERFEIT_WARNING = (
    "Bought from a supplier the maker does not authorise. Beware of counterfeit "
    "products: check that the brand is genuine before use."
)


class StockError(Exception):
    """A refusal naming the field (``quantity``, ``expiry``...)."""

    def __init__(self, field: str, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.status = status


def amount(quantity: Decimal) -> str:
    """``quantity`` without trailing zeros: 2.500 -> "2.5", 10.000 -> "10"."""
    text = format(quantity.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def parse_quantity(
    value: Any, field: str = "quantity", signed: bool = False, zero: bool = False
) -> Decimal:
    """A positive amount with at most 3 decimal places (any sign but 0 when
    ``signed``; 0 too when ``zero``), as the movement column stores it."""
    if isinstance(value, bool) or value is None or value == "":
        raise StockError(field, "Enter the quantity.")
    try:
        quantity = Decimal(str(value).strip())
    except InvalidOperation:
        raise StockError(field, "Enter a number.") from None
    if not quantity.is_finite():
        raise StockError(field, "Enter a number.")
    exponent = quantity.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -3:
        raise StockError(field, "Enter a quantity with at most 3 decimal places.")
    if abs(quantity) >= Decimal(10) ** 7:
        raise StockError(field, "This quantity is too large.")
    if (quantity == 0 and not zero) or (quantity < 0 and not signed):
        if signed:
            raise StockError(field, "Enter a change other than 0.")
        raise StockError(field, "Enter 0 or more." if zero else "Enter a quantity above 0.")
    return quantity.quantize(Decimal("0.001"))


# -- what is on hand ------------------------------------------------------------------------


def _sum(field: str = "movements__quantity") -> Coalesce:
    return Coalesce(
        Sum(field), Value(ZERO), output_field=DecimalField(max_digits=12, decimal_places=3)
    )


def with_on_hand(lots: QuerySet[Lot]) -> QuerySet[Lot]:
    """``lots`` annotated with ``on_hand``: the sum of their movements (one
    aggregate query)."""
    return lots.annotate(on_hand=_sum())


def on_hand(lot: Lot) -> Decimal:
    """What is on hand of ``lot``: one query."""
    found = StockMovement.objects.filter(lot=lot).aggregate(total=_sum("quantity"))["total"]
    return Decimal(found).quantize(ZERO)


def on_hand_by_lot(lot_ids: Iterable[int]) -> dict[int, Decimal]:
    """On hand of each lot in ``lot_ids`` (0 for a lot without movements): one query."""
    ids = list(lot_ids)
    totals = {lot_id: ZERO for lot_id in ids}
    rows = (
        StockMovement.objects.filter(lot_id__in=ids)
        .values("lot_id")
        .annotate(total=_sum("quantity"))
        .values_list("lot_id", "total")
    )
    for lot_id, total in rows:
        totals[lot_id] = Decimal(total).quantize(ZERO)
    return totals


def usable_lots(clinic: Clinic | int, day: date) -> QuerySet[Lot]:
    """The clinic's lots usable on ``day`` (not recalled, not past expiry),
    first expiry first."""
    clinic_id = clinic if isinstance(clinic, int) else clinic.pk
    return Lot.objects.filter(
        product__clinic_id=clinic_id, recalled_at__isnull=True, expiry__gte=day
    ).order_by("expiry", "number", "pk")


def suggest_lot(product: Product, day: date) -> Lot | None:
    """First expiry, first out: of ``product``'s lots usable on ``day``,
    the one with stock on hand that expires first. None when no usable lot
    has recorded stock."""
    lots = with_on_hand(usable_lots(product.clinic_id, day).filter(product=product))
    return lots.filter(on_hand__gt=0).first()


@dataclass(frozen=True)
class LowStock:
    product: Product
    on_hand: Decimal  # in usable lots
    reorder_level: Decimal


def low_stock(clinic: Clinic, day: date) -> list[LowStock]:
    """The clinic's active products with a reorder level whose stock in
    lots usable on ``day`` is at or below it, by name. Expired and recalled
    stock does not count: it cannot be injected."""
    products = list(
        Product.objects.filter(clinic=clinic, active=True, reorder_level__gt=0).order_by(
            "name", "pk"
        )
    )
    usable = (
        usable_lots(clinic, day)
        .filter(product__in=products)
        # No ordering: it would split the groups by lot.
        .order_by()
        .values("product_id")
        .annotate(total=_sum())
        .values_list("product_id", "total")
    )
    totals = {product_id: Decimal(total) for product_id, total in usable}
    found = []
    for product in products:
        total = totals.get(product.pk, ZERO).quantize(ZERO)
        if total <= product.reorder_level:
            found.append(LowStock(product, total, product.reorder_level))
    return found


@dataclass(frozen=True)
class Expiring:
    lot: Lot
    on_hand: Decimal
    days_left: int  # negative: expired that many days ago

    @property
    def expired(self) -> bool:
        return self.days_left < 0


def expiring(clinic: Clinic, day: date, days: int = EXPIRING_DAYS) -> list[Expiring]:
    """Lots still holding stock that expire within ``days`` of ``day``, and
    those already expired (to be discarded), first expiry first. Recalled
    lots are listed by the recall, not here."""
    lots = with_on_hand(
        Lot.objects.filter(
            product__clinic=clinic,
            recalled_at__isnull=True,
            expiry__lte=day + timedelta(days=days),
        ).select_related("product")
    ).filter(on_hand__gt=0)
    return [
        Expiring(lot, Decimal(lot.on_hand).quantize(ZERO), (lot.expiry - day).days)  # type: ignore[attr-defined]
        for lot in lots.order_by("expiry", "number", "pk")
    ]


def recalled_with_stock(clinic: Clinic) -> list[Lot]:
    """Recalled lots still holding stock (annotated ``on_hand``): to be returned or destroyed."""
    lots = with_on_hand(
        Lot.objects.filter(product__clinic=clinic, recalled_at__isnull=False).select_related(
            "product"
        )
    )
    return list(lots.filter(on_hand__gt=0).order_by("expiry", "number"))


# -- products -------------------------------------------------------------------------------


def check_actives(actives: Any, field: str = "actives") -> list[str]:
    """``actives`` as a list of catalog active keys, each once; StockError
    naming ``field`` for anything else."""
    if not isinstance(actives, list | tuple) or not all(isinstance(a, str) for a in actives):
        raise StockError(field, "Give a list of active ingredients.")
    known = get_catalog().actives
    unknown = [a for a in actives if a not in known]
    if unknown:
        raise StockError(field, f"Unknown active ingredient: {', '.join(unknown)}.")
    return list(dict.fromkeys(actives))


def save_product(
    clinic: Clinic, values: dict[str, Any], by: Any, product: Product | None = None
) -> Product:
    """Create a product of ``clinic`` (``product`` None) or change
    ``product``: ``values`` holds any of name, brand, supplier,
    authorised_supplier, actives, unit, reorder_level, active. Raises
    StockError naming the field."""
    values = dict(values)
    if "actives" in values:
        values["actives"] = check_actives(values["actives"])
    for name in ("name", "brand", "supplier"):
        if name in values:
            values[name] = (values[name] or "").strip()
            limit = Product._meta.get_field(name).max_length
            if limit and len(values[name]) > limit:
                raise StockError(name, f"At most {limit} characters.")
    if product is None and not values.get("name"):
        raise StockError("name", "Give the product's name.")
    if "name" in values and not values["name"]:
        raise StockError("name", "Give the product's name.")
    if "unit" in values and values["unit"] not in UNITS:
        raise StockError("unit", f"Choose one of: {', '.join(UNITS)}.")
    if "reorder_level" in values:
        level = values["reorder_level"]
        values["reorder_level"] = (
            ZERO if level in (None, "") else parse_quantity(level, "reorder_level", zero=True)
        )
    changes_unit = product is not None and values.get("unit", product.unit) != product.unit
    if changes_unit and StockMovement.objects.filter(lot__product=product).exists():
        raise StockError(
            "unit", "This product already has stock movements in its unit; it cannot change."
        )
    with transaction.atomic():
        if product is None:
            product = Product(clinic=clinic)
            reason = "Product added"
        else:
            product = Product.objects.select_for_update().get(pk=product.pk)
            reason = "Product edited"
        for name, value in values.items():
            setattr(product, name, value)
        taken = Product.objects.filter(clinic=clinic, name__iexact=product.name).exclude(
            pk=product.pk
        )
        if taken.exists():
            raise StockError("name", "The clinic already has a product of this name.")
        product._history_user = by  # type: ignore[attr-defined]
        product._change_reason = reason  # type: ignore[attr-defined]
        try:
            with transaction.atomic():
                product.save()
        except IntegrityError:
            raise StockError("name", "The clinic already has a product of this name.") from None
    return product


# -- movements ------------------------------------------------------------------------------


def _product_of(clinic: Clinic, product: Product | int) -> Product:
    product_id = product.pk if isinstance(product, Product) else product
    found = Product.objects.filter(clinic=clinic, pk=product_id).first()
    if found is None:
        raise StockError("product", "Choose one of this clinic's products.")
    return found


def receive(
    clinic: Clinic,
    *,
    product: Product | int,
    number: str,
    expiry: date | None,
    quantity: Any,
    by: Any,
    received_on: date | None = None,
    note: str = "",
) -> StockMovement:
    """Record a delivery of ``quantity`` of lot ``number`` of ``product``:
    the lot is made if the product has none of this number. Returns the
    "received" movement. Raises StockError naming the field: an expiry
    already past, no quantity, a delivery dated in the future, a lot number
    known with another expiry, a recalled lot."""
    found = _product_of(clinic, product)
    number = (number or "").strip()
    if not number:
        raise StockError("number", "Give the lot number printed on the product.")
    if len(number) > Lot._meta.get_field("number").max_length:  # type: ignore[operator]
        raise StockError("number", "This lot number is too long.")
    today = clinic.today()
    if expiry is None:
        raise StockError("expiry", "Give the expiry date printed on the product.")
    if expiry < today:
        raise StockError(
            "expiry",
            f"This lot expired on {expiry.isoformat()}; expired stock may not be received.",
        )
    received_on = received_on or today
    if received_on > today:
        raise StockError("received_on", "A delivery is recorded on its day or after.")
    quantity = parse_quantity(quantity)
    note = (note or "").strip()
    if len(note) > 200:
        raise StockError("note", "At most 200 characters.")
    with transaction.atomic():
        lot = _lot_for_delivery(found, number, expiry, received_on, by)
        if lot.expiry != expiry:
            raise StockError(
                "expiry",
                f"Lot {number} of this product is recorded as expiring on "
                f"{lot.expiry.isoformat()}; check the date printed on the product.",
            )
        if lot.recalled_at is not None:
            raise StockError("number", f"Lot {number} was recalled; it may not be stocked.")
        return StockMovement.objects.create(
            clinic=clinic,
            lot=lot,
            kind=MovementKind.RECEIVED,
            quantity=quantity,
            note=note,
            by=by,
            at=timezone.now(),
        )


def _lot_for_delivery(
    product: Product, number: str, expiry: date, received_on: date, by: Any
) -> Lot:
    """The product's lot ``number``, locked; made when new."""
    found = Lot.objects.select_for_update().filter(product=product, number=number).first()
    if found is not None:
        return found
    lot = Lot(product=product, number=number, expiry=expiry, received_on=received_on)
    lot._history_user = by  # type: ignore[attr-defined]
    lot._change_reason = "Lot received"  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            lot.save()
    except IntegrityError:
        # The same lot received at the same moment at another desk.
        return Lot.objects.select_for_update().get(product=product, number=number)
    return lot


# The kinds recorded by hand; "received" has its own form, "used" is charting's.
MANUAL_KINDS = (MovementKind.WASTED, MovementKind.RETURNED, MovementKind.ADJUSTED)


def record_movement(
    clinic: Clinic,
    lot: Lot | int,
    *,
    kind: str,
    quantity: Any,
    by: Any,
    note: str = "",
) -> StockMovement:
    """Take stock of ``lot`` out (waste or a return: ``quantity`` is the
    positive amount taken out) or correct its count (an adjustment:
    ``quantity`` is the signed change, with the reason in ``note``). No
    more can go out than is on hand. Raises StockError naming the field."""
    if kind not in MANUAL_KINDS:
        raise StockError("kind", "Choose waste, a return to the supplier or a count correction.")
    signed = kind == MovementKind.ADJUSTED
    change = parse_quantity(quantity, signed=signed)
    if not signed:
        change = -change
    note = (note or "").strip()
    if signed and not note:
        raise StockError("note", "Give the reason for the correction.")
    if len(note) > 200:
        raise StockError("note", "At most 200 characters.")
    lot_id = lot.pk if isinstance(lot, Lot) else lot
    with transaction.atomic():
        found = (
            Lot.objects.select_for_update()
            .filter(product__clinic=clinic, pk=lot_id)
            .select_related("product")
            .first()
        )
        if found is None:
            raise StockError("lot", "Choose one of this clinic's lots.", status=404)
        have = on_hand(found)
        if have + change < 0:
            raise StockError(
                "quantity",
                f"Only {amount(have)} {found.product.unit} of lot {found.number} is on hand.",
            )
        return StockMovement.objects.create(
            clinic=clinic,
            lot=found,
            kind=kind,
            quantity=change,
            note=note,
            by=by,
            at=timezone.now(),
        )


# -- charting -------------------------------------------------------------------------------


def _lock(lot_ids: Iterable[int]) -> dict[int, Lot]:
    # A fixed order, so that two charts taking the same lots never deadlock.
    lots = Lot.objects.select_for_update().filter(pk__in=set(lot_ids)).order_by("pk")
    return {lot.pk: lot for lot in lots.select_related("product")}


def take_for_chart(chart: SessionChart, by: Any, at: datetime | None = None) -> list[Issue]:
    """Write the "used" movement of each lot charted on ``chart`` (minus
    the total volume of its points), for products counted in ml. Call it
    inside the chart's transaction, after its points are saved. Never
    refuses: what was injected is recorded first. Returns a warning for
    each lot whose recorded stock did not cover what was charted."""
    at = at or timezone.now()
    used: dict[int, Decimal] = defaultdict(lambda: ZERO)
    first_point: dict[int, int] = {}
    for index, (lot_id, volume) in enumerate(
        chart.points.order_by("pk").values_list("lot_id", "volume_ml")
    ):
        used[lot_id] += Decimal(volume)
        first_point.setdefault(lot_id, index)
    lots = _lock(used)
    before = on_hand_by_lot(used)
    warnings = []
    for lot_id, total in used.items():
        lot = lots[lot_id]
        if lot.product.unit != CHARTED_UNIT:
            continue
        StockMovement.objects.create(
            clinic_id=chart.clinic_id,
            lot=lot,
            kind=MovementKind.USED,
            quantity=-total,
            chart=chart,
            note=f"Session {chart.session_number}",
            by=by,
            at=at,
        )
        warning = _shortfall(lot, before[lot_id], total, first_point[lot_id])
        if warning:
            warnings.append(warning)
    return warnings


def _shortfall(lot: Lot, before: Decimal, used: Decimal, index: int) -> Issue | None:
    if before >= used:
        return None
    field = f"points.{index}.lot"
    if before <= 0:
        return Issue(
            field,
            "no_recorded_stock",
            f"Lot {lot.number} has no recorded stock left: record its delivery, or correct "
            "the count.",
        )
    return Issue(
        field,
        "stock_short",
        f"Lot {lot.number} had {amount(before)} ml recorded; this session used "
        f"{amount(used)} ml: check the count.",
    )


def reconcile_chart(
    chart: SessionChart, lot_ids: Iterable[int], by: Any, reason: str
) -> list[StockMovement]:
    """After an amended point (its lot or volume): bring what ``chart``
    took from each of ``lot_ids`` in line with its points now, by a
    compensating "adjusted" movement with the chart (movements already
    written never change). A chart that took nothing from stock (charted
    before stock was kept) is left as it was. Call it inside the
    amendment's transaction."""
    if not StockMovement.objects.filter(chart=chart).exists():
        return []
    lots = _lock(lot_ids)
    charted: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for lot_id, volume in chart.points.filter(lot_id__in=lots).values_list("lot_id", "volume_ml"):
        charted[lot_id] += Decimal(volume)
    taken: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for lot_id, quantity in StockMovement.objects.filter(chart=chart, lot_id__in=lots).values_list(
        "lot_id", "quantity"
    ):
        taken[lot_id] -= Decimal(quantity)
    written = []
    for lot_id, lot in lots.items():
        change = taken[lot_id] - charted[lot_id]
        if change == 0 or lot.product.unit != CHARTED_UNIT:
            continue
        written.append(
            StockMovement.objects.create(
                clinic_id=chart.clinic_id,
                lot=lot,
                kind=MovementKind.ADJUSTED,
                quantity=change,
                chart=chart,
                note=f"Chart amended: {reason}"[:200],
                by=by,
                at=timezone.now(),
            )
        )
    return written


def chart_stock_warnings(chart: SessionChart) -> list[Issue]:
    """For a stored chart: each lot whose recorded stock did not cover
    what the chart took from it, as it stood when the chart took it (the
    movements written before, by id). Two queries plus one per such lot."""
    taken: dict[int, Decimal] = defaultdict(lambda: ZERO)
    last: dict[int, int] = {}
    for lot_id, pk, quantity in StockMovement.objects.filter(chart=chart).values_list(
        "lot_id", "pk", "quantity"
    ):
        taken[lot_id] -= Decimal(quantity)
        last[lot_id] = max(last.get(lot_id, 0), pk)
    if not taken:
        return []
    first_point: dict[int, int] = {}
    for index, lot_id in enumerate(chart.points.order_by("pk").values_list("lot_id", flat=True)):
        first_point.setdefault(lot_id, index)
    lots = Lot.objects.in_bulk(taken)
    warnings = []
    for lot_id, total in taken.items():
        if total <= 0:
            continue
        after = StockMovement.objects.filter(lot_id=lot_id, pk__lte=last[lot_id]).aggregate(
            total=_sum("quantity")
        )["total"]
        warning = _shortfall(
            lots[lot_id], Decimal(after) + total, total, first_point.get(lot_id, 0)
        )
        if warning:
            warnings.append(warning)
    return warnings
