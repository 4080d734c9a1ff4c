"""The front desk in a real browser: book a course, see it on the calendar,
drag a session to another time, and find the move in the database.

The clinic is in Paris and the browser in New York: the calendar must show
and send the clinic's times, not the browser's. The server runs with its
production Content-Security-Policy (DEBUG is off), so a style or script the
policy blocks shows up as a console error.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from accounts.models import User
from clinics.models import Role, Room, StaffMember
from scheduling.booking import book
from scheduling.models import Appointment, Service, ServiceKind
from tests.browser.conftest import screenshot
from tests.conftest import People

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=PARIS)  # a Monday


@pytest.fixture
def paris(people: People) -> People:
    clinic = people.clinic
    clinic.time_zone = "Europe/Paris"
    clinic.save()
    doctor = StaffMember.objects.get(clinic=clinic, user=people.practitioner)
    people.practitioner.last_name = "Rao"
    people.practitioner.first_name = "Ananya"
    people.practitioner.save()
    Room.objects.create(clinic=clinic, name="Room 1")
    face = Service.objects.create(
        clinic=clinic,
        key="rejuvenation-face",
        name="Facial rejuvenation: face",
        kind=ServiceKind.SESSION,
        indication="facial_rejuvenation",
        area="face",
        procedure_minutes=45,
    )
    face.practitioners.set([doctor])
    second = StaffMember.objects.create(
        clinic=clinic,
        user=make_user("desai", first_name="Vikram", last_name="Desai"),
        role=Role.PRACTITIONER,
    )
    consultation = Service.objects.create(
        clinic=clinic,
        key="consultation",
        name="Consultation",
        kind=ServiceKind.CONSULTATION,
        procedure_minutes=30,
    )
    consultation.practitioners.set([doctor, second])
    return people


def book_others(people: People) -> None:
    """The rest of the week: other patients, both practitioners."""
    staff = {s.user.username: s.pk for s in StaffMember.objects.filter(clinic=people.clinic)}
    consultation = Service.objects.get(key="consultation")
    for day, hour, who in [(2, 14, "practitioner"), (5, 11, "desai"), (6, 16, "desai")]:
        book(
            clinic=people.clinic,
            patient=people.other_patient,
            service=consultation,
            practitioner_id=staff[who],
            start=datetime(2026, 3, day, hour, 0, tzinfo=PARIS),
            by=people.front_desk,
            now=NOW,
        )


def make_user(username: str, first_name: str, last_name: str) -> User:
    return User.objects.create_user(
        username=username, password="password", first_name=first_name, last_name=last_name
    )


@pytest.fixture
def desk_page(browser: Browser, live_server: object) -> Iterator[tuple[Page, list[str]]]:
    with time_machine.travel(NOW, tick=True):
        context = browser.new_context(
            viewport={"width": 1280, "height": 900},
            locale="en-GB",
            timezone_id="America/New_York",
        )
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.clock.set_fixed_time(NOW)
        problems: list[str] = []

        def on_console(message: ConsoleMessage) -> None:
            # Chromium asks for /favicon.ico, which the site does not serve.
            if message.type == "error" and "favicon" not in message.location.get("url", ""):
                problems.append(message.text)

        page.on("console", on_console)
        page.on("pageerror", lambda error: problems.append(str(error)))
        yield page, problems
        context.close()


def drag_to(page: Page, event_text: str, day: date, at: time) -> None:
    """Drag the event by its top edge onto the slot of ``day`` at ``at``:
    FullCalendar moves it by the distance between the two slots."""
    # The whole day in view: FullCalendar scrolls the page when the pointer
    # nears the window's edge, which would move the target under it.
    page.locator("#calendar").evaluate("el => el.scrollIntoView({block: 'start'})")
    event = page.locator(".fc-timegrid-event", has_text=event_text).first
    source = event.bounding_box()
    column = page.locator(f'td.fc-timegrid-col[data-date="{day:%Y-%m-%d}"]').bounding_box()
    slot = page.locator(f'td.fc-timegrid-slot-lane[data-time="{at:%H:%M:%S}"]').bounding_box()
    assert source and column and slot
    height = page.viewport_size["height"]  # type: ignore[index]
    assert source["y"] > 60 and slot["y"] + slot["height"] < height - 60, (source, slot)
    page.mouse.move(source["x"] + source["width"] / 2, source["y"] + 4)
    page.mouse.down()
    # Past FullCalendar's minimum drag distance first, then across in steps.
    page.mouse.move(source["x"] + source["width"] / 2, source["y"] + 20, steps=5)
    page.mouse.move(column["x"] + column["width"] / 2, slot["y"] + 4, steps=25)
    page.mouse.up()


def test_the_front_desk_books_a_course_and_moves_a_session(
    paris: People, desk_page: tuple[Page, list[str]], live_server
) -> None:
    book_others(paris)
    page, problems = desk_page
    page.goto(live_server.url + "/accounts/login/?next=/staff/")
    page.fill("#id_username", "frontdesk")
    page.fill("#id_password", "password")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(live_server.url + "/staff/test/calendar/?view=week&date=2026-03-02")

    page.get_by_role("link", name="Book a course").first.click()
    page.select_option("#id_patient", str(paris.patient.pk))
    page.select_option("#id_service", "rejuvenation-face")
    page.fill("#id_sessions", "4")
    page.fill("#id_first_earliest", "2026-03-03")
    page.fill("#id_first_latest", "2026-03-06")
    page.get_by_role("button", name="Show proposal").click()
    proposal = page.locator("table.proposal tbody tr")
    expect(proposal).to_have_count(4)
    expect(proposal.first).to_contain_text("10:00")
    page.get_by_role("button", name="Book all 4 sessions").click()

    expect(page.locator("h1")).to_have_text("Facial rejuvenation: face for Pat One")
    expect(page.locator("table.course-sessions tbody tr")).to_have_count(4)
    screenshot(page, "frontdesk-course")
    first = Appointment.objects.get(session_number=1)
    assert first.starts_at == datetime(2026, 3, 3, 10, 0, tzinfo=PARIS)

    page.get_by_role("link", name="See it on the calendar").click()
    expect(page.locator(".fc-timegrid-event")).to_have_count(4)
    event = page.locator(".fc-timegrid-event", has_text="Pat One")
    expect(event).to_have_count(1)  # sessions 2 to 4 fall in later weeks
    # The clinic's 10:00, although the browser's clock is New York's (04:00).
    expect(event).to_contain_text("10:00")
    screenshot(page, "frontdesk-calendar")

    drag_to(page, "Pat One", date(2026, 3, 4), time(15, 0))
    status = page.locator("#calendar-status")
    expect(status).to_contain_text("Moved Pat One")
    # Session 2 (Tuesday 10 March) is now 6 days after session 1: too soon.
    expect(status).to_contain_text("Session 2 no longer fits its window")

    first.refresh_from_db()
    assert first.starts_at == datetime(2026, 3, 4, 15, 0, tzinfo=PARIS)
    latest = first.history.order_by("-history_date", "-history_id").first()
    assert latest.history_change_reason == "Moved from 2026-03-03 10:00 to 2026-03-04 15:00"
    assert latest.history_user == paris.front_desk
    assert first.history.count() == 2

    # The panel: what a click shows, and the link to the course.
    page.locator(".fc-timegrid-event", has_text="Pat One").click()
    panel = page.locator("#appointment-panel")
    expect(panel).to_be_visible()
    expect(panel.locator("[data-field=patient]")).to_have_text("Pat One")
    expect(panel.locator("[data-field=when]")).to_contain_text("15:00–15:45")
    expect(panel.locator("[data-field=course]")).to_have_text("Session 1 of the course")
    expect(panel.locator("[data-link=next]")).to_have_attribute(
        "href", f"/staff/test/courses/{first.course_id}/"
    )
    expect(panel.locator("[data-link=ics]")).to_have_attribute(
        "href", f"/staff/test/appointments/{first.pk}.ics"
    )

    # Check a patient in from the panel: today's 14:00 consultation.
    monday = page.locator('td.fc-timegrid-col[data-date="2026-03-02"]')
    monday.locator(".fc-timegrid-event", has_text="Pat Two").click()
    expect(panel.locator("[data-field=patient]")).to_have_text("Pat Two")
    expect(panel.locator("[data-field=course]")).to_be_hidden()  # not part of a course
    expect(panel.locator("[data-link=next]")).to_have_attribute(
        "href",
        f"/staff/test/appointments/new/?patient={paris.other_patient.pk}"
        f"&service=consultation&practitioner={first.practitioner_id}",
    )
    panel.get_by_role("button", name="Check in").click()
    expect(status).to_have_text("Pat Two is checked in.")
    expect(panel.locator("[data-field=status]")).to_have_text("Checked in")
    expect(panel.get_by_role("button", name="Check in")).to_be_disabled()
    consultation = Appointment.objects.get(patient=paris.other_patient, starts_at__day=2)
    assert consultation.status == "checked_in"
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    assert problems == [], problems


def test_a_refused_move_goes_back_and_says_why(
    paris: People, desk_page: tuple[Page, list[str]], live_server
) -> None:
    clinic = paris.clinic
    doctor = StaffMember.objects.get(clinic=clinic, user=paris.practitioner)
    service = Service.objects.get(key="rejuvenation-face")
    book(
        clinic=clinic,
        patient=paris.patient,
        service=service,
        practitioner_id=doctor.pk,
        start=datetime(2026, 3, 3, 10, 0, tzinfo=PARIS),
        by=paris.front_desk,
    )
    other = book(
        clinic=clinic,
        patient=paris.other_patient,
        service=service,
        practitioner_id=doctor.pk,
        start=datetime(2026, 3, 4, 15, 0, tzinfo=PARIS),
        by=paris.front_desk,
    )
    page, problems = desk_page
    page.goto(live_server.url + "/accounts/login/?next=/staff/test/calendar/%3Fdate%3D2026-03-03")
    page.fill("#id_username", "frontdesk")
    page.fill("#id_password", "password")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".fc-timegrid-event")).to_have_count(2)

    drag_to(page, "Pat One", date(2026, 3, 4), time(15, 0))
    status = page.locator("#calendar-status")
    expect(status).to_contain_text("Not moved")
    expect(status).to_have_class("calendar-status calendar-status-error")
    moved = Appointment.objects.exclude(pk=other.pk).get()
    assert moved.starts_at == datetime(2026, 3, 3, 10, 0, tzinfo=PARIS)
    assert moved.history.count() == 1
    # Reverted on the page too: back on Tuesday.
    tuesday = page.locator('td.fc-timegrid-col[data-date="2026-03-03"]')
    expect(tuesday.locator(".fc-timegrid-event", has_text="Pat One")).to_have_count(1)
    # The browser reports the refused request (409) as a console error; nothing else.
    assert all("409" in p for p in problems), problems
