"""The real knowledge catalog: it loads, every fact names sources that exist,
and the content the seeds and DOMAIN.md call for is there."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.catalog import Catalog, load_catalog
from core.catalog.load import DATA_DIR

REPO = Path(__file__).resolve().parents[2]
# CI checks out shared/ beside the repository, as on the development machine.
SEEDS = REPO.parent / "shared" / "seeds"

SEED_000 = "000_ceb4ff80bd68d871.txt"
SEED_001 = "001_86e63943bbc55325.txt"
SEED_002 = "002_0cdfa1e04410799f.txt"
SEED_003 = "003_a19211cc0e41e4e0.txt"
SEED_004 = "004_cc642f6ce635f2ff.txt"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def citations(value: Any, path: str) -> Iterator[tuple[str, tuple[str, ...]]]:
    """Every (where, sources) pair inside a catalog entry, however nested."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            if f.name == "sources":
                yield f"{path}.sources", item
            elif f.name == "alternatives_pause_days":
                for n, (_days, sources) in enumerate(item):
                    yield f"{path}.{f.name}[{n}]", sources
            else:
                yield from citations(item, f"{path}.{f.name}")
    elif isinstance(value, tuple | list):
        for n, item in enumerate(value):
            yield from citations(item, f"{path}[{n}]")


FACT_KINDS = [f.name for f in dataclasses.fields(Catalog) if f.name not in {"sources", "texts"}]


def test_the_real_catalog_loads(catalog: Catalog) -> None:
    for kind in FACT_KINDS:
        assert getattr(catalog, kind), f"{kind} is empty"


@pytest.mark.parametrize("kind", FACT_KINDS)
def test_every_fact_names_at_least_one_source_that_exists(catalog: Catalog, kind: str) -> None:
    for key, entry in getattr(catalog, kind).items():
        found = list(citations(entry, f"{kind}[{key}]"))
        assert found, f"{kind}[{key}] cites nothing"
        for where, sources in found:
            assert sources, f"{where} is empty"
            unknown = [s for s in sources if s not in catalog.sources]
            assert not unknown, f"{where} cites unknown {unknown}"


def test_every_seed_source_is_a_file_in_the_seeds_folder(catalog: Catalog) -> None:
    if not SEEDS.is_dir():
        pytest.skip(f"{SEEDS} is not here (shared/ beside the repository)")
    seeds = {s.key for s in catalog.sources.values() if s.kind == "seed"}
    on_disk = {p.name for p in SEEDS.iterdir() if p.is_file()}
    assert seeds, "sources.toml lists no seed"
    assert seeds - on_disk == set()
    # And the other way round: no seed document is left out of the catalog.
    assert on_disk - seeds == set()


def test_every_seed_is_cited_by_some_fact(catalog: Catalog) -> None:
    cited = {
        s
        for kind in FACT_KINDS
        for key, entry in getattr(catalog, kind).items()
        for _where, sources in citations(entry, key)
        for s in sources
    }
    seeds = {s.key for s in catalog.sources.values() if s.kind == "seed"}
    assert seeds - cited == set()


def test_the_data_folder_holds_only_catalog_files() -> None:
    names = {p.stem for p in DATA_DIR.glob("*.toml")}
    assert names == set(FACT_KINDS) | {"sources"}


# --- Side effects -----------------------------------------------------------


def test_every_side_effect_of_the_seeds_and_domain_notes_is_in_the_catalog(
    catalog: Catalog,
) -> None:
    assert set(catalog.side_effects) >= {
        # seeds
        "redness",
        "stinging",
        "soreness",
        "swelling",
        "bruising",
        "itching",
        "bumps",
        "nausea",
        "rash",
        "skin_sensitivity",
        "dark_patches",
        "scars",
        "infection",
        "nodules",
        # DOMAIN.md
        "mycobacterial_infection",
        "allergic_reaction",
        "granulomas",
        "fat_necrosis",
        "skin_ulceration",
        "marginal_mandibular_nerve_injury",
        "dysphagia",
        "deoxycholate_swelling",
        "deoxycholate_bruising",
        "deoxycholate_pain",
        "deoxycholate_numbness",
        "scarring_alopecia",
    }


def test_redness_settles_within_hours_as_the_seeds_say(catalog: Catalog) -> None:
    redness = catalog.side_effects["redness"]
    assert redness.expected and not redness.red_flag
    assert redness.lasts_hours is not None
    # 001 says up to 2-3 hours, 003 says 4-6 hours: both are kept.
    assert (redness.lasts_hours.min, redness.lasts_hours.max) == (2, 6)
    assert {SEED_001, SEED_003} <= set(redness.sources)


def test_swelling_and_bruising_peak_at_8_to_24_hours_and_last_2_to_3_days(
    catalog: Catalog,
) -> None:
    for key in ("swelling", "bruising"):
        se = catalog.side_effects[key]
        assert se.expected, key
        assert se.peak_hours is not None and se.lasts_hours is not None
        assert (se.peak_hours.min, se.peak_hours.max) == (8, 24), key
        assert (se.lasts_hours.min, se.lasts_hours.max) == (48, 72), key
        assert SEED_001 in se.sources
        assert "cold compress" in se.advice.lower()


def test_soreness_and_bruising_past_a_week_go_to_a_dermatologist(catalog: Catalog) -> None:
    for key in ("soreness", "bruising"):
        se = catalog.side_effects[key]
        assert se.review_after_hours == 7 * 24, key
        assert "dermatologist" in se.see_doctor
        assert SEED_004 in se.sources


def test_mycobacterial_infection_is_a_red_flag_from_one_to_twelve_weeks(
    catalog: Catalog,
) -> None:
    ntm = catalog.side_effects["mycobacterial_infection"]
    assert ntm.red_flag and not ntm.expected
    assert (ntm.onset_hours.min, ntm.onset_hours.max) == (7 * 24, 12 * 7 * 24)
    assert set(ntm.sources) == {"Ma2024", "Zeng2025", "MMWR2005"}


def test_red_flags_are_the_serious_ones(catalog: Catalog) -> None:
    red = {k for k, se in catalog.side_effects.items() if se.red_flag}
    assert red == {
        "mycobacterial_infection",
        "allergic_reaction",
        "skin_ulceration",
        "dysphagia",
        # Signs of infection and nodules reach the clinic at once (triage).
        "infection",
        "nodules",
    }


def test_effects_that_are_neither_expected_nor_red_flags_go_for_review(catalog: Catalog) -> None:
    for key in ("nausea", "rash", "dark_patches", "scars", "granulomas"):
        se = catalog.side_effects[key]
        assert not se.expected and not se.red_flag, key
        assert se.see_doctor, key


def test_deoxycholate_effects_apply_only_after_deoxycholate(catalog: Catalog) -> None:
    for key in ("deoxycholate_swelling", "deoxycholate_bruising", "deoxycholate_pain"):
        se = catalog.side_effects[key]
        assert se.scope.actives == ("deoxycholate",), key
        assert se.refines, key
        assert "KybellaLabel" in se.sources
    for key in ("marginal_mandibular_nerve_injury", "dysphagia"):
        se = catalog.side_effects[key]
        assert se.scope.actives == ("deoxycholate",)
        assert se.scope.areas == ("submental",)
    swelling = catalog.side_effects["deoxycholate_swelling"]
    assert swelling.review_after_hours == 185  # mean 7.7 days, ATX100-2017
    assert "87%" in swelling.advice
    assert "28.5 days" in catalog.side_effects["deoxycholate_numbness"].advice
    assert "4%" in catalog.side_effects["marginal_mandibular_nerve_injury"].advice
    assert "2%" in catalog.side_effects["dysphagia"].advice


def test_deoxycholate_swelling_replaces_ordinary_swelling_only_where_deoxycholate_is_used(
    catalog: Catalog,
) -> None:
    swelling = catalog.side_effects["deoxycholate_swelling"]
    assert swelling.refines == "swelling"
    assert swelling.scope.matches("double_chin", "submental", "face", ("deoxycholate",))
    assert not swelling.scope.matches("hair_loss", "scalp", "scalp", ("vitamins",))


def test_scarring_alopecia_applies_only_to_the_scalp_up_to_a_year_later(
    catalog: Catalog,
) -> None:
    se = catalog.side_effects["scarring_alopecia"]
    assert se.scope.areas == ("scalp",)
    assert se.onset_hours.max == 365 * 24
    assert se.sources == ("DuqueEstrada2009",)


# --- Alternatives -----------------------------------------------------------


def test_the_alternatives_of_the_seeds_are_there_with_their_indications(
    catalog: Catalog,
) -> None:
    alt = catalog.alternatives
    assert set(alt) >= {
        "liposuction",
        "botulinum_toxin",
        "fillers",
        "prp",
        "topical_minoxidil",
        "diet_and_exercise",
    }
    assert "localised_fat" in alt["liposuction"].indications
    assert "USD 3,000" in alt["liposuction"].compared
    assert "month and a half" in alt["liposuction"].compared
    assert {SEED_000, SEED_004} <= set(alt["liposuction"].sources)
    assert alt["topical_minoxidil"].indications == ("hair_loss",)
    assert alt["topical_minoxidil"].sources == ("Gajjar2019",)
    assert "hair_loss" in alt["prp"].indications
    assert "not a filler" in alt["fillers"].compared
    assert "facial_rejuvenation" in alt["botulinum_toxin"].indications


# --- Topics -----------------------------------------------------------------


def test_the_questions_patients_ask_are_all_answered(catalog: Catalog) -> None:
    assert set(catalog.topics) >= {
        "what_is_it",
        "how_is_it_done",
        "who_can_have_it",
        "who_cannot",
        "side_effects",
        "aftercare",
        "recovery",
        "price",
        "permanence",
        "alternatives",
        "sessions",
        "evidence",
        "preparing",
    }
    orders = [t.order for t in catalog.topics.values()]
    assert len(orders) == len(set(orders))


def test_permanence_keeps_the_disagreeing_sources_side_by_side(catalog: Catalog) -> None:
    topic = catalog.topics["permanence"]
    assert topic.sources_differ
    permanent = [a for a in topic.answers if "permanent" in a.text]
    a_year = [a for a in topic.answers if "about a year" in a.text]
    assert len(permanent) == 1 and len(a_year) == 1
    assert SEED_000 in permanent[0].sources and SEED_004 not in permanent[0].sources
    assert a_year[0].sources == (SEED_004,)
    assert "once-in-a-lifetime" in a_year[0].text


def test_who_cannot_have_it_names_the_seed_contraindications_in_plain_words(
    catalog: Catalog,
) -> None:
    text = " ".join(a.text for a in catalog.topics["who_cannot"].answers)
    for words in ("pregnancy", "breastfeeding", "infected", "diabetes", "haemophilia"):
        assert words in text
    assert "epilepsy" in text
    assert "clinic checks" in text


def test_preparing_never_tells_a_patient_to_stop_a_prescribed_medicine(
    catalog: Catalog,
) -> None:
    answers = catalog.topics["preparing"].answers
    text = " ".join(a.text for a in answers)
    assert "aspirin" in text and "NSAIDs" in text and "alcohol" in text
    assert "Never stop a prescribed medicine" in text
    assert "prescribed it decides" in text


def test_the_evidence_answer_says_it_is_often_weak_citing_the_seeds(catalog: Catalog) -> None:
    topic = catalog.topics["evidence"]
    assert topic.sources_differ
    cited = {s for a in topic.answers for s in a.sources}
    assert {SEED_000, SEED_002, SEED_004} <= cited
    assert "weak" in topic.answers[0].text


def test_the_how_is_it_done_answer_gives_the_seed_timings(catalog: Catalog) -> None:
    text = " ".join(a.text for a in catalog.topics["how_is_it_done"].answers)
    assert "20 to 30 minutes" in text
    assert "15 to 45 minutes" in text
    for device in ("syringe", "gun", "Dermapen", "needle-free"):
        assert device in text


def test_catalog_texts_for_translation_include_answers_and_alternatives(
    catalog: Catalog,
) -> None:
    texts = set(catalog.texts)
    assert catalog.topics["permanence"].question in texts
    assert catalog.topics["permanence"].answers[0].text in texts
    assert catalog.alternatives["liposuction"].compared in texts
    assert catalog.side_effects["mycobacterial_infection"].advice in texts
