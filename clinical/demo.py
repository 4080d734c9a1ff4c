"""The demo clinic's clinical record: products and lots, and the record of
the demo patient (intake, screenings, a hair-loss course, consents, two
charted sessions, photos and scores).

Everything here is synthetic: the products have generic names, the photos
are drawn, the answers are invented. Dates count back from the clinic's
today, so the record always ends in the recent past and the demo's booked
course carries it on. Rows are written straight through the models (not the
services of the record pages) with their history dated when the demo says
they happened.

Loading twice changes nothing: each part is skipped when the clinic already
has it (a product of the same name, the patient's course, an intake).
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.db import models, transaction
from PIL import Image, ImageDraw, ImageFilter

from accounts.models import User
from clinical.consents import current_text
from clinical.models import (
    Consent,
    ConsentText,
    Diagram,
    InjectionPoint,
    OutcomeScore,
    Photo,
    ScreeningRecord,
    SessionChart,
    TreatmentCourse,
)
from clinical.screen import stored_finding
from clinics.models import Clinic, Device, DeviceKind, StaffMember
from core import intake as intake_codec
from core.catalog.model import Catalog, Protocol
from core.screening import ScreeningRequest, screen
from mesoclinic.catalog import get_catalog
from patients.models import Intake, Patient, Sex
from scheduling.models import Course as BookedCourse
from stock.models import (
    CleaningMethod,
    DeviceCleaning,
    Lot,
    MovementKind,
    Product,
    StockMovement,
)

INDICATION = "hair_loss"
AREA = "scalp"
# The demo books hair sessions with the injector gun (scheduling/demo.py).
TECHNIQUE = "injector_gun"
THUMBNAIL_PX = 320
PHOTO_PX = 960


@dataclass(frozen=True)
class DemoProduct:
    name: str
    actives: tuple[str, ...]  # actives.toml keys
    supplier: str
    authorised: bool
    prefix: str  # of the lot numbers
    unit: str = "ml"
    # Days from today to the expiry of each lot: one current, and for the
    # cocktail one expiring within 30 days and one already expired.
    expiries: tuple[int, ...] = (300,)
    # How much of each lot was received (in ``unit``), and the reorder level.
    received: tuple[Decimal, ...] = (Decimal(10),)
    reorder_level: Decimal = Decimal(0)


PRODUCTS = [
    DemoProduct(
        "Hair revitalising cocktail",
        ("vitamins", "amino_acids", "biotin", "minerals", "plant_extracts"),
        "Example Pharma Distributors (demo)",
        True,
        "HRC",
        expiries=(300, 21, -10),
        # The expired lot still holds stock: the stock pages list it to discard.
        received=(Decimal(20), Decimal(5), Decimal(3)),
        reorder_level=Decimal(5),
    ),
    DemoProduct(
        "Hyaluronic acid 1% non-cross-linked",
        ("hyaluronic_acid",),
        "Example Pharma Distributors (demo)",
        True,
        "HAN",
        expiries=(420,),
    ),
    # Bought from a seller the maker does not authorise: the stock pages
    # flag it.
    DemoProduct(
        "Vitamin C 20 mg/ml vial",
        ("vitamin_c",),
        "Online wholesale marketplace (demo)",
        False,
        "VTC",
        expiries=(240,),
        # Below its reorder level: on the low-stock list.
        received=(Decimal(4),),
        reorder_level=Decimal(5),
    ),
    DemoProduct(
        "Lidocaine 2.5% / prilocaine 2.5% cream",
        ("local_anaesthetic",),
        "Example Medical Supplies (demo)",
        True,
        "LPC",
        unit="g",
        expiries=(540,),
        received=(Decimal(30),),
    ),
]
COCKTAIL = PRODUCTS[0].name
NUMBING = PRODUCTS[3].name

# Needle and depth of the demo charts, within the protocol's ranges:
# 27G 4 mm [Mammucari2011]; nappage, up to 2 mm [trainers];
# 0.1-0.2 ml per point [Mammucari2011].
NEEDLE_GAUGE = 27
NEEDLE_LENGTH_MM = Decimal("4.0")
DEPTH = "nappage"
DEPTH_MM = Decimal("1.5")
VOLUME_PER_POINT_ML = Decimal("0.100")

# Outcome measures (measures.toml keys): the GAIS rated by the clinician and
# the patient (1 very much improved ... 3 improved ... 5 worse), and hairs
# per square centimetre at a marked site, rising over the course.
GAIS = "gais"
HAIR_DENSITY = "hair_density"
GAIS_IMPROVED = Decimal(3)
HAIR_DENSITY_BY_SESSION = [Decimal(118), Decimal(124)]


def load(clinic: Clinic, today: date | None = None) -> None:
    """Give the demo clinic its products, its demo patient's clinical record
    and the other patients' intakes, once. ``today`` defaults to the
    clinic's today."""
    today = today or clinic.today()
    with transaction.atomic():
        lots = load_products(clinic, today)
        patients = list(Patient.objects.filter(clinic=clinic).order_by("pk"))
        patient = next((p for p in patients if p.user and p.user.username == "patient"), None)
        patient = patient or (patients[0] if patients else None)
        if patient is not None and not TreatmentCourse.objects.filter(patient=patient).exists():
            load_record(clinic, patient, lots, today)
        # The others answered the questionnaire at the front desk before
        # their visits, so a consultation or check-in can screen them.
        desk = User.objects.filter(username="frontdesk").first()
        for other in patients:
            if desk is not None and not Intake.objects.filter(patient=other).exists():
                day = _weekday(today - timedelta(days=3))
                at = _at(clinic, day, time(17))
                _save(
                    Intake(
                        clinic=clinic,
                        patient=other,
                        answers=_answers(get_catalog(), day, laser=False),
                        via=Intake.Via.STAFF,
                        submitted_by=desk,
                        submitted_at=at,
                    ),
                    at,
                    desk,
                )


# -- products ---------------------------------------------------------------


def load_products(clinic: Clinic, today: date) -> dict[str, Lot]:
    """The clinic's demo products and their lots (each made only if the
    clinic has no product of its name). Returns each product's current lot
    (the latest expiry, not recalled), by product name."""
    manager = User.objects.filter(username="manager").first()
    catalog = get_catalog()
    received = _at(clinic, today - timedelta(days=60), time(12))
    have = set(Product.objects.filter(clinic=clinic).values_list("name", flat=True))
    for item in PRODUCTS:
        if item.name in have:
            continue
        missing = set(item.actives) - set(catalog.actives)
        if missing:
            raise LookupError(f"{item.name}: no such actives in the catalog: {missing}")
        product = _save(
            Product(
                clinic=clinic,
                name=item.name,
                supplier=item.supplier,
                authorised_supplier=item.authorised,
                actives=list(item.actives),
                unit=item.unit,
                reorder_level=item.reorder_level,
            ),
            received,
            manager,
        )
        for letter, days, quantity in zip(
            "ABC"[: len(item.expiries)], item.expiries, item.received, strict=True
        ):
            expiry = today + timedelta(days=days)
            lot = _save(
                Lot(
                    product=product,
                    number=f"{item.prefix}-{expiry:%y%m}-{letter}",
                    expiry=expiry,
                    received_on=today - timedelta(days=60),
                ),
                received,
                manager,
            )
            if manager is not None:
                StockMovement.objects.create(
                    clinic=clinic,
                    lot=lot,
                    kind=MovementKind.RECEIVED,
                    quantity=quantity,
                    by=manager,
                    at=received,
                )
    current: dict[str, Lot] = {}
    lots = Lot.objects.filter(product__clinic=clinic, recalled_at__isnull=True)
    for lot in lots.select_related("product").order_by("-expiry"):
        current.setdefault(lot.product.name, lot)
    return current


# -- the patient's record ---------------------------------------------------


def load_record(clinic: Clinic, patient: Patient, lots: dict[str, Lot], today: date) -> None:
    """Intake, consultation screening, course, consents and two charted
    sessions of ``patient``, in the weeks before ``today``."""
    catalog = get_catalog()
    doctor = StaffMember.objects.select_related("user").get(
        clinic=clinic, user__username="practitioner"
    )
    by = doctor.user
    gun = Device.objects.filter(clinic=clinic, kind=DeviceKind.INJECTOR_GUN).order_by("pk").first()
    booking = (
        BookedCourse.objects.filter(
            clinic=clinic,
            patient=patient,
            service__indication=INDICATION,
            service__area=AREA,
            status=BookedCourse.Status.BOOKED,
            treatment__isnull=True,
        )
        .order_by("pk")
        .first()
    )
    protocol = _protocol(catalog, booking)
    # Two sessions 9 days apart (the protocol starts every 7-10 days), the
    # last a week ago; a week's consultation before; never on a Sunday.
    second = _weekday(today - timedelta(days=7))
    first = _weekday(second - timedelta(days=9))
    consulted = _weekday(first - timedelta(days=7))

    if not patient.sex:
        patient.sex = Sex.FEMALE
        _save(patient, _at(clinic, consulted, time(9)), by)

    intake = _save(
        Intake(
            clinic=clinic,
            patient=patient,
            answers=_answers(catalog, consulted),
            allergies="None known.",
            medical_history="Laser hair removal on the lower legs, about two years ago.",
            via=Intake.Via.PORTAL if patient.user else Intake.Via.STAFF,
            submitted_by=patient.user or by,
            submitted_at=_at(clinic, consulted, time(9, 15)),
        ),
        _at(clinic, consulted, time(9, 15)),
        patient.user or by,
    )
    course_at = _at(clinic, consulted, time(10, 40))
    technique = TECHNIQUE if TECHNIQUE in protocol.techniques else protocol.techniques[0]
    course = _save(
        TreatmentCourse(
            clinic=clinic,
            patient=patient,
            indication=INDICATION,
            areas=[AREA],
            protocol=protocol.key,
            sessions=protocol.default_sessions,
            intervals=[[p.interval_days.min, p.interval_days.max] for p in protocol.schedule],
            technique=technique,
            status=TreatmentCourse.Status.ACTIVE,
            notes="Synthetic demo record.",
            booking=booking,
            created_by=by,
        ),
        course_at,
        by,
    )
    # created_at is auto_now_add: set the demo's day after the insert.
    TreatmentCourse.objects.filter(pk=course.pk).update(created_at=course_at)
    _screening(
        catalog,
        course,
        intake,
        ScreeningRecord.Occasion.CONSULTATION,
        first,
        _at(clinic, consulted, time(10, 20)),
        by,
    )
    signed = _at(clinic, consulted, time(10, 50))
    treatment_consent = _sign(patient, _treatment_text(clinic, catalog, signed), course, signed, by)
    photo_consent = _sign(patient, _photo_text(clinic, signed), None, signed, by)

    for number, day in enumerate([first, second], start=1):
        screening = _screening(
            catalog,
            course,
            intake,
            ScreeningRecord.Occasion.CHECK_IN,
            day,
            _at(clinic, day, time(10, 30)),
            by,
        )
        charted = _at(clinic, day, time(11, 40))
        # The gun is sterilised before each session; the chart keeps that cleaning.
        cleaning = None
        if gun is not None:
            cleaned = _at(clinic, day, time(9, 30))
            cleaning = _save(
                DeviceCleaning(
                    clinic=clinic,
                    device=gun,
                    cleaned_at=cleaned,
                    method=CleaningMethod.AUTOCLAVE,
                    cycle=f"DEMO-AC-{day:%y%m%d}-1",
                    by=by,
                    recorded_at=cleaned,
                ),
                cleaned,
                by,
            )
        numbing = lots.get(NUMBING)
        chart = _save(
            SessionChart(
                clinic=clinic,
                patient=patient,
                course=course,
                session_number=number,
                practitioner=doctor,
                consent=treatment_consent,
                screening=screening,
                area=AREA,
                technique=technique,
                device=gun,
                device_cleaning=cleaning,
                needle_gauge=NEEDLE_GAUGE,
                needle_length_mm=NEEDLE_LENGTH_MM,
                depth=DEPTH,
                numbing=f"{NUMBING}, lot {numbing.number}" if numbing else "",
                numbing_minutes=protocol.numbing_minutes.min if numbing else 0,
                procedure_minutes=protocol.procedure_minutes.min,
                immediate_reactions="Mild redness at the injection sites.",
                notes="Synthetic demo session.",
                performed_on=day,
                charted_by=by,
                charted_at=charted,
            ),
            charted,
            by,
        )
        cocktail = lots[COCKTAIL]
        for zone, x, y in _POINTS:
            _save(
                InjectionPoint(
                    clinic=clinic,
                    chart=chart,
                    diagram=Diagram.SCALP,
                    x=x,
                    y=y,
                    zone=zone,
                    product=cocktail.product,
                    lot=cocktail,
                    volume_ml=VOLUME_PER_POINT_ML,
                    depth_mm=DEPTH_MM,
                ),
                charted,
                by,
            )
        # What the session took out of stock, as charting does.
        StockMovement.objects.create(
            clinic=clinic,
            lot=cocktail,
            kind=MovementKind.USED,
            quantity=-VOLUME_PER_POINT_ML * len(_POINTS),
            chart=chart,
            note=f"Session {number}",
            by=by,
            at=charted,
        )
        _photo(chart, photo_consent, number, _at(clinic, day, time(10, 45)), by)
        _scores(chart, number, charted, by)


# The treated zones on the scalp diagram (fractions of its width and
# height, the forehead at the top; zone keys of clinical/diagrams.py).
_POINTS = [
    ("hairline", 0.44, 0.22),
    ("hairline", 0.56, 0.22),
    ("frontal", 0.42, 0.31),
    ("frontal", 0.58, 0.31),
    ("mid_scalp", 0.40, 0.47),
    ("mid_scalp", 0.50, 0.46),
    ("mid_scalp", 0.60, 0.47),
    ("crown", 0.42, 0.63),
    ("crown", 0.50, 0.65),
    ("crown", 0.58, 0.63),
]


def _protocol(catalog: Catalog, booking: BookedCourse | None) -> Protocol:
    """The booked course's protocol, else the catalog's default one."""
    if booking is not None and booking.protocol in catalog.protocols:
        return catalog.protocols[booking.protocol]
    return catalog.protocols_for(INDICATION, AREA)[0]


def _answers(catalog: Catalog, on: date, laser: bool = True) -> dict[str, Any]:
    """Every catalog question answered with nothing to report; with
    ``laser``, one harmless detail: a laser treatment two years before ``on``
    (it matters only to facial rejuvenation, contraindications.toml)."""
    answers: dict[str, Any] = {}
    for question in catalog.questions.values():
        if question.kind == "bool":
            answers[question.key] = False
        elif question.kind == "date":
            answers[question.key] = None
        else:
            answers[question.key] = ()
    if laser and "last_laser" in answers:
        answers["last_laser"] = on - timedelta(days=730)
    return intake_codec.encode(answers)


def _screening(
    catalog: Catalog,
    course: TreatmentCourse,
    intake: Intake,
    occasion: str,
    planned: date,
    at: datetime,
    by: User,
) -> ScreeningRecord:
    """Run the core screening on the intake and keep its verdict and
    findings."""
    result = screen(
        catalog,
        ScreeningRequest(
            indication=course.indication,
            area=course.areas[0],
            planned_date=planned,
            answered_on=at.astimezone(ZoneInfo(course.clinic.time_zone)).date(),
            answers=intake_codec.decode(catalog, intake.answers),
            country=course.clinic.country,
            protocol=course.protocol,
        ),
    )
    return _save(
        ScreeningRecord(
            clinic=course.clinic,
            patient=course.patient,
            intake=intake,
            course=course,
            occasion=occasion,
            indication=course.indication,
            area=course.areas[0],
            protocol=course.protocol,
            planned_date=planned,
            verdict=result.verdict.value,
            findings=[stored_finding(f) for f in result.findings],
            screened_by=by,
            screened_at=at,
        ),
        at,
        by,
    )


# -- consents ---------------------------------------------------------------


def _treatment_text(clinic: Clinic, catalog: Catalog, at: datetime) -> ConsentText:
    """The clinic's current consent text for the demo's indication, as the
    consent pages publish it, dated back to ``at`` so it precedes the
    signature."""
    return _dated(current_text(clinic, ConsentText.Kind.TREATMENT, INDICATION), at)


def _photo_text(clinic: Clinic, at: datetime) -> ConsentText:
    """The clinic's current consent text for photographs, dated back to ``at``."""
    return _dated(current_text(clinic, ConsentText.Kind.PHOTOS), at)


def _dated(text: ConsentText, at: datetime) -> ConsentText:
    if text.published_at > at:
        ConsentText.objects.filter(pk=text.pk).update(published_at=at)
        text.published_at = at
    return text


def _sign(
    patient: Patient,
    text: ConsentText,
    course: TreatmentCourse | None,
    at: datetime,
    witness: User,
) -> Consent:
    return _save(
        Consent(
            clinic=patient.clinic,
            patient=patient,
            text=text,
            course=course,
            typed_name=f"{patient.first_name} {patient.last_name}",
            signature_png=signature_png(str(patient)),
            signed_at=at,
            witnessed_by=witness,
        ),
        at,
        witness,
    )


def signature_png(name: str) -> bytes:
    """A drawn signature: a pen line looping along the width, its shape
    seeded by the name."""
    rng = random.Random(name)  # noqa: S311 (a drawing, not a secret)
    width, height = 360, 110
    image = Image.new("RGBA", (width, height), (255, 255, 255, 0))
    points = []
    for step in range(181):
        t = step / 180
        loop = math.sin(t * math.pi * 9 + rng.random() * 0.3)
        points.append(
            (
                20 + t * (width - 40) + 12 * math.cos(t * math.pi * 9),
                height / 2 - 28 * loop * (1 - 0.6 * t) + rng.uniform(-1.5, 1.5),
            )
        )
    draw = ImageDraw.Draw(image)
    draw.line(points, fill=(20, 30, 90, 255), width=3, joint="curve")
    draw.line([(30, height - 18), (width - 60, height - 24)], fill=(20, 30, 90, 255), width=2)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


# -- photos and scores ------------------------------------------------------


def _photo(chart: SessionChart, consent: Consent, number: int, at: datetime, by: User) -> Photo:
    image = scalp_image(density=0.45 + 0.15 * number, seed=chart.patient_id * 100 + number)
    photo = Photo(
        clinic=chart.clinic,
        patient=chart.patient,
        chart=chart,
        consent=consent,
        view=Photo.View.SCALP_TOP,
        phase=Photo.Phase.BEFORE,
        width=image.width,
        height=image.height,
        taken_at=at,
        uploaded_by=by,
    )
    name = f"demo-{chart.patient_id}-session-{number}-scalp-top"
    photo.image.save(f"{name}.jpg", ContentFile(_jpeg(image)), save=False)
    thumbnail = image.copy()
    thumbnail.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
    photo.thumbnail.save(f"{name}-thumb.jpg", ContentFile(_jpeg(thumbnail)), save=False)
    return _save(photo, at, by)


def _jpeg(image: Image.Image) -> bytes:
    """The image as a JPEG with no metadata: no EXIF, no ICC profile, no
    comment (a fresh image carries none, and none is passed)."""
    out = io.BytesIO()
    Image.frombytes(image.mode, image.size, image.tobytes()).save(
        out, format="JPEG", quality=85, optimize=True
    )
    return out.getvalue()


def scalp_image(density: float, seed: int, size: int = PHOTO_PX) -> Image.Image:
    """A drawn top view of a head: skin under a soft light, hair strands
    combed out from the crown, thinner towards the crown the lower
    ``density`` (0-1) is."""
    rng = random.Random(seed)  # noqa: S311 (a drawing, not a secret)
    background = Image.new("RGB", (size, size), (52, 58, 66))
    light = Image.radial_gradient("L").resize((size, size))
    skin = Image.composite(
        Image.new("RGB", (size, size), (176, 128, 100)),
        Image.new("RGB", (size, size), (228, 186, 156)),
        light,
    )
    head = Image.new("L", (size, size), 0)
    box = (size * 0.16, size * 0.08, size * 0.84, size * 0.94)
    ImageDraw.Draw(head).ellipse(box, fill=255)
    image = Image.composite(skin, background, head)
    draw = ImageDraw.Draw(image)
    cx, cy = size * 0.5, size * 0.58  # the crown
    rx, ry = (box[2] - box[0]) / 2, (box[3] - box[1]) / 2
    mx, my = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    for _ in range(int(9000 * density)):
        x, y = rng.uniform(box[0], box[2]), rng.uniform(box[1], box[3])
        if ((x - mx) / rx) ** 2 + ((y - my) / ry) ** 2 > 0.97:
            continue
        # Thinning at the crown: fewer strands near it, fewer still at a
        # low density.
        near = max(0.0, 1 - math.hypot(x - cx, y - cy) / (size * 0.3))
        if rng.random() < near * (1.15 - density):
            continue
        angle = math.atan2(y - cy, x - cx) + rng.uniform(-0.35, 0.35) + 0.6
        length = rng.uniform(size * 0.025, size * 0.05)
        shade = rng.randint(18, 48)
        draw.line(
            [(x, y), (x + length * math.cos(angle), y + length * math.sin(angle))],
            fill=(shade + 10, shade, shade - 8 if shade > 8 else 0),
            width=2,
        )
    return image.filter(ImageFilter.GaussianBlur(0.7))


def _scores(chart: SessionChart, number: int, at: datetime, by: User) -> None:
    """A crown hair count at every session; the GAIS from the second on
    (it rates a change from the first)."""
    rows = [(HAIR_DENSITY, OutcomeScore.Rater.CLINICIAN, HAIR_DENSITY_BY_SESSION[number - 1])]
    if number > 1:
        rows += [
            (GAIS, OutcomeScore.Rater.CLINICIAN, GAIS_IMPROVED),
            (GAIS, OutcomeScore.Rater.PATIENT, GAIS_IMPROVED),
        ]
    for measure, rater, value in rows:
        _save(
            OutcomeScore(
                clinic=chart.clinic,
                patient=chart.patient,
                chart=chart,
                measure=measure,
                rater=rater,
                value=value,
                recorded_by=by,
                recorded_at=at,
            ),
            at,
            by,
        )


# -- helpers ----------------------------------------------------------------


def _at(clinic: Clinic, day: date, at: time) -> datetime:
    """``at`` o'clock at the clinic on ``day``, in UTC."""
    return datetime.combine(day, at, ZoneInfo(clinic.time_zone)).astimezone(UTC)


def _weekday(day: date) -> date:
    """``day``, or the Saturday before when it is a Sunday (the demo clinic
    is closed on Sundays)."""
    return day - timedelta(days=1) if day.weekday() == 6 else day


def _save[M: models.Model](obj: M, at: datetime, by: User | None) -> M:
    """Save ``obj`` with its history dated ``at`` and made by ``by``."""
    obj._history_date = at  # type: ignore[attr-defined]
    obj._history_user = by  # type: ignore[attr-defined]
    obj.save()
    return obj
