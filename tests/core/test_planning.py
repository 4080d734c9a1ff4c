"""The plan preview: schedules, choices, refusals and what comes with a course."""

from dataclasses import replace
from datetime import date, timedelta
from itertools import pairwise

import pytest

from core.catalog import Catalog, load_catalog
from core.catalog.model import IntRange, Regulation
from core.planning import (
    NotOffered,
    PlanError,
    PlanRequest,
    out_of_window,
    phase_for,
    preview,
    schedule,
    windows_after,
)
from core.pricing import PriceOverride

CATALOG = load_catalog()
START = date(2030, 1, 7)


def with_regulation(**fields: object) -> Catalog:
    reg = Regulation(
        key="test_ban",
        country="ZZ",
        status="banned",
        lipolytic=False,
        actives=(),
        approved_areas=(),
        summary="Banned in Testland.",
        sources=("HAS2014",),
    )
    reg = replace(reg, **fields)  # type: ignore[arg-type]
    return replace(CATALOG, regulations={**CATALOG.regulations, reg.key: reg})


# The schedules the sources give


def test_the_hair_loss_taper_goes_7_to_10_days_then_14_then_monthly() -> None:
    p = preview(CATALOG, PlanRequest("hair_loss", "scalp", START, sessions=12))
    assert p.protocol.key == "hair_loss_taper"
    intervals = [(s.interval_days.min, s.interval_days.max) for s in p.sessions[1:]]
    assert intervals == [(7, 10)] * 3 + [(14, 14)] * 2 + [(28, 31)] * 6
    assert [s.phase for s in p.sessions] == [None] + ["Every 7-10 days at first"] * 3 + [
        "Then every two weeks"
    ] * 2 + ["Then monthly"] * 6


def test_the_hair_loss_taper_dates_count_from_the_earliest_date_before() -> None:
    p = preview(CATALOG, PlanRequest("hair_loss", "scalp", date(2030, 1, 1), sessions=7))
    windows = [(s.number, s.earliest, s.latest) for s in p.sessions]
    assert windows == [
        (1, date(2030, 1, 1), date(2030, 1, 1)),
        (2, date(2030, 1, 8), date(2030, 1, 11)),
        (3, date(2030, 1, 15), date(2030, 1, 18)),
        (4, date(2030, 1, 22), date(2030, 1, 25)),
        (5, date(2030, 2, 5), date(2030, 2, 5)),
        (6, date(2030, 2, 19), date(2030, 2, 19)),
        (7, date(2030, 3, 19), date(2030, 3, 22)),
    ]


def test_the_dutasteride_schedule_falls_on_weeks_0_1_2_3_5_7_11() -> None:
    p = preview(CATALOG, PlanRequest("hair_loss", "scalp", START, protocol="hair_loss_dutasteride"))
    weeks = [(s.earliest - START).days / 7 for s in p.sessions]
    assert weeks == [0, 1, 2, 3, 5, 7, 11]
    assert all(s.latest == s.earliest for s in p.sessions)


def test_the_double_chin_course_has_no_latest_date_and_sessions_at_least_a_month_apart() -> None:
    p = preview(CATALOG, PlanRequest("double_chin", "submental", START, sessions=6))
    assert [s.latest for s in p.sessions[1:]] == [None] * 5
    assert [s.interval_days for s in p.sessions[1:]] == [IntRange(31, None)] * 5
    gaps = [(b.earliest - a.earliest).days for a, b in pairwise(p.sessions)]
    # 31 days: never short of a calendar month, whichever month it is.
    assert gaps == [31] * 5


def test_the_double_chin_course_never_has_more_than_6_sessions() -> None:
    assert preview(CATALOG, PlanRequest("double_chin", "submental", START)).session_range == (
        IntRange(1, 6)
    )
    assert (
        len(preview(CATALOG, PlanRequest("double_chin", "submental", START, sessions=6)).sessions)
        == 6
    )
    with pytest.raises(PlanError) as refused:
        preview(CATALOG, PlanRequest("double_chin", "submental", START, sessions=7))
    assert refused.value.field == "sessions"
    assert str(refused.value) == "Choose between 1 and 6 sessions for this protocol."


def test_it_proposes_the_protocols_default_number_of_sessions() -> None:
    p = preview(CATALOG, PlanRequest("facial_rejuvenation", "face", START))
    assert (p.protocol.key, len(p.sessions)) == ("rejuvenation_taper", 6)


@pytest.mark.parametrize("sessions", [3, 13, 0, -1])
def test_it_refuses_a_number_of_sessions_outside_the_protocols_range(sessions: int) -> None:
    with pytest.raises(PlanError) as refused:
        preview(CATALOG, PlanRequest("hair_loss", "scalp", START, sessions=sessions))
    assert refused.value.field == "sessions"
    assert str(refused.value) == "Choose between 4 and 12 sessions for this protocol."


# Time per session


def test_a_session_takes_numbing_time_plus_procedure_time() -> None:
    face = preview(CATALOG, PlanRequest("facial_rejuvenation", "face", START))
    assert (face.numbing_minutes, face.procedure_minutes, face.minutes_per_session) == (
        IntRange(20, 30),
        IntRange(15, 45),
        IntRange(35, 75),
    )
    scalp = preview(CATALOG, PlanRequest("hair_loss", "scalp", START))
    assert scalp.minutes_per_session == IntRange(50, 75)


# Choosing the protocol


def test_a_chosen_protocol_replaces_the_default_and_the_others_stay_on_offer() -> None:
    p = preview(CATALOG, PlanRequest("hair_loss", "scalp", START, protocol="hair_loss_monthly"))
    assert p.protocol.key == "hair_loss_monthly"
    assert [o.key for o in p.other_protocols] == ["hair_loss_taper", "hair_loss_dutasteride"]


def test_it_refuses_an_unknown_indication_naming_indication() -> None:
    with pytest.raises(PlanError) as refused:
        preview(CATALOG, PlanRequest("tattoo_removal", "face", START))
    assert refused.value.field == "indication"
    assert str(refused.value).startswith("Unknown indication; choose one of: hair_loss, ")


def test_it_refuses_an_area_the_indication_does_not_treat_naming_area() -> None:
    with pytest.raises(PlanError) as refused:
        preview(CATALOG, PlanRequest("hair_loss", "face", START))
    assert refused.value.field == "area"
    assert str(refused.value) == "This indication is not treated there; choose one of: scalp."


@pytest.mark.parametrize("protocol", ["rejuvenation_taper", "no_such_protocol"])
def test_it_refuses_a_protocol_for_another_indication_naming_protocol(protocol: str) -> None:
    with pytest.raises(PlanError) as refused:
        preview(CATALOG, PlanRequest("hair_loss", "scalp", START, protocol=protocol))
    assert refused.value.field == "protocol"
    assert str(refused.value) == (
        "No such protocol for this indication and area; choose one of: "
        "hair_loss_taper, hair_loss_dutasteride, hair_loss_monthly."
    )


def test_it_refuses_a_protocol_of_the_indication_at_an_area_it_does_not_cover() -> None:
    belly_only = replace(
        CATALOG.protocols["localised_fat_pc_dc"],
        key="belly_only",
        areas=("abdomen",),
        default=False,
    )
    catalog = replace(CATALOG, protocols={**CATALOG.protocols, belly_only.key: belly_only})
    with pytest.raises(PlanError) as refused:
        preview(catalog, PlanRequest("localised_fat", "face", START, protocol="belly_only"))
    assert refused.value.field == "protocol"
    assert str(refused.value).endswith("choose one of: localised_fat_pc_dc.")


# What the clinic's country allows


LIPOLYTIC = sorted(
    (p.key, area)
    for p in CATALOG.protocols.values()
    for area in p.areas
    if CATALOG.indications[p.indication].lipolytic
    or any(CATALOG.actives[a].lipolytic for a in p.actives)
)


def test_some_protocols_are_fat_dissolving() -> None:
    assert {key for key, _ in LIPOLYTIC} == {
        "localised_fat_pc_dc",
        "body_contouring_course",
        "cellulite_course",
        "double_chin_deoxycholic",
    }


@pytest.mark.parametrize(("protocol", "area"), LIPOLYTIC)
def test_france_refuses_every_fat_dissolving_protocol(protocol: str, area: str) -> None:
    indication = CATALOG.protocols[protocol].indication
    with pytest.raises(NotOffered) as refused:
        preview(CATALOG, PlanRequest(indication, area, START, protocol=protocol, country="FR"))
    assert refused.value.field == "protocol"
    assert [(n.key, n.status, n.sources) for n in refused.value.notes] == [
        ("france_lipolysis_ban", "banned", ("Legifrance", "HAS2014"))
    ]
    assert str(refused.value).startswith("In France, fat-dissolving injections")


@pytest.mark.parametrize(
    ("indication", "area"),
    [("localised_fat", "abdomen"), ("double_chin", "submental"), ("cellulite", "thighs")],
)
def test_france_refuses_a_fat_dissolving_indication_naming_the_indication(
    indication: str, area: str
) -> None:
    with pytest.raises(NotOffered) as refused:
        preview(CATALOG, PlanRequest(indication, area, START, country="fr"))
    assert refused.value.field == "indication"
    assert [n.key for n in refused.value.notes] == ["france_lipolysis_ban"]


def test_france_still_offers_hair_mesotherapy_with_no_regulatory_note() -> None:
    p = preview(CATALOG, PlanRequest("hair_loss", "scalp", START, country="FR"))
    assert (p.protocol.key, p.regulatory_notes) == ("hair_loss_taper", ())


def test_when_the_default_is_banned_the_next_allowed_protocol_is_proposed() -> None:
    catalog = with_regulation(actives=("vitamins",))
    p = preview(catalog, PlanRequest("hair_loss", "scalp", START, country="ZZ"))
    assert p.protocol.key == "hair_loss_dutasteride"
    assert [o.key for o in p.other_protocols] == []


def test_a_ban_at_one_area_only_names_the_area() -> None:
    neck_only = replace(
        CATALOG.protocols["rejuvenation_ha_monthly"],
        key="neck_peptides",
        areas=("neck",),
        actives=("peptides",),
    )
    catalog = replace(
        with_regulation(actives=("hyaluronic_acid",)),
        protocols={**CATALOG.protocols, neck_only.key: neck_only},
    )
    with pytest.raises(NotOffered) as refused:
        preview(catalog, PlanRequest("facial_rejuvenation", "face", START, country="ZZ"))
    assert refused.value.field == "area"
    assert [n.key for n in refused.value.notes] == ["test_ban"]
    offered = preview(catalog, PlanRequest("facial_rejuvenation", "neck", START, country="ZZ"))
    assert offered.protocol.key == "neck_peptides"


def test_a_us_clinic_sees_the_approval_and_warning_that_touch_its_protocol() -> None:
    chin = preview(CATALOG, PlanRequest("double_chin", "submental", START, country="US"))
    assert [(n.key, n.status) for n in chin.regulatory_notes] == [
        ("usa_deoxycholic_acid", "approved")
    ]
    belly = preview(CATALOG, PlanRequest("localised_fat", "abdomen", START, country="US"))
    assert [(n.key, n.status) for n in belly.regulatory_notes] == [
        ("usa_deoxycholic_acid", "off_label"),
        ("usa_unapproved_fat_injections", "warning"),
    ]
    assert {"KybellaLabel", "FDA"} <= {s.key for s in belly.sources}


# Aftercare and price beside the course


def test_scalp_aftercare_says_no_washing_for_24_hours() -> None:
    p = preview(CATALOG, PlanRequest("hair_loss", "scalp", START))
    rules = {r.key: r for r in p.aftercare}
    assert (rules["scalp_no_washing"].text, rules["scalp_no_washing"].hours) == (
        "Do not wash your hair for 24 hours after a hair mesotherapy session.",
        24,
    )
    assert rules["scalp_no_washing"].sources == ("003_a19211cc0e41e4e0.txt",)
    assert "face_no_sun" not in rules


def test_face_aftercare_says_no_sun_for_72_hours() -> None:
    p = preview(CATALOG, PlanRequest("facial_rejuvenation", "face", START))
    rules = {r.key: r for r in p.aftercare}
    assert (rules["face_no_sun"].text, rules["face_no_sun"].hours) == (
        "Keep out of direct sun for 72 hours after a face mesotherapy session.",
        72,
    )
    assert "scalp_no_washing" not in rules


def test_price_for_4_sessions_in_inr_is_60000_to_160000() -> None:
    p = preview(CATALOG, PlanRequest("pigmentation", "face", START, sessions=4))
    assert p.price is not None
    assert (p.price.currency, p.price.per_session, p.price.total, p.price.sessions) == (
        "INR",
        IntRange(15000, 40000),
        IntRange(60000, 160000),
        4,
    )
    assert p.price_note is None


def test_no_price_is_invented_where_the_clinics_currency_has_none() -> None:
    p = preview(CATALOG, PlanRequest("hair_loss", "scalp", START, currency="USD"))
    assert p.price is None
    assert p.price_note is not None
    assert p.price_note.render() == (
        "No price in USD is known for this treatment; the clinic sets it."
    )


def test_the_usd_cellulite_course_price_is_not_turned_into_another_currency() -> None:
    eur = preview(CATALOG, PlanRequest("cellulite", "thighs", START, currency="EUR"))
    assert eur.price is None
    inr = preview(CATALOG, PlanRequest("cellulite", "thighs", START, currency="INR"))
    assert inr.price is not None
    assert (inr.price.key, inr.price.total) == ("india_session", IntRange(150000, 400000))
    assert "004_cc642f6ce635f2ff.txt" not in inr.price.sources


def test_a_clinics_own_price_wins_over_the_catalogs() -> None:
    own = PriceOverride("INR", "session", IntRange(20000, 20000), area="scalp")
    p = preview(
        CATALOG, PlanRequest("hair_loss", "scalp", START, sessions=5, price_overrides=(own,))
    )
    assert p.price is not None
    assert (p.price.origin, p.price.total, p.price.sources) == (
        "clinic",
        IntRange(100000, 100000),
        (),
    )


# Evidence, sources, maintenance


def test_weak_evidence_is_flagged_and_approved_evidence_is_not() -> None:
    fat = preview(CATALOG, PlanRequest("localised_fat", "abdomen", START))
    assert (fat.evidence.level, fat.weak_evidence) == ("weak", True)
    chin = preview(CATALOG, PlanRequest("double_chin", "submental", START))
    assert (chin.evidence.level, chin.weak_evidence) == ("approved", False)


def test_every_source_is_listed_once_with_its_title() -> None:
    p = preview(CATALOG, PlanRequest("pigmentation", "face", START))
    keys = [s.key for s in p.sources]
    assert len(keys) == len(set(keys))
    assert set(CATALOG.protocols["pigmentation_tranexamic"].sources) <= set(keys)
    assert {"JPAD2838", "003_a19211cc0e41e4e0.txt"} <= set(keys)
    assert all(s.title == CATALOG.sources[s.key].title for s in p.sources)


def test_a_tranexamic_acid_course_is_followed_by_a_relapse_check_at_3_months() -> None:
    txa = preview(CATALOG, PlanRequest("pigmentation", "face", START))
    assert "melasma_relapse_check" in [r.key for r in txa.aftercare]
    assert txa.maintenance == (
        "Melasma can come back: check for relapse 3 months after the last session."
    )
    cocktail = preview(
        CATALOG, PlanRequest("pigmentation", "face", START, protocol="pigmentation_lightening")
    )
    assert "melasma_relapse_check" not in [r.key for r in cocktail.aftercare]


# Rescheduling helpers


def test_moving_a_session_moves_every_later_window() -> None:
    protocol = CATALOG.protocols["hair_loss_taper"]
    on_time = windows_after(protocol, [date(2030, 1, 1), date(2030, 1, 8)], 5)
    late = windows_after(protocol, [date(2030, 1, 1), date(2030, 1, 11)], 5)
    assert [w.number for w in late] == [3, 4, 5]
    assert [w.earliest - timedelta(days=3) for w in late] == [w.earliest for w in on_time]
    assert [(w.earliest, w.latest) for w in late] == [
        (date(2030, 1, 18), date(2030, 1, 21)),
        (date(2030, 1, 25), date(2030, 1, 28)),
        (date(2030, 2, 8), date(2030, 2, 8)),
    ]


def test_no_windows_remain_once_every_session_is_dated() -> None:
    protocol = CATALOG.protocols["hair_loss_monthly"]
    dates = [date(2030, 1, 1) + timedelta(days=21 * n) for n in range(4)]
    assert windows_after(protocol, dates, 4) == ()


@pytest.mark.parametrize(
    ("dates", "count", "field"),
    [
        ([], 4, "session_dates"),
        ([date(2030, 1, 8), date(2030, 1, 1)], 4, "session_dates"),
        ([date(2030, 1, 1), date(2030, 1, 1)], 4, "session_dates"),
        ([date(2030, 1, 1), date(2030, 1, 22)], 1, "sessions"),
        ([date(2030, 1, 1)], 7, "sessions"),
    ],
)
def test_rescheduling_refuses_impossible_input(dates: list[date], count: int, field: str) -> None:
    with pytest.raises(PlanError) as refused:
        windows_after(CATALOG.protocols["hair_loss_monthly"], dates, count)
    assert refused.value.field == field


def test_it_finds_the_sessions_booked_outside_their_windows() -> None:
    protocol = CATALOG.protocols["hair_loss_taper"]
    dates = [date(2030, 1, 1), date(2030, 1, 8), date(2030, 1, 20), date(2030, 1, 23)]
    assert out_of_window(protocol, dates) == (3, 4)


def test_the_first_session_has_no_phase() -> None:
    protocol = CATALOG.protocols["hair_loss_taper"]
    assert phase_for(protocol, 1) is None
    assert [phase_for(protocol, n).name for n in (2, 4, 5, 6, 7, 12)] == [  # type: ignore[union-attr]
        "Every 7-10 days at first",
        "Every 7-10 days at first",
        "Then every two weeks",
        "Then every two weeks",
        "Then monthly",
        "Then monthly",
    ]


def test_a_course_past_the_end_of_the_calendar_is_refused_naming_start_date() -> None:
    with pytest.raises(PlanError) as refused:
        schedule(CATALOG.protocols["hair_loss_taper"], date.max - timedelta(days=30), 7)
    assert refused.value.field == "start_date"


# Today
