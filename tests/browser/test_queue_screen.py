"""The waiting room's screen in a real browser: it refreshes its numbers
from state.json without reloading, under the production
Content-Security-Policy (DEBUG is off), and shows no names.

Playwright's fake clock fires the refresh timer: no sleeping."""

from __future__ import annotations

from playwright.sync_api import ConsoleMessage, Page, expect

from tests.browser.conftest import screenshot
from tests.conftest import People
from tokens.models import Token, TokenStatus


def test_the_screen_refreshes_itself_without_reloading(
    people: People, page: Page, live_server
) -> None:
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # The site has no favicon; anything else failing is a problem.
        if message.type == "error" and not message.location["url"].endswith("/favicon.ico"):
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    clinic, today = people.clinic, people.clinic.today()
    for number, name in [(1, "Asha Verma"), (2, "Ravi Nair")]:
        Token.objects.create(clinic=clinic, day=today, number=number, name=name)

    page.clock.install()
    page.goto(live_server.url + "/queue/test/")
    waiting = page.locator("[data-waiting] li")
    expect(waiting).to_have_text(["1", "2"])
    page.evaluate("window.notReloaded = true")

    Token.objects.filter(clinic=clinic, number=1).update(status=TokenStatus.LEFT)
    Token.objects.create(clinic=clinic, day=today, number=3, name="Meena Iyer")
    page.clock.run_for(6_000)
    expect(waiting).to_have_text(["2", "3"])
    assert page.evaluate("window.notReloaded") is True
    expect(page.locator("[data-serving-empty]")).to_be_visible()
    for name in ("Asha", "Ravi", "Meena"):
        expect(page.locator("body")).not_to_contain_text(name)
    assert problems == []
    screenshot(page, "queue-screen")
