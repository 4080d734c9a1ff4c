"""A broken catalog fails loudly, naming the file and the entry.

Each test copies the real data folder, breaks one entry, and loads it. The
entries broken are found in the data rather than named here where they
belong to other files' owners, so the tests follow the catalog as it grows.
"""

from __future__ import annotations

import json
import shutil
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.catalog import CatalogError, load_catalog
from core.catalog.load import DATA_DIR

Data = dict[str, Any]


def _bare_key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else json.dumps(key)


def _inline(value: Any) -> str:
    # Inline TOML: good enough for catalog data (no dates, no multi-line).
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_bare_key(k)} = {_inline(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {value!r} as TOML")


def dump_toml(data: Data) -> str:
    lines = []
    for key, table in data.items():
        lines.append(f"[{_bare_key(key)}]")
        lines += [f"{_bare_key(k)} = {_inline(v)}" for k, v in table.items()]
        lines.append("")
    return "\n".join(lines)


def read(directory: Path, name: str) -> Data:
    return tomllib.loads((directory / f"{name}.toml").read_text(encoding="utf-8"))


def break_catalog(tmp_path: Path, name: str, mutate: Callable[[Data], None]) -> Path:
    """A copy of the real catalog with ``mutate`` applied to ``name``.toml."""
    directory = tmp_path / "data"
    shutil.copytree(DATA_DIR, directory)
    data = read(directory, name)
    mutate(data)
    (directory / f"{name}.toml").write_text(dump_toml(data), encoding="utf-8")
    return directory


def assert_refused(directory: Path, *fragments: str) -> str:
    with pytest.raises(CatalogError) as caught:
        load_catalog(directory)
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    return message


def test_an_untouched_copy_of_the_catalog_loads(tmp_path: Path) -> None:
    # The writer used by these tests changes nothing by itself.
    directory = tmp_path / "data"
    shutil.copytree(DATA_DIR, directory)
    for path in directory.glob("*.toml"):
        path.write_text(dump_toml(read(directory, path.stem)), encoding="utf-8")
    assert load_catalog(directory) == load_catalog()


def _protocol_with_phases(data: Data) -> str:
    return next(k for k, p in data.items() if len(p.get("schedule", [])) >= 2)


def _default_protocol_of(data: Data, indication: str) -> str:
    return next(k for k, p in data.items() if p["indication"] == indication and p.get("default"))


# --- Broken references ------------------------------------------------------


def test_it_refuses_an_indication_with_an_unknown_area(tmp_path: Path) -> None:
    def mutate(d: Data) -> None:
        d["hair_loss"]["areas"].append("elbow")

    assert_refused(
        break_catalog(tmp_path, "indications", mutate), "indications.toml [hair_loss]", "elbow"
    )


def test_it_refuses_an_alternative_for_an_unknown_indication(tmp_path: Path) -> None:
    def mutate(d: Data) -> None:
        d["liposuction"]["indications"].append("knees")

    assert_refused(
        break_catalog(tmp_path, "alternatives", mutate), "alternatives.toml [liposuction]", "knees"
    )


def test_it_refuses_a_side_effect_scoped_to_an_unknown_active(tmp_path: Path) -> None:
    def mutate(d: Data) -> None:
        d["deoxycholate_swelling"]["scope"]["actives"] = ["snake_oil"]

    assert_refused(
        break_catalog(tmp_path, "side_effects", mutate),
        "side_effects.toml [deoxycholate_swelling]",
        "snake_oil",
    )


def test_it_refuses_a_refinement_of_an_unknown_side_effect(tmp_path: Path) -> None:
    def mutate(d: Data) -> None:
        d["deoxycholate_swelling"]["refines"] = "swollen"

    assert_refused(
        break_catalog(tmp_path, "side_effects", mutate),
        "side_effects.toml [deoxycholate_swelling]",
        "swollen",
    )


def test_it_refuses_a_refinement_that_applies_everywhere(tmp_path: Path) -> None:
    def mutate(d: Data) -> None:
        del d["deoxycholate_swelling"]["scope"]

    assert_refused(
        break_catalog(tmp_path, "side_effects", mutate),
        "side_effects.toml [deoxycholate_swelling]",
        "narrower scope",
    )


def test_it_refuses_a_protocol_for_an_unknown_active(tmp_path: Path) -> None:
    key = ""

    def mutate(d: Data) -> None:
        nonlocal key
        key = _default_protocol_of(d, "hair_loss")
        d[key]["actives"].append("unicorn_dust")

    directory = break_catalog(tmp_path, "protocols", mutate)
    assert_refused(directory, f"protocols.toml [{key}]", "unicorn_dust")


# --- Missing and unknown sources -------------------------------------------


def test_it_refuses_a_side_effect_without_sources(tmp_path: Path) -> None:
    def mutate(d: Data) -> None:
        del d["redness"]["sources"]

    assert_refused(
        break_catalog(tmp_path, "side_effects", mutate),
        "side_effects.toml [redness]",
        "missing field 'sources'",
    )


def test_it_refuses_an_empty_list_of_sources(tmp_path: Path) -> None:
    def mutate(d: Data) -> None:
        d["liposuction"]["sources"] = []

    assert_refused(
        break_catalog(tmp_path, "alternatives", mutate),
        "alternatives.toml [liposuction]",
        "every fact names its sources",
    )


def test_it_refuses_an_answer_without_sources(tmp_path: Path) -> None:
    def mutate(d: Data) -> None:
        del d["permanence"]["answers"][1]["sources"]

    assert_refused(
        break_catalog(tmp_path, "topics", mutate),
        "topics.toml [permanence].answers[1]",
        "sources",
    )


def test_it_refuses_an_answer_citing_an_unknown_source(tmp_path: Path) -> None:
    def mutate(d: Data) -> None:
        d["permanence"]["answers"][0]["sources"] = ["Nobody2099"]

    assert_refused(
        break_catalog(tmp_path, "topics", mutate),
        "topics.toml [permanence].answers[0]",
        "unknown source 'Nobody2099'",
    )


def test_it_refuses_a_side_effect_citing_an_unknown_source(tmp_path: Path) -> None:
    def mutate(d: Data) -> None:
        d["mycobacterial_infection"]["sources"].append("Rumour2020")

    assert_refused(
        break_catalog(tmp_path, "side_effects", mutate),
        "side_effects.toml [mycobacterial_infection]",
        "Rumour2020",
    )


def test_it_refuses_two_sources_with_one_citation(tmp_path: Path) -> None:
    def mutate(d: Data) -> None:
        d["palmer_again"] = {"key": "Palmer2006", "title": "A second entry", "kind": "literature"}

    assert_refused(
        break_catalog(tmp_path, "sources", mutate),
        "sources.toml [palmer_again]",
        "'Palmer2006' is used twice",
    )


# --- Impossible ranges and shrinking schedules -----------------------------


def test_it_refuses_an_impossible_range(tmp_path: Path) -> None:
    def mutate(d: Data) -> None:
        d["swelling"]["lasts_hours"] = [5, 3]

    assert_refused(
        break_catalog(tmp_path, "side_effects", mutate),
        "side_effects.toml [swelling]",
        "impossible range [5, 3]",
    )


def test_it_refuses_an_impossible_range_of_sessions(tmp_path: Path) -> None:
    key = ""

    def mutate(d: Data) -> None:
        nonlocal key
        key = _protocol_with_phases(d)
        d[key]["sessions"] = [5, 3]

    directory = break_catalog(tmp_path, "protocols", mutate)
    assert_refused(directory, f"protocols.toml [{key}]", "impossible range [5, 3]")


def test_it_refuses_a_schedule_whose_intervals_shrink(tmp_path: Path) -> None:
    key = ""

    def mutate(d: Data) -> None:
        nonlocal key
        key = _protocol_with_phases(d)
        first = d[key]["schedule"][0]["interval_days"][0]
        d[key]["schedule"][1]["interval_days"] = [max(first - 1, 1), max(first - 1, 1)]
        if first == 1:
            d[key]["schedule"][0]["interval_days"] = [2, 2]

    directory = break_catalog(tmp_path, "protocols", mutate)
    assert_refused(directory, f"protocols.toml [{key}]", "intervals never shrink")


def test_it_refuses_an_effect_that_ends_before_its_peak(tmp_path: Path) -> None:
    def mutate(d: Data) -> None:
        d["bruising"]["lasts_hours"] = [8, 12]

    assert_refused(
        break_catalog(tmp_path, "side_effects", mutate),
        "side_effects.toml [bruising]",
        "ends before peak_hours",
    )


def test_it_refuses_a_review_before_the_effect_has_run_its_course(tmp_path: Path) -> None:
    def mutate(d: Data) -> None:
        d["soreness"]["review_after_hours"] = 12

    assert_refused(
        break_catalog(tmp_path, "side_effects", mutate),
        "side_effects.toml [soreness]",
        "review_after_hours",
    )


def test_it_refuses_an_effect_both_expected_and_a_red_flag(tmp_path: Path) -> None:
    def mutate(d: Data) -> None:
        d["redness"]["red_flag"] = True

    assert_refused(
        break_catalog(tmp_path, "side_effects", mutate),
        "side_effects.toml [redness]",
        "both expected and a red flag",
    )


# --- Misspelt fields --------------------------------------------------------


def test_it_refuses_a_misspelt_field(tmp_path: Path) -> None:
    def mutate(d: Data) -> None:
        d["swelling"]["peak_hour"] = d["swelling"].pop("peak_hours")

    assert_refused(
        break_catalog(tmp_path, "side_effects", mutate),
        "side_effects.toml [swelling]",
        "unknown field(s): peak_hour",
    )


def test_it_refuses_a_misspelt_field_inside_a_scope(tmp_path: Path) -> None:
    def mutate(d: Data) -> None:
        d["scarring_alopecia"]["scope"] = {"area": ["scalp"]}

    assert_refused(
        break_catalog(tmp_path, "side_effects", mutate),
        "side_effects.toml [scarring_alopecia].scope",
        "unknown field(s): area",
    )


def test_it_refuses_a_misspelt_field_in_an_answer(tmp_path: Path) -> None:
    def mutate(d: Data) -> None:
        d["what_is_it"]["answers"][0]["sauces"] = ["Palmer2006"]

    assert_refused(
        break_catalog(tmp_path, "topics", mutate),
        "topics.toml [what_is_it].answers[0]",
        "unknown field(s): sauces",
    )


# --- Defaults and disagreements ---------------------------------------------


def test_it_refuses_an_indication_and_area_without_a_default_protocol(tmp_path: Path) -> None:
    def mutate(d: Data) -> None:
        d[_default_protocol_of(d, "hair_loss")]["default"] = False

    assert_refused(
        break_catalog(tmp_path, "protocols", mutate),
        "protocols.toml",
        "indication 'hair_loss' at area 'scalp' has 0 default protocols",
    )


def test_it_refuses_two_default_protocols_for_one_indication_and_area(tmp_path: Path) -> None:
    def mutate(d: Data) -> None:
        default = _default_protocol_of(d, "hair_loss")
        other = next(k for k, p in d.items() if p["indication"] == "hair_loss" and k != default)
        d[other]["default"] = True

    assert_refused(
        break_catalog(tmp_path, "protocols", mutate),
        "protocols.toml",
        "indication 'hair_loss' at area 'scalp' has 2 default protocols",
    )


def test_it_refuses_sources_differ_when_every_answer_has_the_same_sources(
    tmp_path: Path,
) -> None:
    def mutate(d: Data) -> None:
        d["what_is_it"]["sources_differ"] = True
        for answer in d["what_is_it"]["answers"]:
            answer["sources"] = ["Konda2013"]

    assert_refused(
        break_catalog(tmp_path, "topics", mutate),
        "topics.toml [what_is_it]",
        "sources_differ",
    )


def test_it_refuses_two_questions_in_one_place(tmp_path: Path) -> None:
    def mutate(d: Data) -> None:
        d["permanence"]["order"] = d["what_is_it"]["order"]

    assert_refused(
        break_catalog(tmp_path, "topics", mutate),
        "topics.toml [permanence]",
        f"order {read(DATA_DIR, 'topics')['what_is_it']['order']} is used twice",
    )
