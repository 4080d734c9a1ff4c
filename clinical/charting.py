"""Charting a session, and amending a chart afterwards.

``chart_session`` writes a chart and its injection points in one
transaction, only when the session may go ahead (clinical.gates: a valid
consent, a check-in screening that does not stop it, an open course) and
the core finds nothing wrong with what was injected (core.charting: lots
usable on the session day, the clinic's own products, points on the
drawing). It records the consent and the screening that allowed it, makes
a planned course active, and completes a checked-in appointment.

A chart takes what it used out of stock (stock.stock.take_for_chart: one
"used" movement per lot, in the same transaction) and never waits for the
stock record: a lot without recorded stock is a warning, not a refusal. A
session with a device needs the device's last cleaning recorded before the
session starts (stock.cleaning); the chart keeps that cleaning. One cleaning
serving several sessions is a warning: the practitioner judges.

A written chart never changes silently: ``amend_chart`` and ``amend_point``
go through clinical.amend (an Amendment with who, when and why, and the
row's history), after the same checks as when it was charted; an amended
lot or volume writes compensating stock movements, and an amended device
brings its own last cleaning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinical import gates
from clinical.amend import AmendmentError, amend
from clinical.models import Amendment, InjectionPoint, SessionChart, TreatmentCourse
from clinics.models import Device, StaffMember
from core import charting as core
from mesoclinic.catalog import get_catalog
from scheduling.models import Appointment
from scheduling.models import Status as AppointmentStatus
from stock import stock
from stock.cleaning import cleaning_before, no_cleaning_message, reuse_warning
from stock.models import DeviceCleaning, Lot, Product


class ChartError(Exception):
    """A refusal naming the field; ``issues`` holds every error found (the
    first is the one named), for a page that shows them all."""

    def __init__(
        self,
        status: int,
        code: str,
        field: str,
        message: str,
        issues: list[core.Issue] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.field = field
        self.message = message
        self.issues = list(issues or []) or [core.Issue(field, code, message)]


@dataclass
class ChartValues:
    """What the practitioner enters about the session as a whole. ``area``
    None: the course's first area. ``performed_on`` None: the appointment's
    day, else today at the clinic."""

    technique: str
    depth: str
    procedure_minutes: int
    area: str | None = None
    device_id: int | None = None
    needle_gauge: int | None = None
    needle_length_mm: Decimal | None = None
    numbing: str = ""
    numbing_minutes: int = 0
    immediate_reactions: str = ""
    notes: str = ""
    performed_on: date | None = None


@dataclass
class PointValues:
    diagram: str
    x: float
    y: float
    product_id: int | None
    lot_id: int | None
    volume_ml: Decimal
    depth_mm: Decimal
    zone: str = ""


@dataclass
class Charted:
    chart: SessionChart
    warnings: list[core.Issue] = field(default_factory=list)


def _lot_facts(lot: Lot | None) -> core.LotFacts | None:
    if lot is None:
        return None
    return core.LotFacts(lot.number, lot.product_id, lot.expiry, lot.recalled_at is not None)


def _point_draft(
    point: PointValues, products: dict[int, Product], lots: dict[int, Lot]
) -> core.PointDraft:
    product = products.get(point.product_id) if point.product_id is not None else None
    lot = lots.get(point.lot_id) if point.lot_id is not None else None
    return core.PointDraft(
        diagram=point.diagram,
        x=point.x,
        y=point.y,
        product_id=product.pk if product else None,
        product_clinic_id=product.clinic_id if product else None,
        lot=_lot_facts(lot),
        volume_ml=point.volume_ml,
        depth_mm=point.depth_mm,
        zone=point.zone,
    )


def session_day(course: TreatmentCourse, appointment: Appointment | None) -> date:
    """The session's day at the clinic: the appointment's, else today."""
    if appointment is not None:
        return appointment.starts_at.astimezone(ZoneInfo(course.clinic.time_zone)).date()
    return course.clinic.today()


def _refuse(issue: core.Issue, issues: list[core.Issue] | None = None, status: int = 422) -> None:
    raise ChartError(status, issue.code, issue.field, issue.message, issues or [issue])


def _check_device(clinic_id: int, technique: str, device_id: int | None) -> Device | None:
    device = None
    if device_id is not None:
        device = Device.objects.filter(clinic_id=clinic_id, pk=device_id).first()
        if device is None:
            _refuse(core.Issue("device", "no_device", "Choose one of this clinic's devices."))
    kind = core.device_kind(get_catalog(), technique)
    if kind is not None:
        if device is None:
            _refuse(
                core.Issue(
                    "device", "device_needed", "This technique needs its device: choose which."
                )
            )
        elif device.kind != kind:
            _refuse(
                core.Issue(
                    "device",
                    "wrong_device",
                    f"{device.name} is a {device.get_kind_display().lower()}; this technique "
                    "needs another kind of device.",
                )
            )
    return device


def _check_cleaning(device: Device | None, start: datetime) -> DeviceCleaning | None:
    """The device's last cleaning before the session starts; refused when
    none is recorded."""
    if device is None:
        return None
    cleaning = cleaning_before(device, start)
    if cleaning is None:
        _refuse(core.Issue("device", "device_not_cleaned", no_cleaning_message(device)))
    elif cleaning.recalls.exists():
        # A recalled cleaning (tap water, a failed steriliser cycle) is no
        # cleaning: the device must be cleaned again before the next patient.
        _refuse(
            core.Issue(
                "device",
                "cleaning_recalled",
                f"The last recorded cleaning of {device.name} has been recalled: "
                "clean it again, and record that cleaning, before using it.",
            )
        )
    return cleaning


def session_start(appointment: Appointment | None) -> datetime:
    """When the session started: its appointment's start, else now."""
    return appointment.starts_at if appointment is not None else timezone.now()


def session_end(chart: SessionChart) -> datetime:
    """When a charted session ended: its appointment's start plus the
    numbing and procedure minutes charted; for a session charted without an
    appointment, when it was charted. The aftercare's times, the follow-ups
    and the triage of a reported effect all count from here."""
    appointment = chart.appointment
    if appointment is None:
        return chart.charted_at
    minutes = (chart.numbing_minutes or 0) + (chart.procedure_minutes or 0)
    return appointment.starts_at + timedelta(minutes=minutes)


def chart_actives(chart: SessionChart) -> tuple[str, ...]:
    """The actives of a session: the protocol's, then those of the products
    injected that the protocol does not name, in order of first appearance.
    The aftercare sheet and the triage of a reported effect both use them.
    One query."""
    protocol = get_catalog().protocols.get(chart.course.protocol)
    found: list[str] = list(protocol.actives) if protocol else []
    for actives in chart.points.order_by("pk").values_list("product__actives", flat=True):
        found.extend(a for a in actives or [] if isinstance(a, str))
    return tuple(dict.fromkeys(found))


def _check_appointment(
    course: TreatmentCourse, appointment: Appointment | None, session_number: int | None
) -> int:
    if appointment is not None:
        if (
            appointment.clinic_id != course.clinic_id
            or appointment.patient_id != course.patient_id
            or (course.booking_id is not None and appointment.course_id != course.booking_id)
        ):
            _refuse(
                core.Issue(
                    "appointment", "wrong_appointment", "This appointment is not of this course."
                )
            )
        if appointment.status in (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW):
            _refuse(
                core.Issue(
                    "appointment",
                    "appointment_closed",
                    f"This appointment is {appointment.get_status_display().lower()}; "
                    "no session took place in it.",
                )
            )
        if SessionChart.objects.filter(appointment=appointment).exists():
            _refuse(
                core.Issue(
                    "appointment", "already_charted", "This appointment is already charted."
                ),
                status=409,
            )
        if session_number is None:
            session_number = appointment.session_number
        elif appointment.session_number not in (None, session_number):
            _refuse(
                core.Issue(
                    "session_number",
                    "wrong_session",
                    f"This appointment is session {appointment.session_number} of the course.",
                )
            )
    if session_number is None:
        _refuse(core.Issue("session_number", "no_session", "Give the session's number."))
        raise AssertionError("unreachable")
    if not 1 <= session_number <= course.sessions:
        _refuse(
            core.Issue(
                "session_number",
                "session_outside_course",
                f"This course has sessions 1 to {course.sessions}.",
            )
        )
    return session_number


def _validated(row: Any, prefix: str = "", exclude: list[str] | None = None) -> None:
    """Django's own field checks (digits of a decimal, lengths), named."""
    try:
        row.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        name, messages = next(iter(error.message_dict.items()))
        _refuse(core.Issue(f"{prefix}{name}", "invalid", " ".join(messages)))


def _mark_active(course: TreatmentCourse, by: Any) -> None:
    # The course's own module owns its status changes (planned -> active).
    from clinical.courses import mark_active

    mark_active(course, by)


def _complete(appointment: Appointment, session_number: int, by: Any) -> None:
    if appointment.status not in (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN):
        return
    appointment.status = AppointmentStatus.COMPLETED
    appointment._change_reason = f"Session {session_number} charted"  # type: ignore[attr-defined]
    appointment._history_user = by  # type: ignore[attr-defined]
    appointment.save()


def chart_session(
    course: TreatmentCourse,
    appointment: Appointment | None,
    session_number: int | None,
    values: ChartValues,
    points: list[PointValues],
    by: Any,
) -> Charted:
    """Chart session ``session_number`` of ``course`` (None: the
    appointment's) as done by ``by``, a practitioner of the course's clinic.
    Raises ChartError: 422 when the session may not be charted or the chart
    is wrong (naming the field), 409 when this session or appointment is
    already charted. Nothing is written on a refusal."""
    catalog = get_catalog()
    try:
        with transaction.atomic():
            # Locking the course makes two charts of one session queue up
            # here; the unique constraint answers the second.
            course = (
                TreatmentCourse.objects.select_for_update()
                .select_related("clinic")
                .get(pk=course.pk)
            )
            if appointment is not None:
                appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
            number = _check_appointment(course, appointment, session_number)
            today = course.clinic.today()
            day = session_day(course, appointment)
            if appointment is None and values.performed_on is not None:
                day = values.performed_on
            if day > today:
                _refuse(
                    core.Issue(
                        "performed_on",
                        "in_the_future",
                        "A session is charted on its day or after, not before.",
                    )
                )
            blockers = gates.session_blockers(course, appointment, day)
            if blockers:
                issues = [core.Issue(b.field, b.code, b.message) for b in blockers]
                _refuse(issues[0], issues)
            if SessionChart.objects.filter(course=course, session_number=number).exists():
                _refuse(
                    core.Issue(
                        "session_number",
                        "already_charted",
                        f"Session {number} of this course is already charted.",
                    ),
                    status=409,
                )
            area = values.area or course.areas[0]
            if area not in course.areas:
                _refuse(core.Issue("area", "not_course_area", "Choose one of the course's areas."))
            product_ids = {p.product_id for p in points if p.product_id is not None}
            lot_ids = {p.lot_id for p in points if p.lot_id is not None}
            products = Product.objects.in_bulk(product_ids)
            lots = Lot.objects.in_bulk(lot_ids)
            draft = core.ChartDraft(
                clinic_id=course.clinic_id,
                day=day,
                area=area,
                protocol=course.protocol,
                technique=values.technique,
                depth=values.depth,
                needle_gauge=values.needle_gauge,
                needle_length_mm=values.needle_length_mm,
                numbing_minutes=values.numbing_minutes,
                procedure_minutes=values.procedure_minutes,
                points=tuple(_point_draft(p, products, lots) for p in points),
            )
            check = core.check_chart(catalog, draft)
            if check.errors:
                _refuse(check.errors[0], list(check.errors))
            device = _check_device(course.clinic_id, values.technique, values.device_id)
            cleaning = _check_cleaning(device, session_start(appointment))
            member = StaffMember.objects.get(clinic=course.clinic, user=by)
            consent = gates.valid_consent(course)
            screening = gates.session_screening(course, appointment, day)
            assert consent is not None and screening is not None  # no blockers
            chart = SessionChart(
                clinic=course.clinic,
                patient_id=course.patient_id,
                course=course,
                appointment=appointment,
                session_number=number,
                practitioner=member,
                consent=consent,
                screening=screening,
                area=area,
                technique=values.technique,
                device=device,
                device_cleaning=cleaning,
                needle_gauge=values.needle_gauge,
                needle_length_mm=values.needle_length_mm,
                depth=values.depth,
                numbing=values.numbing.strip(),
                numbing_minutes=values.numbing_minutes,
                procedure_minutes=values.procedure_minutes,
                immediate_reactions=values.immediate_reactions.strip(),
                notes=values.notes.strip(),
                performed_on=day,
                charted_by=by,
                charted_at=timezone.now(),
            )
            _validated(chart)
            chart._change_reason = f"Session {number} charted"  # type: ignore[attr-defined]
            chart.save()
            rows = []
            for index, point in enumerate(points):
                row = InjectionPoint(
                    clinic=course.clinic,
                    chart=chart,
                    diagram=point.diagram,
                    x=point.x,
                    y=point.y,
                    zone=point.zone.strip(),
                    product=products[point.product_id],  # type: ignore[index]
                    lot=lots[point.lot_id],  # type: ignore[index]
                    volume_ml=point.volume_ml,
                    depth_mm=point.depth_mm,
                )
                _validated(row, f"points.{index}.", exclude=["chart"])
                rows.append(row)
            for row in rows:
                row.save()
            warnings = list(check.warnings) + stock.take_for_chart(chart, by)
            reused = reuse_warning(chart)
            if reused is not None:
                warnings.append(reused)
            _mark_active(course, by)
            if appointment is not None:
                _complete(appointment, number, by)
            return Charted(chart, warnings)
    except IntegrityError:
        # Another practitioner charted the same session at the same moment.
        raise ChartError(
            409,
            "already_charted",
            "session_number",
            "This session has just been charted by someone else.",
        ) from None


# -- usable stock, for the pages and the API ---------------------------------------------


def usable_products(clinic_id: int, day: date) -> list[dict[str, Any]]:
    """The clinic's active products, each with its lots usable on ``day``
    (not recalled, not past expiry), first expiry first, for the map's
    selects. Each lot has its recorded ``on_hand`` (a string, in the
    product's unit) and ``suggested``: the lot to use first (the first
    expiry with stock on hand, stock.suggest_lot), at most one per product.
    A product from a supplier the maker does not authorise has a
    ``warning``. Two queries."""
    lots = stock.with_on_hand(
        stock.usable_lots(clinic_id, day).filter(product__active=True)
    ).values("id", "product_id", "number", "expiry", "on_hand")
    by_product: dict[int, list[dict[str, Any]]] = {}
    for lot in lots:
        found = by_product.setdefault(lot["product_id"], [])
        have = Decimal(lot["on_hand"])
        found.append(
            {
                "id": lot["id"],
                "number": lot["number"],
                "expiry": lot["expiry"].isoformat(),
                "on_hand": stock.amount(have),
                # The same order as stock.suggest_lot: the first with stock.
                "suggested": have > 0 and not any(other["suggested"] for other in found),
            }
        )
    return [
        {
            "id": p.pk,
            "name": str(p),
            "unit": p.unit,
            "authorised_supplier": p.authorised_supplier,
            "warning": "" if p.authorised_supplier else stock.COUNTERFEIT_WARNING,
            "lots": by_product.get(p.pk, []),
        }
        for p in Product.objects.filter(clinic_id=clinic_id, active=True).order_by("name")
    ]


# -- reading a chart back ------------------------------------------------------------------


def chart_check(chart: SessionChart) -> core.ChartCheck:
    """The core's verdict on a stored chart, as on its day (warnings to show;
    errors only for a chart written before a rule existed)."""
    points = list(chart.points.select_related("product", "lot"))
    draft = core.ChartDraft(
        clinic_id=chart.clinic_id,
        day=chart.performed_on,
        area=chart.area,
        protocol=chart.course.protocol,
        technique=chart.technique,
        depth=chart.depth,
        needle_gauge=chart.needle_gauge,
        needle_length_mm=chart.needle_length_mm,
        numbing_minutes=chart.numbing_minutes,
        procedure_minutes=chart.procedure_minutes,
        points=tuple(
            core.PointDraft(
                diagram=p.diagram,
                x=p.x,
                y=p.y,
                product_id=p.product_id,
                product_clinic_id=p.product.clinic_id,
                lot=_lot_facts(p.lot),
                volume_ml=p.volume_ml,
                depth_mm=p.depth_mm,
                zone=p.zone,
            )
            for p in points
        ),
    )
    check = core.check_chart(get_catalog(), draft)
    return core.ChartCheck(check.errors, check.warnings + tuple(record_warnings(chart)))


def record_warnings(chart: SessionChart) -> list[core.Issue]:
    """What the chart's stock and device record point out, as when it was
    charted: a lot without enough recorded stock, a device cleaning that
    had already served another session."""
    warnings = stock.chart_stock_warnings(chart)
    reused = reuse_warning(chart)
    if reused is not None:
        warnings.append(reused)
    return warnings


# -- amendments ----------------------------------------------------------------------------


def _amend(record: Any, changes: dict[str, Any], reason: str, by: Any) -> Amendment | None:
    try:
        return amend(record, changes, reason=reason, by=by)
    except AmendmentError as error:
        raise ChartError(422, "amendment", error.field, error.message) from None
    except ValidationError as error:
        name, messages = next(iter(error.message_dict.items()))
        raise ChartError(422, "invalid", name, " ".join(messages)) from None


def _decimals(model: type[Any], changes: dict[str, Any]) -> None:
    """Decimals as the column stores them (0.1 -> 0.100), so that an
    unchanged value is not taken for a change; more places are refused."""
    for name, value in changes.items():
        field = model._meta.get_field(name)
        if value is None or getattr(field, "decimal_places", None) is None:
            continue
        try:
            value = Decimal(str(value))
        except ArithmeticError:
            _refuse(core.Issue(name, "invalid", "Enter a number."))
        places = field.decimal_places
        exponent = value.as_tuple().exponent
        if not value.is_finite() or (isinstance(exponent, int) and exponent < -places):
            _refuse(
                core.Issue(name, "invalid", f"Enter a number with at most {places} decimal places.")
            )
        changes[name] = value.quantize(Decimal(1).scaleb(-places))


def _require_reason(reason: str) -> None:
    if not reason.strip():
        _refuse(core.Issue("reason", "no_reason", "Give the reason for the amendment."))


def amend_chart(
    chart: SessionChart, changes: dict[str, Any], reason: str, by: Any
) -> Amendment | None:
    """Amend the chart's own fields (clinical.amend.AMENDABLE; ``device`` as
    a Device, an id or None). Returns None when nothing changed. Raises
    ChartError naming the field."""
    _require_reason(reason)
    catalog = get_catalog()
    changes = dict(changes)
    technique = changes.get("technique", chart.technique)
    if technique not in catalog.techniques:
        _refuse(core.Issue("technique", "unknown_technique", "Choose a technique."))
    if "depth" in changes and changes["depth"] not in catalog.depth_tiers:
        _refuse(core.Issue("depth", "unknown_depth", "Choose a depth."))
    if "device" in changes or "technique" in changes:
        device = changes.get("device", chart.device)
        device_id = device.pk if isinstance(device, Device) else device
        changes["device"] = _check_device(chart.clinic_id, technique, device_id)
    if "procedure_minutes" in changes and (
        changes["procedure_minutes"] is None or changes["procedure_minutes"] <= 0
    ):
        _refuse(
            core.Issue(
                "procedure_minutes", "no_procedure_time", "Give the procedure time in minutes."
            )
        )
    if "numbing_minutes" in changes and (
        changes["numbing_minutes"] is None or changes["numbing_minutes"] < 0
    ):
        _refuse(core.Issue("numbing_minutes", "negative_minutes", "Give the numbing minutes."))
    for name in ("needle_gauge", "needle_length_mm"):
        if changes.get(name) is not None and changes[name] <= 0:
            _refuse(core.Issue(name, "not_positive", "Give a value above 0."))
    for name in ("numbing", "immediate_reactions", "notes"):
        if name in changes:
            changes[name] = (changes[name] or "").strip()
    _decimals(SessionChart, changes)
    new_device = changes.get("device", chart.device)
    if getattr(new_device, "pk", None) == chart.device_id:
        return _amend(chart, changes, reason, by)
    # Another device: it needs its own cleaning before the session, and the
    # chart then keeps that cleaning.
    cleaning = _check_cleaning(new_device, _chart_start(chart))
    with transaction.atomic():
        amendment = _amend(chart, changes, reason, by)
        current = SessionChart.objects.select_for_update().get(pk=chart.pk)
        current.device_cleaning = cleaning
        current._history_user = by  # type: ignore[attr-defined]
        current._change_reason = f"Amendment: {reason.strip()} (the device's cleaning)"  # type: ignore[attr-defined]
        current.save(update_fields=["device_cleaning"])
        chart.device_cleaning = cleaning
    return amendment


def _chart_start(chart: SessionChart) -> datetime:
    """When a charted session started: its appointment's start, else when
    it was charted (a session without an appointment is charted as it
    ends)."""
    if chart.appointment_id is not None:
        return chart.appointment.starts_at  # type: ignore[union-attr]
    return chart.charted_at


def amend_point(
    point: InjectionPoint, changes: dict[str, Any], reason: str, by: Any
) -> Amendment | None:
    """Amend one injection point (``product`` and ``lot`` as instances or
    ids). A new lot is checked as at charting: usable on the chart's day, of
    the point's product, not recalled. Returns None when nothing changed."""
    _require_reason(reason)
    chart = point.chart
    changes = dict(changes)
    _decimals(InjectionPoint, changes)
    for name, model in (("product", Product), ("lot", Lot)):
        if name in changes and not isinstance(changes[name], model):
            found = model.objects.filter(pk=changes[name]).first()  # type: ignore[attr-defined]
            if found is None:
                _refuse(core.Issue(name, f"no_{name}", f"Choose a {name} of this clinic."))
            changes[name] = found
    product = changes.get("product", point.product)
    lot = changes.get("lot", point.lot)
    area = get_catalog().areas.get(chart.area)
    draft = core.PointDraft(
        diagram=changes.get("diagram", point.diagram),
        x=float(changes.get("x", point.x)),
        y=float(changes.get("y", point.y)),
        product_id=product.pk,
        product_clinic_id=product.clinic_id,
        lot=_lot_facts(lot),
        volume_ml=Decimal(changes.get("volume_ml", point.volume_ml)),
        depth_mm=Decimal(changes.get("depth_mm", point.depth_mm)),
        zone=changes.get("zone", point.zone),
    )
    errors = core.point_errors(
        draft, 0, chart.clinic_id, area.diagram if area else None, chart.performed_on
    )
    # Only what changes is checked: a point charted before a recall stays
    # as it was; the recall itself is traced elsewhere.
    changed = set(changes)
    if "product" in changed:
        changed.add("lot")
    if "y" in changed:
        changed.add("x")
    relevant = [
        # The amendment form has one point: its fields are named plainly.
        core.Issue(e.field.split(".")[-1], e.code, e.message.removeprefix("Point 1: "))
        for e in errors
        if e.field.split(".")[-1] in changed
    ]
    if relevant:
        _refuse(relevant[0], relevant)
    if "zone" in changes:
        changes["zone"] = (changes["zone"] or "").strip()
    with transaction.atomic():
        before = InjectionPoint.objects.select_for_update().get(pk=point.pk).lot_id
        amendment = _amend(point, changes, reason, by)
        if amendment is not None and {"lot", "volume_ml"} & set(amendment.changes):
            stock.reconcile_chart(chart, {before, point.lot_id}, by, reason.strip())
    return amendment
