"""The public patient education site: home, treatments, questions, sources."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils.html import escape
from pytest_django.fixtures import Settings as SettingsWrapper

from clinics.models import Clinic
from core.catalog import Catalog
from education.templatetags.catalog_text import source_anchor
from mesoclinic.catalog import get_catalog
from mesoclinic.site import public_clinic

pytestmark = pytest.mark.django_db

FAT_INDICATIONS = ["localised_fat", "body_contouring", "cellulite", "double_chin"]
BAN_TITLE = "Not offered in France"


@pytest.fixture
def catalog() -> Catalog:
    return get_catalog()


def make_clinic(slug: str, country: str, currency: str) -> Clinic:
    return Clinic.objects.create(
        name=f"Clinic {slug}",
        slug=slug,
        country=country,
        currency=currency,
        time_zone="UTC",
    )


@pytest.fixture
def india(settings: SettingsWrapper) -> Clinic:
    settings.MESOCLINIC_PUBLIC_CLINIC = "mumbai"
    return make_clinic("mumbai", "IN", "INR")


@pytest.fixture
def france(settings: SettingsWrapper) -> Clinic:
    # Another clinic first, so the slug (not "the first clinic") decides.
    make_clinic("mumbai", "IN", "INR")
    settings.MESOCLINIC_PUBLIC_CLINIC = "paris"
    return make_clinic("paris", "FR", "EUR")


@pytest.fixture
def usa(settings: SettingsWrapper) -> Clinic:
    settings.MESOCLINIC_PUBLIC_CLINIC = "austin"
    return make_clinic("austin", "US", "USD")


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def sections(html: str, css_class: str) -> list[str]:
    """The HTML of each element whose class list starts with ``css_class``."""
    parts = re.split(rf'<section class="{css_class}\b', html)
    return parts[1:]


# --- Which clinic the site speaks for --------------------------------------


def test_the_public_clinic_is_the_one_named_in_settings(france: Clinic) -> None:
    clinic = public_clinic()
    assert (clinic.slug, clinic.country, clinic.currency) == ("paris", "FR", "EUR")


def test_an_unknown_public_clinic_falls_back_to_the_first_clinic(
    settings: SettingsWrapper,
) -> None:
    first = make_clinic("first", "GB", "GBP")
    make_clinic("second", "FR", "EUR")
    settings.MESOCLINIC_PUBLIC_CLINIC = "nowhere"
    assert public_clinic().slug == first.slug


def test_without_any_clinic_the_site_uses_indian_defaults(client: Client) -> None:
    assert Clinic.objects.count() == 0
    clinic = public_clinic()
    assert (clinic.country, clinic.currency) == ("IN", "INR")
    html = page(client, "/treatments/hair_loss/")
    assert BAN_TITLE not in html


# --- Home -------------------------------------------------------------------


def test_the_home_page_shows_every_indication_and_the_way_to_screening(
    client: Client, india: Clinic, catalog: Catalog
) -> None:
    html = page(client, "/")
    assert '<html lang="en"' in html
    assert "<h1" in html
    for key, indication in catalog.indications.items():
        assert f'href="/treatments/{key}/"' in html
        assert escape(indication.name) in html
    assert 'href="/screening/"' in html
    assert "Check if it may suit you" in html
    assert "The evidence is often weak" in html
    for key in catalog.topics:
        assert f'href="/questions/{key}/"' in html
    assert BAN_TITLE not in html


def test_the_navigation_links_every_public_page_and_keeps_the_language_switch(
    client: Client, india: Clinic
) -> None:
    html = page(client, "/questions/")
    for href in ('href="/#treatments"', 'href="/questions/"', 'href="/sources/"'):
        assert href in html
    assert 'href="/questions/" aria-current="page"' in html
    assert 'id="language-select"' in html
    assert 'action="/i18n/setlang/"' in html
    assert "it does not replace their judgement" in html


def test_the_pages_follow_the_chosen_language(client: Client, india: Clinic) -> None:
    client.post("/i18n/setlang/", {"language": "hi", "next": "/"})
    html = page(client, "/")
    assert '<html lang="hi"' in html


# --- Treatments -------------------------------------------------------------


def test_every_treatment_page_answers_with_its_facts_and_sources(
    client: Client, india: Clinic, catalog: Catalog
) -> None:
    for key, indication in catalog.indications.items():
        html = page(client, f"/treatments/{key}/")
        assert f"<h1>{escape(indication.name)}</h1>" in html
        assert escape(indication.summary) in html
        assert escape(indication.evidence.summary) in html
        for area in indication.areas:
            assert escape(catalog.areas[area].name) in html
        protocol = catalog.default_protocol(key, indication.areas[0])
        assert protocol is not None
        assert escape(protocol.name) in html
        for source in indication.evidence.sources:
            assert f'href="/sources/#{source_anchor(source)}"' in html


def test_an_unknown_treatment_is_not_found(client: Client, india: Clinic) -> None:
    assert client.get("/treatments/knee_fat/").status_code == 404
    assert client.get("/treatments/Hair_Loss/").status_code == 404


def test_the_hair_loss_page_describes_the_tapering_course_in_words(
    client: Client, india: Clinic, catalog: Catalog
) -> None:
    protocol = catalog.default_protocol("hair_loss", "scalp")
    assert protocol is not None
    html = page(client, "/treatments/hair_loss/")
    assert f"Usually {protocol.default_sessions} sessions" in html
    assert "The first session starts the course." in html
    first = protocol.schedule[0].interval_days
    assert f"{first.min}–{first.max} days apart" in html
    assert (
        f"numbing cream for {protocol.numbing_minutes.min}–{protocol.numbing_minutes.max} minutes"
        in html
    )
    assert (
        f"the injections for {protocol.procedure_minutes.min}–"
        f"{protocol.procedure_minutes.max} minutes" in html
    )


def test_the_hair_loss_page_shows_scalp_effects_and_not_chin_effects(
    client: Client, india: Clinic
) -> None:
    html = page(client, "/treatments/hair_loss/")
    assert "Scarring hair loss" in html
    assert "Slow-growing infection" in html
    assert "Difficulty swallowing" not in html
    assert "after deoxycholic acid" not in html


def test_the_double_chin_page_shows_the_deoxycholate_course_of_swelling(
    client: Client, india: Clinic
) -> None:
    html = page(client, "/treatments/double_chin/")
    assert "<h4>Swelling after deoxycholic acid</h4>" in html
    # The refinement replaces the general swelling, whose course is shorter.
    assert "<h4>Swelling</h4>" not in html
    assert "Difficulty swallowing" in html
    assert "Uneven smile" in html
    assert "Scarring hair loss" not in html


def test_a_treatment_page_shows_the_aftercare_that_applies_to_its_areas(
    client: Client, india: Clinic, catalog: Catalog
) -> None:
    scalp_only = [
        r
        for r in catalog.aftercare.values()
        if r.scope.areas == ("scalp",) or r.scope.regions == ("scalp",)
    ]
    everywhere = [r for r in catalog.aftercare.values() if r.scope.is_any]
    hair = page(client, "/treatments/hair_loss/")
    rejuvenation = page(client, "/treatments/facial_rejuvenation/")
    for rule in everywhere:
        assert escape(rule.text) in hair
        assert escape(rule.text) in rejuvenation
    for rule in scalp_only:
        assert escape(rule.text) in hair
        assert escape(rule.text) not in rejuvenation


def test_a_treatment_page_shows_the_price_in_the_clinics_currency(
    client: Client, india: Clinic, catalog: Catalog
) -> None:
    general = [p for p in catalog.prices.values() if p.currency == "INR" and p.scope.is_any]
    if not general:
        pytest.skip("the catalog has no general INR price")
    html = page(client, "/treatments/hair_loss/")
    assert f"₹{general[0].amount.min:,}" in html


def test_a_clinic_without_a_price_in_its_currency_asks_patients_to_ask(
    client: Client, settings: SettingsWrapper, catalog: Catalog
) -> None:
    settings.MESOCLINIC_PUBLIC_CLINIC = "zurich"
    make_clinic("zurich", "CH", "CHF")
    assert not any(p.currency == "CHF" for p in catalog.prices.values())
    html = page(client, "/treatments/hair_loss/")
    assert "Ask the clinic for a price" in html
    assert "₹" not in html


def test_a_treatment_page_lists_its_alternatives(client: Client, india: Clinic) -> None:
    hair = page(client, "/treatments/hair_loss/")
    assert "Platelet-rich plasma (PRP)" in hair
    assert "Minoxidil 5% applied to the scalp" in hair
    assert "Liposuction" not in hair
    fat = page(client, "/treatments/localised_fat/")
    assert "Liposuction" in fat
    assert "A proper diet and regular exercise" in fat


# --- What the clinic's country allows ---------------------------------------


@pytest.mark.parametrize("key", FAT_INDICATIONS)
def test_a_french_clinic_shows_the_ban_on_fat_dissolving_pages(
    client: Client, france: Clinic, key: str
) -> None:
    html = page(client, f"/treatments/{key}/")
    assert '<section class="notice notice-banned"' in html
    assert BAN_TITLE in html
    assert "2011-382" in html
    assert 'href="/sources/#src-Legifrance"' in html
    # A treatment that may not be given gets no price and no course.
    assert 'id="price"' not in html
    assert "is not offered in France" in html


@pytest.mark.parametrize("key", ["hair_loss", "facial_rejuvenation", "pigmentation"])
def test_a_french_clinic_shows_no_ban_on_other_pages(
    client: Client, france: Clinic, key: str
) -> None:
    html = page(client, f"/treatments/{key}/")
    assert BAN_TITLE not in html
    assert "notice-banned" not in html


def test_a_french_clinic_marks_fat_dissolving_cards_on_the_home_page(
    client: Client, france: Clinic, catalog: Catalog
) -> None:
    html = page(client, "/")
    cards = html.split('<li class="card indication-card')[1:]
    marked = {
        key
        for key in catalog.indications
        for card in cards
        if f'href="/treatments/{key}/"' in card and BAN_TITLE in card
    }
    assert marked == set(FAT_INDICATIONS)


def test_an_american_clinic_shows_deoxycholate_approved_only_under_the_chin(
    client: Client, usa: Clinic
) -> None:
    chin = page(client, "/treatments/double_chin/")
    assert "notice-approved" in chin
    assert "Approved in the USA" in chin
    assert "notice-warning" not in chin
    fat = page(client, "/treatments/localised_fat/")
    assert "notice-off_label" in fat
    assert "approved only for some areas" in fat
    assert "Approved only for:" in fat and "Under the chin" in fat
    assert "notice-warning" in fat
    assert "notice-banned" not in fat


# --- Questions ----------------------------------------------------------------


def test_the_questions_page_lists_every_question_in_order(
    client: Client, india: Clinic, catalog: Catalog
) -> None:
    html = page(client, "/questions/")
    positions = [
        html.index(f'href="/questions/{t.key}/"')
        for t in sorted(catalog.topics.values(), key=lambda t: t.order)
    ]
    assert positions == sorted(positions)


def test_every_answer_is_shown_with_its_own_sources(
    client: Client, india: Clinic, catalog: Catalog
) -> None:
    for key, topic in catalog.topics.items():
        html = page(client, f"/questions/{key}/")
        assert escape(topic.question) in html
        shown = sections(html, "card answer")
        assert len(shown) == len(topic.answers), key
        for answer, block in zip(topic.answers, shown, strict=True):
            assert escape(answer.text) in block, key
            for source in answer.sources:
                assert f'href="/sources/#{source_anchor(source)}"' in block, (key, source)


def test_disagreeing_sources_on_permanence_are_shown_side_by_side(
    client: Client, india: Clinic
) -> None:
    html = page(client, "/questions/permanence/")
    assert "The sources do not agree on this." in html
    assert '<div class="answers answers-differ">' in html
    blocks = sections(html, "card answer")
    permanent = next(b for b in blocks if "mostly permanent" in b)
    a_year = next(b for b in blocks if "about a year" in b)
    assert "000_ceb4ff80bd68d871.txt" in permanent
    assert "004_cc642f6ce635f2ff.txt" not in permanent
    assert "004_cc642f6ce635f2ff.txt" in a_year


def test_an_unknown_question_is_not_found(client: Client, india: Clinic) -> None:
    assert client.get("/questions/is-it-magic/").status_code == 404


def test_the_side_effects_question_lists_every_effect_by_urgency(
    client: Client, india: Clinic, catalog: Catalog
) -> None:
    html = page(client, "/questions/side_effects/")
    for se in catalog.side_effects.values():
        assert f"<h4>{escape(se.name)}</h4>" in html
    urgent = html.split('id="effects-urgent"')[1]
    for key in ("mycobacterial_infection", "allergic_reaction"):
        assert escape(catalog.side_effects[key].name) in urgent
    assert "<h4>Redness</h4>" not in urgent


def test_the_who_cannot_question_leads_to_the_questionnaire(client: Client, india: Clinic) -> None:
    html = page(client, "/questions/who_cannot/")
    assert "epilepsy" in html
    assert 'href="/screening/"' in html


def test_the_price_question_shows_the_public_clinics_guide_prices(
    client: Client, india: Clinic, catalog: Catalog
) -> None:
    html = page(client, "/questions/price/")
    assert "₹15,000 to ₹40,000" in html
    if any(p.currency == "INR" for p in catalog.prices.values()):
        assert f"Guide prices at {india.name}" in html


def test_the_alternatives_question_links_each_alternative_to_its_treatments(
    client: Client, india: Clinic
) -> None:
    html = page(client, "/questions/alternatives/")
    lipo = html.split("<h3>Liposuction</h3>")[1].split("</article>")[0]
    assert 'href="/treatments/localised_fat/"' in lipo


def test_the_sessions_question_shows_the_usual_course_of_each_treatment(
    client: Client, india: Clinic, catalog: Catalog
) -> None:
    html = page(client, "/questions/sessions/")
    for key in catalog.indications:
        assert f'href="/treatments/{key}/#course"' in html


# --- Sources ------------------------------------------------------------------


def test_the_sources_page_lists_every_source_with_its_kind_and_an_anchor(
    client: Client, india: Clinic, catalog: Catalog
) -> None:
    html = page(client, "/sources/")
    for source in catalog.sources.values():
        assert f'id="{source_anchor(source.key)}"' in html
        assert escape(source.title) in html
        kind_section = html.split(f'id="kind-{source.kind}"')[1].split("</section>")[0]
        assert source.key in kind_section
    assert "Patient pages from clinics and a health magazine" in html
    assert "Regulators and public health agencies" in html


def test_the_sources_page_links_back_to_the_questions_that_cite_a_source(
    client: Client, india: Clinic
) -> None:
    html = page(client, "/sources/")
    ntm = html.split(f'id="{source_anchor("Ma2024")}"')[1].split("</li>")[0]
    assert 'href="/questions/side_effects/"' in ntm


def test_source_anchors_are_valid_fragment_ids() -> None:
    assert source_anchor("000_ceb4ff80bd68d871.txt") == "src-000_ceb4ff80bd68d871-txt"
    assert source_anchor("ATX100-2017") == "src-ATX100-2017"
