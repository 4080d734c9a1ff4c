"""What the clinic's staff see after a session, in a real browser under the
production Content-Security-Policy: the aftercare sheet, the outbox with
the follow-ups waiting for their day, the stock with its lists, a device's
cleaning log and a lot recall with everyone who received the lot. The
screenshots are the README's."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from playwright.sync_api import ConsoleMessage, Page, expect

from clinics.models import Device, DeviceKind
from messaging.models import Message
from stock.models import Product
from tests.browser.conftest import screenshot
from tests.clinical_factories import clean_device
from tests.conftest import People
from tests.safety_support import charted_session


def test_the_practitioner_and_manager_pages_after_a_session(
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
    people.patient.email = "meera@example.com"
    people.patient.save()
    session = charted_session(people, end=timezone.now() - timedelta(hours=2))
    Product.objects.filter(clinic=people.clinic).update(reorder_level=50)
    gun = Device.objects.create(clinic=people.clinic, name="Gun 1", kind=DeviceKind.INJECTOR_GUN)
    clean_device(gun, people.practitioner, at=timezone.now() - timedelta(hours=3), cycle="C-41")

    page.goto(f"{live_server.url}/accounts/login/?next=/accounts/home/")
    page.fill("#id_username", "manager")
    page.fill("#id_password", "password")
    page.locator("main form button[type=submit]").click()

    # The aftercare sheet of the scalp session: no washing for 24 hours.
    record = f"/staff/test/patients/{people.patient.pk}/record"
    page.goto(f"{live_server.url}{record}/charts/{session.chart.pk}/aftercare/")
    expect(page.locator("main")).to_contain_text("Do not wash your hair for 24 hours")
    screenshot(page, "aftercare-sheet")

    # The outbox: the aftercare and every follow-up, each at its time.
    page.goto(f"{live_server.url}/staff/test/outbox/")
    steps = set(
        Message.objects.filter(kind="follow_up", patient=people.patient).values_list(
            "step", flat=True
        )
    )
    assert steps == {"day_1", "day_3", "week_1", "week_4", "week_8", "week_12"}
    expect(page.locator("main")).to_contain_text("meera@example.com")
    screenshot(page, "outbox")

    # Stock: the lots used at the session, below their reorder level.
    page.goto(f"{live_server.url}/staff/test/stock/")
    expect(page.locator("main")).to_contain_text(session.lots[0].number)
    screenshot(page, "stock")

    page.goto(f"{live_server.url}/staff/test/stock/devices/{gun.pk}/")
    expect(page.locator("main")).to_contain_text("C-41")

    # A lot recall lists the patient who received it.
    page.goto(f"{live_server.url}/staff/test/stock/lots/{session.lots[0].pk}/recall/")
    page.locator("textarea").first.fill("The maker recalls this lot: contamination suspected.")
    page.locator("main form button[type=submit]").last.click()
    expect(page.locator("main")).to_contain_text("Iyer")
    screenshot(page, "recall")
    assert problems == []
