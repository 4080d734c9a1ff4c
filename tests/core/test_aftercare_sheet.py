"""The aftercare sheet: what to do and avoid (until when), what is normal,
when to call the clinic, and the sources, all from the catalog's rules."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.aftercare import Sheet, sheet
from core.catalog import load_catalog

CATALOG = load_catalog()
# 17:40 at a clinic in India (UTC+05:30).
IST = timezone(timedelta(hours=5, minutes=30))
END = datetime(2030, 1, 7, 17, 40, tzinfo=IST)


def make(indication: str, area: str, actives: tuple[str, ...] = ()) -> Sheet:
    return sheet(CATALOG, indication, area, actives, END)


def rules(content: Sheet) -> dict[str, tuple[str, int | None, datetime | None]]:
    return {i.key: (i.text, i.hours, i.ends_at) for i in content.do_and_avoid}


def test_a_scalp_session_says_no_washing_for_24_hours_until_the_next_day() -> None:
    content = make("hair_loss", "scalp")
    assert rules(content)["scalp_no_washing"] == (
        "Do not wash your hair for 24 hours after a hair mesotherapy session.",
        24,
        datetime(2030, 1, 8, 17, 40, tzinfo=IST),
    )
    assert [i.key for i in content.timed] == ["scalp_no_washing", "scalp_no_medicine_or_oil"]
    assert "face_no_sun" not in rules(content)


@pytest.mark.parametrize("area", ["face", "around_eyes", "lips", "submental"])
def test_a_face_session_says_no_sun_for_72_hours(area: str) -> None:
    content = make("facial_rejuvenation", area)
    text, hours, until = rules(content)["face_no_sun"]
    assert (hours, until) == (72, datetime(2030, 1, 10, 17, 40, tzinfo=IST))
    assert text == "Keep out of direct sun for 72 hours after a face mesotherapy session."
    assert "scalp_no_washing" not in rules(content)


def test_the_neck_is_not_the_face() -> None:
    content = make("facial_rejuvenation", "neck")
    assert content.timed == ()
    assert list(rules(content)) == [
        "no_pressure",
        "cold_compress",
        "no_scratching",
        "daily_activities",
    ]


def test_rules_without_a_fixed_time_have_no_end() -> None:
    content = make("hair_loss", "scalp")
    assert rules(content)["no_pressure"] == ("Do not press on the injection sites.", None, None)


def test_what_is_normal_lists_the_expected_effects_with_their_usual_course() -> None:
    content = make("hair_loss", "scalp")
    normal = {n.key: n for n in content.normal}
    assert list(normal) == [
        "redness",
        "stinging",
        "soreness",
        "swelling",
        "bruising",
        "itching",
        "bumps",
    ]
    assert normal["redness"].name == "Redness"
    assert normal["redness"].advice == CATALOG.side_effects["redness"].advice
    assert [m.render() for m in normal["redness"].usual_course] == ["Usually lasts 2 to 6 hours"]
    assert [m.render() for m in normal["swelling"].usual_course] == ["Usually lasts 2 to 3 days"]
    # The sources give no course for bumps: the advice says all they say.
    assert normal["bumps"].usual_course == ()


def test_deoxycholate_effects_replace_the_general_ones() -> None:
    content = make("double_chin", "submental", ("deoxycholate",))
    normal = [n.key for n in content.normal]
    assert normal == [
        "redness",
        "stinging",
        "itching",
        "bumps",
        "deoxycholate_swelling",
        "deoxycholate_bruising",
        "deoxycholate_pain",
        "deoxycholate_numbness",
    ]
    assert not {"swelling", "bruising", "soreness"} & set(normal)
    calls = [c.key for c in content.call]
    assert "dysphagia" in calls
    assert "marginal_mandibular_nerve_injury" in calls
    # Without deoxycholate, the same area has the general course.
    plain = [n.key for n in make("double_chin", "submental").normal]
    assert {"swelling", "bruising", "soreness"} <= set(plain)
    assert "dysphagia" not in [c.key for c in make("double_chin", "submental").call]


def test_when_to_call_puts_the_red_flags_first_then_the_clinics_rules() -> None:
    content = make("hair_loss", "scalp")
    levels = [c.level for c in content.call]
    urgent = levels.count("urgent")
    assert urgent > 0
    assert levels == ["urgent"] * urgent + ["call"] * (len(levels) - urgent)
    assert {c.key for c in content.urgent} == {
        k for k, se in CATALOG.side_effects.items() if se.red_flag and not se.scope.actives
    }
    calls = {c.key: c for c in content.call}
    assert calls["call_if_lasting"].text == (
        "Call the clinic if soreness or bruising has not improved after a week."
    )
    assert calls["call_if_lasting"].level == "call"
    assert calls["call_if_disrupting"].level == "call"
    # The call rules are not repeated among what to do and avoid.
    assert not [k for k in rules(content) if k.startswith("call_")]
    # An effect's reason to call is its own "see a doctor" text.
    myco = calls["mycobacterial_infection"]
    assert myco.text == CATALOG.side_effects["mycobacterial_infection"].see_doctor
    assert myco.name == "Slow-growing infection (non-tuberculous mycobacteria)"
    # Effects that are not expected (and not red flags) follow the rules.
    assert calls["scarring_alopecia"].level == "call"
    assert list(calls).index("scarring_alopecia") > list(calls).index("call_if_lasting")


def test_the_sources_are_every_source_cited_once_in_order() -> None:
    content = make("hair_loss", "scalp")
    cited = [
        *(s for i in content.do_and_avoid for s in i.sources),
        *(s for n in content.normal for s in n.sources),
        *(s for c in content.call for s in c.sources),
    ]
    assert [s.key for s in content.sources] == list(dict.fromkeys(cited))
    assert content.sources[0].key == "003_a19211cc0e41e4e0.txt"


def test_a_melasma_course_with_tranexamic_acid_is_asked_back_for_a_check() -> None:
    content = make("pigmentation", "face", ("tranexamic_acid",))
    assert "melasma_relapse_check" in rules(content)
    assert "melasma_relapse_check" not in rules(make("pigmentation", "face", ("vitamin_c",)))


def test_a_session_end_without_a_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        sheet(CATALOG, "hair_loss", "scalp", (), datetime(2030, 1, 7, 12, 0))


def test_an_unknown_area_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        make("hair_loss", "elbow")


@settings(max_examples=150, deadline=None)
@given(
    area=st.sampled_from(sorted(CATALOG.areas)),
    indication=st.sampled_from(sorted(CATALOG.indications)),
    actives=st.lists(st.sampled_from(sorted(CATALOG.actives)), max_size=4),
    end=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
    ),
)
def test_every_sheet_says_when_to_call_the_clinic_and_cites_its_sources(
    area: str, indication: str, actives: list[str], end: datetime
) -> None:
    content = sheet(CATALOG, indication, area, actives, end)
    assert content.call
    assert any(c.key == "call_if_disrupting" for c in content.call)
    assert content.urgent
    assert content.sources
    assert {s.key for s in content.sources} >= {s for c in content.call for s in c.sources}
    for item in content.do_and_avoid:
        if item.hours is None:
            assert item.ends_at is None
        else:
            assert item.ends_at == end + timedelta(hours=item.hours)
    # Never both a general effect and the refinement that replaces it.
    keys = {n.key for n in content.normal} | {c.key for c in content.call}
    assert not {CATALOG.side_effects[k].refines for k in keys if k in CATALOG.side_effects} & keys
