"""The demo clinic's synthetic clinical record (clinical/demo.py)."""

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import models
from django.test import Client
from PIL import Image
from pytest_django.fixtures import Settings

from accounts.models import User
from clinical.models import (
    Consent,
    ConsentText,
    InjectionPoint,
    OutcomeScore,
    Photo,
    ScreeningRecord,
    SessionChart,
    TreatmentCourse,
)
from clinics.models import Clinic
from core import consent as consent_texts
from core import intake as intake_codec
from mesoclinic.catalog import get_catalog
from patients.models import Intake, Patient
from stock.models import Lot, Product

MODELS: list[type[models.Model]] = [
    Product,
    Lot,
    Intake,
    TreatmentCourse,
    ScreeningRecord,
    ConsentText,
    Consent,
    SessionChart,
    InjectionPoint,
    Photo,
    OutcomeScore,
]


@pytest.fixture
def demo(settings: Settings, tmp_path: Path) -> Clinic:
    settings.MEDIA_ROOT = tmp_path
    call_command("load_demo", stdout=io.StringIO())
    return Clinic.objects.get(slug="demo")


def counts() -> dict[str, int]:
    return {model.__name__: model._default_manager.count() for model in MODELS}


@pytest.mark.django_db
def test_loading_the_demo_twice_adds_no_clinical_row(demo: Clinic) -> None:
    before = counts()
    call_command("load_demo", stdout=io.StringIO())
    assert counts() == before
    assert before == {
        "Product": 4,
        "Lot": 6,
        "Intake": 4,
        "TreatmentCourse": 1,
        "ScreeningRecord": 3,
        "ConsentText": 2,
        "Consent": 2,
        "SessionChart": 2,
        "InjectionPoint": 20,
        "Photo": 2,
        "OutcomeScore": 4,
    }


@pytest.mark.django_db
def test_the_demo_record_belongs_to_the_demo_patient_and_its_booked_course(demo: Clinic) -> None:
    patient = Patient.objects.get(clinic=demo, user__username="patient")
    course = TreatmentCourse.objects.get(patient=patient)
    assert (course.indication, course.areas, course.protocol) == (
        "hair_loss",
        ["scalp"],
        "hair_loss_taper",
    )
    assert course.booking is not None
    assert course.booking.patient == patient
    assert set(Consent.objects.filter(patient=patient).values_list("text__kind", flat=True)) == {
        "treatment",
        "photos",
    }
    assert all(len(bytes(c.signature_png)) > 0 for c in Consent.objects.all())
    # Built as the consent pages build them: they see the texts as current.
    treatment = ConsentText.objects.get(clinic=demo, kind="treatment")
    built = consent_texts.treatment_consent(get_catalog(), "hair_loss", demo.country)
    assert (treatment.indication, treatment.version) == ("hair_loss", 1)
    assert treatment.content_hash == built.content_hash
    assert set(ScreeningRecord.objects.values_list("verdict", flat=True)) == {"eligible"}


@pytest.mark.django_db
def test_the_demo_sessions_are_in_the_past_and_used_lots_usable_on_their_day(
    demo: Clinic,
) -> None:
    today = demo.today()
    charts = list(SessionChart.objects.filter(clinic=demo).order_by("session_number"))
    assert [c.session_number for c in charts] == [1, 2]
    for chart in charts:
        assert chart.performed_on < today
        assert chart.performed_on.weekday() != 6
        assert chart.charted_at.utcoffset() == timedelta(0)
        lots = {p.lot for p in chart.points.select_related("lot")}
        assert len(lots) == 1
        assert all(lot.usable_on(chart.performed_on) for lot in lots)
        assert all(lot.usable_on(today) for lot in lots)
        assert chart.screening.planned_date == chart.performed_on
        assert chart.device is not None
    density = OutcomeScore.objects.filter(measure="hair_density").order_by("chart__session_number")
    assert [s.chart.session_number for s in density] == [1, 2]
    assert density[0].value < density[1].value


@pytest.mark.django_db
def test_the_demo_has_an_expired_and_an_expiring_lot(demo: Clinic) -> None:
    today = demo.today()
    lots = Lot.objects.filter(product__clinic=demo, product__name="Hair revitalising cocktail")
    expired = [lot for lot in lots if not lot.usable_on(today)]
    assert len(expired) == 1
    assert expired[0].expiry < today
    assert not InjectionPoint.objects.filter(lot=expired[0]).exists()
    soon = [lot for lot in lots if today <= lot.expiry <= today + timedelta(days=30)]
    assert len(soon) == 1
    assert Product.objects.filter(clinic=demo, authorised_supplier=False).count() == 1


@pytest.mark.django_db
def test_the_demo_photos_carry_no_metadata(demo: Clinic) -> None:
    photos = list(Photo.objects.filter(clinic=demo))
    assert len(photos) == 2
    for photo in photos:
        for field, largest in (
            (photo.image, max(photo.width, photo.height)),
            (photo.thumbnail, 320),
        ):
            with field.open("rb") as f, Image.open(f) as image:
                assert image.format == "JPEG"
                assert max(image.size) == largest
                assert len(image.getexif()) == 0
                assert not {"exif", "icc_profile", "comment", "xmp"} & set(image.info)
    images = []
    for photo in sorted(photos, key=lambda p: p.chart.session_number):
        with photo.image.open("rb") as f:
            images.append(f.read())
    assert images[0] != images[1]


@pytest.mark.django_db
def test_the_demo_practitioner_sees_the_demo_record(demo: Clinic) -> None:
    patient = Patient.objects.get(clinic=demo, user__username="patient")
    client = Client()
    client.force_login(User.objects.get(username="practitioner"))
    response = client.get(f"/staff/{demo.slug}/patients/{patient.pk}/record/")
    assert response.status_code == 200


@pytest.mark.django_db
def test_every_demo_patient_has_an_intake_answering_every_question(demo: Clinic) -> None:
    catalog = get_catalog()
    patients = Patient.objects.filter(clinic=demo)
    assert patients.count() == 4
    for patient in patients:
        intake = Intake.objects.get(patient=patient)
        answers = intake_codec.decode(catalog, intake.answers)
        assert set(answers) == set(catalog.questions)
    scored = set(OutcomeScore.objects.values_list("measure", flat=True))
    assert scored == {"gais", "hair_density"}
    measures = getattr(catalog, "measures", None)
    if measures is not None:  # measures.toml, once the catalog loads it
        assert scored <= set(measures)


@pytest.mark.django_db
def test_the_demo_follow_up_link_opens_and_its_report_waits_for_review(demo: Clinic) -> None:
    from django.test import Client

    from safety.models import AdverseEvent, FollowUpLink

    out = io.StringIO()
    call_command("load_demo", stdout=out)
    link = FollowUpLink.objects.get(patient__user__username="patient")
    assert f"/follow-up/{link.token}/" in out.getvalue()
    event = AdverseEvent.objects.get()
    assert (event.chart_id, event.level, event.status) == (link.chart_id, "review", "open")
    assert set(event.lots.all()) == {p.lot for p in link.chart.points.all()}
    assert Client().get(f"/follow-up/{link.token}/").status_code == 200
