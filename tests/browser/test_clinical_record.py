"""A practitioner runs a consultation and a first session in a real browser.

Intake, consultation screening, the course, the consent signed with a drawn
signature, the check-in screening, the chart with points clicked on the face
diagram, before and after photos, the scores and the progress chart: every
step through the pages, then the database is asked what was kept.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from PIL import Image, ImageDraw
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from clinical.models import Consent, InjectionPoint, OutcomeScore, Photo, SessionChart
from clinics.models import Device, Room, StaffMember
from patients.models import Intake
from scheduling.booking import book
from scheduling.models import Service, ServiceKind
from tests.browser.conftest import screenshot
from tests.clinical_factories import clean_device, make_lot
from tests.conftest import People

KOLKATA = ZoneInfo("Asia/Kolkata")
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=KOLKATA)  # a Monday


@pytest.fixture
def clinic(people: People) -> People:
    clinic = people.clinic
    doctor = StaffMember.objects.get(clinic=clinic, user=people.practitioner)
    people.practitioner.first_name, people.practitioner.last_name = "Ananya", "Rao"
    people.practitioner.save()
    people.patient.first_name, people.patient.last_name = "Meera", "Iyer"
    people.patient.save()
    Room.objects.create(clinic=clinic, name="Room 1")
    for name, kind in (("Pen 1", "dermapen"), ("Gun 1", "injector_gun")):
        device = Device.objects.create(clinic=clinic, name=name, kind=kind)
        # A device is used only after its recorded cleaning.
        clean_device(device, people.practitioner, at=NOW - timedelta(days=1))
    face = Service.objects.create(
        clinic=clinic,
        key="rejuvenation-face",
        name="Facial rejuvenation: face",
        kind=ServiceKind.SESSION,
        indication="facial_rejuvenation",
        area="face",
        procedure_minutes=30,
    )
    face.practitioners.set([doctor])
    with time_machine.travel(NOW - timedelta(days=3)):
        book(
            clinic=clinic,
            patient=people.patient,
            service=face,
            practitioner_id=doctor.pk,
            start=NOW + timedelta(hours=2),
            by=people.front_desk,
        )
    make_lot(clinic, number="HA-2611", expiry=NOW.date() + timedelta(days=200), product="HA 1%")
    return people


@pytest.fixture
def doctor_page(browser: Browser, live_server: object) -> Iterator[tuple[Page, list[str]]]:
    with time_machine.travel(NOW, tick=True):
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
        context.set_default_timeout(10_000)
        page = context.new_page()
        problems: list[str] = []

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error" and "favicon" not in message.location.get("url", ""):
                problems.append(message.text)

        page.on("console", on_console)
        page.on("pageerror", lambda error: problems.append(str(error)))
        yield page, problems
        context.close()


def photo(shade: int) -> bytes:
    image = Image.new("RGB", (640, 480), (shade, 180, 160))
    ImageDraw.Draw(image).ellipse((220, 90, 420, 390), outline="black", width=4)
    out = io.BytesIO()
    image.save(out, format="JPEG")
    return out.getvalue()


def draw_signature(page: Page) -> None:
    canvas = page.locator("#signature-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box
    page.mouse.move(box["x"] + 40, box["y"] + 140)
    page.mouse.down()
    for x, y in [(120, 60), (200, 150), (280, 50), (360, 140), (440, 70)]:
        page.mouse.move(box["x"] + x, box["y"] + y, steps=6)
    page.mouse.up()


def answer_no_everywhere(page: Page) -> None:
    for radio in page.locator('input[type="radio"][value="no"]').all():
        radio.check()


def test_a_practitioner_runs_a_consultation_and_a_first_session(
    clinic: People, doctor_page: tuple[Page, list[str]], live_server: object
) -> None:
    page, problems = doctor_page
    patient = clinic.patient
    base = f"{live_server}/staff/test/patients/{patient.pk}/record/"

    page.goto(f"{live_server}/accounts/login/")
    page.get_by_label("Username").fill("practitioner")
    page.get_by_label("Password").fill("password")
    page.get_by_role("button", name="Log in").click()
    page.goto(base)
    expect(page.get_by_role("heading", name="Meera Iyer")).to_be_visible()

    # Intake, answered with the patient.
    page.goto(f"{base}intake/")
    answer_no_everywhere(page)
    page.get_by_label("Allergies").fill("None known")
    page.locator("form.intake-form button[type=submit]").click()
    expect(page.locator("body")).not_to_contain_text("This field is required")
    assert Intake.objects.filter(patient=patient).count() == 1

    # The consultation screening for facial rejuvenation of the face.
    page.goto(f"{base}screenings/new/")
    page.get_by_label("Indication").select_option("facial_rejuvenation")
    page.get_by_label("Area").select_option("face")
    page.get_by_role("button", name="Run the screening").click()
    expect(page.locator("body")).to_contain_text("never replaces")

    # The course, from the plan.
    page.goto(f"{base}courses/new/")
    page.get_by_label("Treatment and area").select_option("facial_rejuvenation:face")
    page.get_by_role("button", name="Show the plan").click()
    page.locator("form.course-form button[type=submit]").last.click()
    course = patient.treatment_courses.get()
    assert course.indication == "facial_rejuvenation" and course.status == "planned"

    # The consent, signed on the practitioner's screen, and the photo consent.
    page.goto(f"{base}courses/{course.pk}/consent/")
    page.get_by_role("button", name="I agree and sign").click()
    assert Consent.objects.count() == 0  # neither name nor signature yet
    expect(page.locator("body")).to_contain_text("signature")
    problems.clear()  # the refusal above is a 400, on purpose
    page.get_by_label("Your full name").fill("Meera Iyer")
    draw_signature(page)
    page.get_by_role("button", name="I agree and sign").click()
    expect(page.locator("body")).not_to_contain_text("I agree and sign")
    consent = Consent.objects.get(course=course)
    assert consent.witnessed_by == clinic.practitioner and len(consent.signature_png) > 100
    screenshot(page, "record-consent")
    page.goto(f"{base}consents/photos/")
    page.get_by_label("Your full name").fill("Meera Iyer")
    draw_signature(page)
    page.get_by_role("button", name="I agree and sign").click()
    assert Consent.objects.filter(text__kind="photos", patient=patient).count() == 1

    # Check-in screening for today's appointment, then the chart.
    page.goto(base)
    page.locator("[id^=check-in-]").first.click()
    answer_no_everywhere(page)
    page.locator("form.intake-form button[type=submit]").click()
    page.goto(base)
    page.locator("[id^=chart-appointment-]").first.click()
    expect(page.locator("#injection-map")).to_be_visible()
    page.get_by_label("Needle gauge (G)").fill("30")
    page.get_by_label("Needle length (mm)").fill("4")
    device = page.get_by_label("Device:")
    device.select_option(index=1)
    page.locator("#injection-map").scroll_into_view_if_needed()
    box = page.locator("#injection-map").bounding_box()
    assert box
    for n, (fx, fy) in enumerate([(0.35, 0.45), (0.65, 0.45), (0.5, 0.3)]):
        page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
        expect(page.locator(f"#map-point-{n + 1}")).to_be_visible()
        page.locator(f"#point-{n + 1}-product").select_option(label="HA 1%")
        page.locator(f"#point-{n + 1}-lot").select_option(index=1)
        page.locator(f"#point-{n + 1}-volume").fill("0.05")
        page.locator(f"#point-{n + 1}-depth").fill("1")
    screenshot(page, "record-chart-map")
    page.locator("#save-chart").click()
    expect(page.locator("#chart-map")).to_be_visible()
    chart = SessionChart.objects.get(course=course)
    points = list(InjectionPoint.objects.filter(chart=chart))
    assert len(points) == 3 and {p.diagram for p in points} == {"face"}
    assert {p.lot.number for p in points} == {"HA-2611"}
    assert chart.consent == consent and chart.device is not None
    course.refresh_from_db()
    assert course.status == "active"

    # Photos before and after, then the scores and the progress chart.
    for phase, shade in [("before", 200), ("after", 230)]:
        page.goto(f"{base}charts/{chart.pk}/photos/")
        page.locator("#photo-view").select_option("front")
        page.locator("#photo-phase").select_option(phase)
        page.locator("#photo-image").set_input_files(
            {"name": f"{phase}.jpg", "mimeType": "image/jpeg", "buffer": photo(shade)}
        )
        page.locator("#photo-submit").click()
        expect(page.locator("body")).not_to_contain_text("Check the form")
    assert Photo.objects.filter(chart=chart).count() == 2
    page.goto(f"{base}charts/{chart.pk}/scores/")
    page.locator("#score-gais-clinician").select_option(index=2)
    page.locator("#score-gais-patient").select_option(index=2)
    page.locator("#score-submit").click()
    assert OutcomeScore.objects.filter(chart=chart).count() >= 2
    page.goto(f"{base}courses/{course.pk}/progress/")
    expect(page.locator("#progress-gais")).to_be_visible()
    screenshot(page, "record-progress")
    page.goto(base)
    screenshot(page, "record-hub")
    assert problems == []
