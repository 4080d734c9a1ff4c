"""The signature pad in a real browser, under the production
Content-Security-Policy: the patient draws with the pointer, the drawing
goes into the form as a PNG, and the consent is stored with it; an
untouched pad is refused by the server, naming the field."""

from __future__ import annotations

from playwright.sync_api import ConsoleMessage, Page, expect

from clinical.models import Consent
from tests.clinical_factories import make_course
from tests.conftest import People


def log_in(page: Page, url: str) -> None:
    page.goto(url + "/accounts/login/")
    page.fill("#id_username", "practitioner")
    page.fill("#id_password", "password")
    page.locator("main form button[type=submit]").click()


def draw(page: Page) -> None:
    canvas = page.locator("#signature-canvas")
    # The mouse moves in the viewport: the pad is below the consent text.
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 30, box["y"] + box["height"] * 0.7)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(
            box["x"] + 30 + step * 25,
            box["y"] + box["height"] * (0.3 if step % 2 else 0.7),
            steps=3,
        )
    page.mouse.up()


def test_the_patient_signs_on_the_pad(people: People, page: Page, live_server) -> None:
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # The site has no favicon, and the refused signing below is a 400 on purpose.
        expected = message.location["url"].endswith("/favicon.ico") or "status of 400" in (
            message.text
        )
        if message.type == "error" and not expected:
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    course = make_course(people.patient, people.practitioner)
    log_in(page, live_server.url)
    consent_url = (
        f"{live_server.url}/staff/test/patients/{people.patient.pk}/record/"
        f"courses/{course.pk}/consent/"
    )
    page.goto(consent_url)
    expect(page.locator("h2#consent-text-title")).to_contain_text("Hair loss")
    expect(page.locator("#signature-status")).to_have_text("The box is empty.")

    # Signing with an untouched pad: the server refuses, naming the field.
    page.fill("#id_typed_name", "Pat One")
    page.get_by_role("button", name="I agree and sign").click()
    expect(page.locator('[data-field="signature"]')).to_be_visible()
    assert Consent.objects.count() == 0

    draw(page)
    expect(page.locator("#signature-status")).to_have_text("Signature drawn.")
    value = page.locator("#id_signature").input_value()
    assert value.startswith("data:image/png;base64,")
    page.get_by_role("button", name="Clear the signature").click()
    assert page.locator("#id_signature").input_value() == ""
    draw(page)
    page.get_by_role("button", name="I agree and sign").click()

    expect(page.locator("h1")).to_contain_text("Consent to mesotherapy for Hair loss")
    consent = Consent.objects.get()
    assert consent.typed_name == "Pat One"
    assert bytes(consent.signature_png).startswith(b"\x89PNG")
    assert consent.witnessed_by == people.practitioner
    # The signature image loads through its access-checked view.
    page.wait_for_function(
        "() => { const img = document.querySelector('img.signature-image');"
        " return img !== null && img.complete && img.naturalWidth > 0; }"
    )
    assert problems == []
