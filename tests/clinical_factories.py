"""Clinical records for tests, made the shortest valid way.

Tests of one part of the record (photos, say) need the parts before it
(a course, a consent, a screening, a chart); these build them directly,
without going through the pages, so each test says only what it is about.
"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accounts.models import User
from clinical.models import (
    Consent,
    ConsentText,
    InjectionPoint,
    ScreeningRecord,
    SessionChart,
    TreatmentCourse,
)
from clinics.models import Clinic, Device, StaffMember
from core import intake as intake_codec
from core.course_limits import default_intervals
from mesoclinic.catalog import get_catalog
from patients.models import Intake, Patient
from stock.models import CleaningMethod, DeviceCleaning, Lot, MovementKind, Product, StockMovement


def signature_png() -> bytes:
    """A small real PNG, as the signature pad sends."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (120, 40), (255, 255, 255, 0))
    ImageDraw.Draw(image).line([(5, 30), (40, 5), (80, 35), (115, 10)], fill="black", width=3)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def clean_answers() -> dict[str, Any]:
    """Every catalog question answered with nothing to report."""
    answers: dict[str, Any] = {}
    for question in get_catalog().questions.values():
        answers[question.key] = {"bool": False, "date": None, "areas": [], "medicines": []}[
            question.kind
        ]
    return answers


def make_intake(patient: Patient, by: User, **answers: Any) -> Intake:
    stored = intake_codec.merge(clean_answers(), answers)
    return Intake.objects.create(
        clinic=patient.clinic,
        patient=patient,
        answers=stored,
        via=Intake.Via.STAFF,
        submitted_by=by,
        submitted_at=timezone.now(),
    )


def default_protocol(indication: str, area: str) -> str:
    for protocol in get_catalog().protocols.values():
        if protocol.indication == indication and area in protocol.areas and protocol.default:
            return protocol.key
    raise LookupError(f"no default protocol for {indication} at {area}")


def make_course(
    patient: Patient, by: User, indication: str = "hair_loss", areas: tuple[str, ...] = ("scalp",)
) -> TreatmentCourse:
    protocol = get_catalog().protocols[default_protocol(indication, areas[0])]
    intervals = [list(i) for i in default_intervals(protocol, protocol.default_sessions)]
    return TreatmentCourse.objects.create(
        clinic=patient.clinic,
        patient=patient,
        indication=indication,
        areas=list(areas),
        protocol=protocol.key,
        sessions=protocol.default_sessions,
        intervals=intervals,
        technique=protocol.techniques[0],
        created_by=by,
    )


def consent_text(
    clinic: Clinic, kind: str = "treatment", indication: str = "hair_loss"
) -> ConsentText:
    """The current text, as the consent pages publish it."""
    from clinical.consents import current_text

    return current_text(clinic, kind, indication if kind == "treatment" else "")


def sign_consent(
    patient: Patient, witness: User, course: TreatmentCourse | None = None, kind: str = "treatment"
) -> Consent:
    indication = course.indication if course else ""
    return Consent.objects.create(
        clinic=patient.clinic,
        patient=patient,
        text=consent_text(patient.clinic, kind, indication),
        course=course,
        typed_name=str(patient),
        signature_png=signature_png(),
        signed_at=timezone.now(),
        witnessed_by=witness,
    )


def make_screening(
    course: TreatmentCourse,
    by: User,
    verdict: str = "eligible",
    occasion: str = ScreeningRecord.Occasion.CHECK_IN,
    day: date | None = None,
    appointment: Any = None,
) -> ScreeningRecord:
    intake = course.patient.intakes.first() or make_intake(course.patient, by)
    return ScreeningRecord.objects.create(
        clinic=course.clinic,
        patient=course.patient,
        intake=intake,
        course=course,
        appointment=appointment,
        occasion=occasion,
        indication=course.indication,
        area=course.areas[0],
        protocol=course.protocol,
        planned_date=day or course.clinic.today(),
        verdict=verdict,
        findings=[],
        screened_by=by,
        screened_at=timezone.now(),
    )


def make_lot(
    clinic: Clinic,
    number: str = "L1",
    expiry: date | None = None,
    product: str = "Hair cocktail",
    stock: Decimal | str | None = "10",
) -> Lot:
    """A lot of ``product`` (made if new, counted in ml), with ``stock``
    received by the clinic's first member of staff (None: no stock
    recorded, or when the clinic has no staff yet)."""
    item, _ = Product.objects.get_or_create(
        clinic=clinic, name=product, defaults={"actives": [], "authorised_supplier": True}
    )
    lot = Lot.objects.create(
        product=item, number=number, expiry=expiry or clinic.today() + timedelta(days=365)
    )
    member = StaffMember.objects.filter(clinic=clinic).select_related("user").order_by("pk").first()
    if stock is not None and member is not None:
        receive_stock(lot, stock, member.user)
    return lot


def receive_stock(lot: Lot, quantity: Decimal | str, by: User) -> StockMovement:
    """A delivery of ``quantity`` of ``lot``, recorded now."""
    return StockMovement.objects.create(
        clinic=lot.product.clinic,
        lot=lot,
        kind=MovementKind.RECEIVED,
        quantity=Decimal(quantity),
        by=by,
        at=timezone.now(),
    )


def clean_device(
    device: Device,
    by: User,
    at: datetime | None = None,
    cycle: str = "",
    method: str = CleaningMethod.AUTOCLAVE,
) -> DeviceCleaning:
    """A recorded cleaning of ``device`` done at ``at`` (default: an hour
    ago), written directly: any order, for tests that need one."""
    now = timezone.now()
    return DeviceCleaning.objects.create(
        clinic=device.clinic,
        device=device,
        cleaned_at=at or now - timedelta(hours=1),
        method=method,
        cycle=cycle,
        by=by,
        recorded_at=now,
    )


def make_chart(
    course: TreatmentCourse,
    practitioner: User,
    session_number: int = 1,
    lot: Lot | None = None,
    points: int = 2,
) -> SessionChart:
    """A charted session (consent and check-in screening made if missing)."""
    from clinical.gates import session_screening, valid_consent

    day = course.clinic.today()
    consent = valid_consent(course) or sign_consent(course.patient, practitioner, course)
    screening = session_screening(course, None, day) or make_screening(course, practitioner)
    member = StaffMember.objects.get(clinic=course.clinic, user=practitioner)
    chart = SessionChart.objects.create(
        clinic=course.clinic,
        patient=course.patient,
        course=course,
        session_number=session_number,
        practitioner=member,
        consent=consent,
        screening=screening,
        area=course.areas[0],
        technique=course.technique,
        depth="nappage",
        procedure_minutes=20,
        performed_on=day,
        charted_by=practitioner,
        charted_at=timezone.now(),
    )
    lot = lot or make_lot(course.clinic, number=f"CHART-{chart.pk}")
    for i in range(points):
        InjectionPoint.objects.create(
            clinic=course.clinic,
            chart=chart,
            diagram="scalp",
            x=0.3 + 0.1 * i,
            y=0.4,
            product=lot.product,
            lot=lot,
            volume_ml=Decimal("0.05"),
            depth_mm=Decimal("1.5"),
        )
    return chart
