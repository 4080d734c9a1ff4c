"""A patient follows their follow-up link in a real browser, reports a side
effect with a photo and sees the advice; then the practitioner finds the
report on the review list and opens it. Under the production
Content-Security-Policy (no inline script), with screenshots for the
README."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from PIL import Image, ImageDraw
from playwright.sync_api import ConsoleMessage, Page, expect

from safety.models import AdverseEvent, EventPhoto
from tests.browser.conftest import screenshot
from tests.conftest import People
from tests.safety_support import charted_session


def bruise_photo() -> bytes:
    image = Image.new("RGB", (480, 360), (226, 196, 178))
    ImageDraw.Draw(image).ellipse((180, 120, 300, 220), fill=(120, 80, 120))
    out = io.BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


def test_a_patient_reports_a_side_effect_and_the_practitioner_finds_it(
    people: People, page: Page, live_server: Any
) -> None:
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and not message.location["url"].endswith("/favicon.ico"):
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))

    people.clinic.phone = "+91 80 4000 1234"
    people.clinic.save()
    people.patient.first_name, people.patient.last_name = "Meera", "Iyer"
    people.patient.save()
    # The session was nine days ago; the link came in the one-week check-in.
    nine_days_ago = timezone.now() - timedelta(days=9)
    session = charted_session(people, end=nine_days_ago)

    # The patient opens the link from the message.
    page.goto(f"{live_server.url}/follow-up/{session.link.token}/?step=week_1")
    expect(page.get_by_role("heading", name="How are you after your session?")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Test Clinic")
    page.get_by_role("link", name="Report a problem").click()

    # What, where, since when, how bad, and a photo.
    expect(page.get_by_role("heading", name="Report a problem")).to_be_visible()
    page.get_by_label("Bruising").check()
    page.get_by_label("Where on the body").fill("Crown of the head")
    since = (nine_days_ago + timedelta(hours=5)).astimezone(ZoneInfo(people.clinic.time_zone))
    page.fill("#report-started-date", since.date().isoformat())
    page.fill("#report-started-time", since.strftime("%H:%M"))
    page.get_by_label("Moderate: it bothers me").check()
    page.set_input_files(
        "#report-photos",
        files=[{"name": "bruise.jpg", "mimeType": "image/jpeg", "buffer": bruise_photo()}],
    )
    # The page's script shows the photo chosen (progressive enhancement).
    expect(page.locator("#photo-previews img")).to_have_count(1)
    screenshot(page, "follow-up-report")
    page.get_by_role("button", name="Send to the clinic").click()

    # The advice: a practitioner looks within a day; what to watch for.
    expect(page.get_by_role("heading", name="What to do now")).to_be_visible()
    expect(page.locator("#review-soon")).to_contain_text(
        "A practitioner will look at this within a day."
    )
    expect(page.locator("#when-to-call")).to_contain_text("If a bruise shows no improvement")
    expect(page.locator("#supports-judgement")).to_contain_text(
        "does not replace, your practitioner's judgement"
    )
    screenshot(page, "follow-up-advice")
    event = AdverseEvent.objects.get()
    assert (event.effect, event.level, event.status) == ("bruising", "review", "open")
    assert event.site == "Crown of the head" and EventPhoto.objects.filter(event=event).count() == 1

    # The practitioner logs in and finds it on the review list.
    page.goto(f"{live_server.url}/accounts/login/?next=/staff/test/safety/")
    page.fill("#id_username", "practitioner")
    page.fill("#id_password", "password")
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_role("heading", name="Adverse events to review")).to_be_visible()
    row = page.locator(f"#event-{event.pk}")
    expect(row).to_contain_text("Meera Iyer")
    expect(row).to_contain_text("Bruising")
    screenshot(page, "review-list")
    row.get_by_role("link", name="Meera Iyer").click()
    expect(page.locator("#event-effect")).to_have_text("Bruising")
    expect(page.locator("#triage-reasons")).to_contain_text("is still there")
    expect(page.locator("#event-lots")).to_contain_text(session.lots[0].number)
    expect(page.locator("#event-photos img")).to_have_count(1)
    assert page.locator("#event-photos img").evaluate("img => img.naturalWidth") > 0
    assert problems == []
