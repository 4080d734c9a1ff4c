"""A prospective patient on the public site, in a real headless Chromium."""

import re
from datetime import date, timedelta

from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot

DEVANAGARI = re.compile("[\u0900-\u097f]")


def answer_every_visible_question_no(page: Page) -> None:
    for fieldset in page.locator("fieldset.question-bool:visible").all():
        fieldset.locator("input[value=no]").check()


def test_a_patient_reads_in_hindi_and_screens_herself(page: Page, live_server) -> None:
    page.goto(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Mesotherapy, explained")
    screenshot(page, "home")

    # The switcher submits on change (progressive enhancement).
    page.select_option("#language-select", "hi")
    expect(page.locator("html")).to_have_attribute("lang", "hi")
    expect(page.locator("h1")).to_have_text(DEVANAGARI)
    screenshot(page, "home-hindi")

    page.locator("a[href='/screening/']").first.click()
    expect(page).to_have_url(live_server.url + "/screening/")
    page.select_option("select[name=indication]", "hair_loss")
    page.select_option("select[name=area]", "scalp")
    planned = date.today() + timedelta(days=14)
    page.fill("input[name=planned_date]", planned.isoformat())
    answer_every_visible_question_no(page)
    page.locator("#question-pregnant input[value=yes]").check()
    page.locator("form[data-screening] button[type=submit]").click()

    verdict = page.locator("#verdict")
    expect(verdict).to_have_class(re.compile(r"\bverdict-not_eligible\b"))
    expect(verdict).to_have_text(DEVANAGARI)
    expect(page.locator("#finding-pregnancy")).to_be_visible()
    expect(page.locator("#finding-pregnancy .sources")).to_contain_text("003_a19211cc0e41e4e0.txt")
    expect(page.locator("#disclaimer")).to_have_text(DEVANAGARI)
    page.locator("#result").scroll_into_view_if_needed()
    screenshot(page, "screening-verdict-hindi")


def test_a_recent_aspirin_defers_the_session_to_a_week_after_it(page: Page, live_server) -> None:
    page.goto(live_server.url + "/screening/")
    page.select_option("select[name=indication]", "facial_rejuvenation")
    page.select_option("select[name=area]", "face")
    planned = date.today() + timedelta(days=3)
    page.fill("input[name=planned_date]", planned.isoformat())
    answer_every_visible_question_no(page)
    last_dose = date.today() - timedelta(days=1)
    page.fill("#medicine-aspirin input[type=date]", last_dose.isoformat())
    page.locator("form[data-screening] button[type=submit]").click()

    expect(page.locator("#verdict")).to_have_class(re.compile(r"\bverdict-defer\b"))
    expect(page.locator("#finding-aspirin")).to_be_visible()
    earliest = last_dose + timedelta(days=7)
    expect(page.locator("#earliest-date")).to_contain_text(str(earliest.year))
    screenshot(page, "screening-defer")


def test_a_patient_reads_a_treatment_and_its_questions(page: Page, live_server) -> None:
    page.goto(live_server.url + "/treatments/hair_loss/")
    expect(page.locator("h1")).to_have_text("Hair loss (alopecia)")
    expect(page.locator("body")).to_contain_text("Limited evidence")
    screenshot(page, "treatment-hair-loss")
    page.goto(live_server.url + "/questions/")
    expect(page.locator("h1")).to_be_visible()
    screenshot(page, "questions")


def test_a_patient_previews_a_course(page: Page, live_server) -> None:
    page.goto(live_server.url + "/plan/")
    page.select_option("select[name=treatment]", "hair_loss:scalp")
    page.fill("input[name=start_date]", (date.today() + timedelta(days=7)).isoformat())
    page.locator("form.plan-form button[type=submit]").click()
    expect(page.locator("body")).to_contain_text("Hair mesotherapy cocktail, tapering course")
    screenshot(page, "plan-preview")
