"""The consent texts: what the treatment is, its risks and alternatives from
the catalog with their sources, and a hash that changes with the content."""

from dataclasses import replace

import pytest

from core.catalog import load_catalog
from core.consent import (
    body,
    parse_body,
    photo_consent,
    photo_sections,
    treatment_consent,
    treatment_sections,
)
from core.planning import NotOffered

CATALOG = load_catalog()


def test_the_hair_loss_consent_lists_the_catalogs_side_effects_with_their_sources() -> None:
    content = treatment_consent(CATALOG, "hair_loss", "IN")
    risks = {r.key: r for r in content.risks}
    # Every effect unscoped, or scoped to the scalp, applies; those of
    # deoxycholic acid or fat-dissolving actives (not in any hair protocol) do not.
    expected = {
        key
        for key, se in CATALOG.side_effects.items()
        if not se.scope.actives and (not se.scope.areas or "scalp" in se.scope.areas)
    }
    assert set(risks) == expected
    assert "scarring_alopecia" in risks
    assert "deoxycholate_swelling" not in risks and "dysphagia" not in risks
    for key, risk in risks.items():
        effect = CATALOG.side_effects[key]
        assert risk.sources == effect.sources
        assert risk.advice == effect.advice
        assert risk.see_doctor == effect.see_doctor
    assert risks["redness"].kind == "expected"
    assert [m.render() for m in risks["redness"].usual_course] == ["Usually lasts 2 to 6 hours"]
    assert [m.render() for m in risks["swelling"].usual_course] == ["Usually lasts 2 to 3 days"]
    assert risks["nodules"].kind == "urgent"
    assert risks["rash"].kind == "review"
    assert risks["mycobacterial_infection"].kind == "urgent"
    assert risks["mycobacterial_infection"].usual_course == ()
    # Expected effects first, then those for review, then the red flags.
    kinds = [r.kind for r in content.risks]
    assert kinds == sorted(kinds, key=["expected", "review", "urgent"].index)


def test_the_hair_loss_consent_lists_the_catalogs_alternatives_with_their_sources() -> None:
    content = treatment_consent(CATALOG, "hair_loss", "IN")
    assert [(a.key, a.sources) for a in content.alternatives] == [
        (a.key, a.sources)
        for a in CATALOG.alternatives.values()
        if not a.indications or "hair_loss" in a.indications
    ]
    assert {a.key for a in content.alternatives} == {"prp", "topical_minoxidil"}


def test_the_consent_says_what_the_treatment_is_and_how_strong_the_evidence_is() -> None:
    content = treatment_consent(CATALOG, "hair_loss", "IN")
    hair = CATALOG.indications["hair_loss"]
    assert content.summary == hair.summary and content.summary_sources == hair.sources
    assert content.evidence_level == "limited"
    assert content.evidence_sources == hair.evidence.sources
    taper = content.offered[0]
    assert taper.key == "hair_loss_taper"  # the plan preview's default comes first
    assert taper.sessions.render() == "4 to 12 sessions, usually 7."
    assert [s.render() for s in taper.steps] == [
        "The usual course starts with a first session.",
        "Then 3 more sessions, 7 to 10 days apart.",
        "Then 2 more sessions, 14 days apart.",
        "Then 1 more session, 28 to 31 days later.",
    ]
    assert taper.techniques[0] == CATALOG.techniques["syringe"].name
    assert {o.key for o in content.offered} == {
        p.key for p in CATALOG.protocols_for("hair_loss", "scalp")
    }


def test_every_source_cited_is_listed_once_with_its_title() -> None:
    content = treatment_consent(CATALOG, "hair_loss", "IN")
    keys = [s.key for s in content.sources]
    assert len(keys) == len(set(keys))
    cited = {
        *content.summary_sources,
        *content.evidence_sources,
        *(k for r in content.risks for k in r.sources),
        *(k for a in content.alternatives for k in a.sources),
        *(k for o in content.offered for k in o.sources),
    }
    assert set(keys) == cited
    assert all(s.title == CATALOG.sources[s.key].title for s in content.sources)


def test_the_body_holds_every_risk_and_alternative_with_its_sources() -> None:
    content = treatment_consent(CATALOG, "hair_loss", "IN")
    sections = treatment_sections(content)
    text = body(sections)
    assert parse_body(text) == sections
    for risk in content.risks:
        assert risk.advice in text
        assert ", ".join(risk.sources) in text
    for alternative in content.alternatives:
        assert alternative.compared in text
    headings = [h for h, _ in sections]
    assert headings[0] == "What the treatment is"
    assert "Warning signs: get help quickly" in headings
    assert headings[-2:] == ["Other choices you have", "By signing"]


def test_a_translation_function_translates_every_fixed_phrase_and_catalog_text() -> None:
    content = treatment_consent(CATALOG, "hair_loss", "IN")
    marked = body(treatment_sections(content, lambda text: f"[{text}]"))
    assert "[What the treatment is]" in marked
    assert f"[{CATALOG.side_effects['redness'].advice}]" in marked
    assert "[4 to 12 sessions, usually 7.]" in marked
    assert "[Not having this treatment at all is always a choice.]" in marked


@pytest.mark.parametrize("indication", sorted(CATALOG.indications), ids=str)
def test_every_indications_consent_builds(indication: str) -> None:
    content = treatment_consent(CATALOG, indication, "IN")
    assert content.offered and content.risks
    assert {r.kind for r in content.risks} >= {"expected", "urgent"}
    assert all(r.sources for r in content.risks)
    assert all(a.sources for a in content.alternatives)
    assert len(content.content_hash) == 64
    assert parse_body(body(treatment_sections(content)))


def test_fat_dissolving_treatments_have_their_own_risks() -> None:
    chin = treatment_consent(CATALOG, "double_chin", "IN")
    keys = {r.key for r in chin.risks}
    # A scoped effect replaces the general one it refines (side_effects.toml).
    assert {"deoxycholate_swelling", "dysphagia", "marginal_mandibular_nerve_injury"} <= keys
    assert "swelling" not in keys


def test_a_treatment_the_country_bans_has_no_consent() -> None:
    with pytest.raises(NotOffered) as refusal:
        treatment_consent(CATALOG, "double_chin", "FR")
    assert refusal.value.field == "indication"


def test_the_countrys_rules_are_part_of_the_consent() -> None:
    chin = treatment_consent(CATALOG, "double_chin", "US")
    assert {r.key for r in chin.rules} == {"usa_deoxycholic_acid"}
    assert chin.content_hash != treatment_consent(CATALOG, "double_chin", "IN").content_hash


def test_the_hash_is_stable_and_changes_with_the_content() -> None:
    first = treatment_consent(CATALOG, "hair_loss", "IN").content_hash
    assert treatment_consent(load_catalog(), "hair_loss", "IN").content_hash == first
    redness = replace(CATALOG.side_effects["redness"], advice="Redness, said differently.")
    changed = replace(CATALOG, side_effects={**CATALOG.side_effects, "redness": redness})
    assert treatment_consent(changed, "hair_loss", "IN").content_hash != first
    # A change elsewhere in the catalog leaves this text alone.
    lips = replace(CATALOG.indications["dry_lips"], summary="Another summary.")
    elsewhere = replace(CATALOG, indications={**CATALOG.indications, "dry_lips": lips})
    assert treatment_consent(elsewhere, "hair_loss", "IN").content_hash == first


def test_the_photo_consent_says_what_who_how_and_that_it_may_be_withdrawn() -> None:
    content = photo_consent(["Front", "Left side", "Right side", "Top of the scalp"])
    text = body(photo_sections(content))
    assert "Front, Left side, Right side, Top of the scalp" in text
    assert "Reception staff do not see them" in text
    assert "location and camera details" in text
    assert "withdraw this consent at any time" in text
    assert "does not change your treatment or your care" in text
    assert (
        content.content_hash
        == photo_consent(["Front", "Left side", "Right side", "Top of the scalp"]).content_hash
    )
    assert content.content_hash != photo_consent(["Front"]).content_hash
