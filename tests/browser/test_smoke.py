from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot


def test_the_home_page_renders_in_a_real_browser(page: Page, live_server) -> None:
    page.goto(live_server.url + "/")
    expect(page.locator("header .brand")).to_have_text("Mesoclinic")
    screenshot(page, "home")
