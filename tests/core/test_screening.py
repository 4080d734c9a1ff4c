"""core.screening: verdicts, findings and their dates, without Django."""

from __future__ import annotations

import string
from datetime import date, datetime, timedelta
from itertools import combinations

import pytest

from core.catalog import load_catalog
from core.catalog.model import Verdict
from core.screening import (
    DISCLAIMER,
    AnswerValue,
    ClinicPolicy,
    MedicineAnswer,
    OtherView,
    ScreeningInputError,
    ScreeningRequest,
    ScreeningResult,
    add_months,
    relevant_questions,
    screen,
)

CATALOG = load_catalog()
TODAY = date(2026, 3, 2)
PLANNED = date(2026, 3, 16)
NOT_STOP = "Do not stop a medicine your doctor prescribed."
EMPTY = {"bool": False, "date": None, "areas": (), "medicines": ()}


def no_answers(indication: str, area: str, protocol: str | None = None) -> dict[str, AnswerValue]:
    """Every question this screening reads, answered no, never or none."""
    return {q.key: EMPTY[q.kind] for q in relevant_questions(CATALOG, indication, area, protocol)}


def run(
    indication: str = "facial_rejuvenation",
    area: str = "face",
    *,
    planned: date = PLANNED,
    today: date = TODAY,
    country: str = "IN",
    protocol: str | None = None,
    policy: ClinicPolicy | None = None,
    **answers: AnswerValue,
) -> ScreeningResult:
    given = no_answers(indication, area, protocol) | answers
    return screen(
        CATALOG,
        ScreeningRequest(
            indication=indication,
            area=area,
            planned_date=planned,
            answered_on=today,
            answers=given,
            country=country,
            protocol=protocol,
            policy=policy or ClinicPolicy(),
        ),
    )


def med(
    key: str, last_dose: date | None = None, *, prescribed: bool = False, ongoing: bool = False
) -> tuple[MedicineAnswer, ...]:
    return (MedicineAnswer(key, last_dose, prescribed, ongoing),)


def codes(result: ScreeningResult) -> list[str]:
    return [f.code for f in result.findings]


def refused(**kwargs: object) -> tuple[str, ...]:
    with pytest.raises(ScreeningInputError) as caught:
        run(**kwargs)  # type: ignore[arg-type]
    return caught.value.fields


# -- the whole screening -----------------------------------------------------


@pytest.mark.parametrize(
    ("indication", "area"),
    [(i.key, a) for i in CATALOG.indications.values() for a in i.areas],
)
def test_it_finds_nothing_when_every_answer_is_no(indication: str, area: str) -> None:
    result = run(indication, area)
    assert result.verdict is Verdict.ELIGIBLE
    assert result.findings == ()
    assert result.earliest_date is None
    assert result.disclaimer == DISCLAIMER
    assert result.protocol == CATALOG.default_protocol(indication, area)


def test_it_screens_the_protocol_asked_for_instead_of_the_default() -> None:
    # The lightening cocktail has no tranexamic acid, so its trial's
    # exclusions do not apply; the general rules still do.
    result = run("pigmentation", "face", protocol="pigmentation_lightening", keloids=True)
    assert result.protocol.key == "pigmentation_lightening"
    assert result.verdict is Verdict.ELIGIBLE
    assert run("pigmentation", "face", keloids=True).verdict is Verdict.NOT_ELIGIBLE


def test_the_disclaimer_says_it_never_replaces_the_clinician() -> None:
    assert DISCLAIMER == (
        "This screening supports your practitioner's judgement; it never replaces it. "
        "Your practitioner will go through your answers with you before any treatment."
    )


def test_findings_come_worst_first() -> None:
    result = run(
        "double_chin",
        "submental",
        swallowing_difficulty=True,
        diabetes=True,
        medicines=med("aspirin", PLANNED - timedelta(days=1)),
    )
    assert [(f.code, f.verdict) for f in result.findings] == [
        ("diabetes", Verdict.NOT_ELIGIBLE),
        ("aspirin", Verdict.DEFER),
        ("swallowing_difficulty_submental", Verdict.CAUTION),
    ]


# -- the worst finding decides ----------------------------------------------

# One answer per verdict, all for treatment under the chin.
CAUSES: dict[Verdict, dict[str, AnswerValue]] = {
    Verdict.CAUTION: {"swallowing_difficulty": True},
    Verdict.DEFER: {"medicines": med("aspirin", PLANNED - timedelta(days=2))},
    Verdict.NOT_ELIGIBLE: {"epilepsy": True},
}


@pytest.mark.parametrize(
    "verdicts",
    [c for n in range(len(CAUSES) + 1) for c in combinations(CAUSES, n)],
    ids=lambda c: "+".join(v.value for v in c) or "none",
)
def test_the_worst_finding_decides_the_verdict(verdicts: tuple[Verdict, ...]) -> None:
    answers: dict[str, AnswerValue] = {}
    for verdict in verdicts:
        answers |= CAUSES[verdict]
    result = run("double_chin", "submental", **answers)
    expected = max(verdicts, key=lambda v: v.severity, default=Verdict.ELIGIBLE)
    assert result.verdict is expected
    assert sorted(f.verdict.value for f in result.findings) == sorted(v.value for v in verdicts)


def test_a_deferral_dates_from_the_latest_of_its_dated_reasons() -> None:
    laser = date(2025, 11, 30)
    result = run(
        last_laser=laser, medicines=med("aspirin", PLANNED - timedelta(days=1), ongoing=False)
    )
    assert result.verdict is Verdict.DEFER
    assert {f.code: f.earliest_date for f in result.findings} == {
        "rejuvenation_recent_laser": date(2026, 5, 30),
        "aspirin": PLANNED + timedelta(days=6),
    }
    assert result.earliest_date == date(2026, 5, 30)


def test_a_deferral_without_a_date_leaves_the_earliest_date_open() -> None:
    result = run(infection_areas=("face",), last_laser=date(2025, 12, 1))
    assert result.verdict is Verdict.DEFER
    assert {f.code: f.earliest_date for f in result.findings} == {
        "infection_at_site": None,
        "rejuvenation_recent_laser": date(2026, 6, 1),
    }
    assert result.earliest_date is None
    infection = result.findings[0]
    assert "There is no set date" in infection.text


def test_a_refusal_outweighs_a_dated_deferral_and_gives_no_date() -> None:
    result = run(diabetes=True, last_laser=date(2025, 12, 1))
    assert result.verdict is Verdict.NOT_ELIGIBLE
    assert result.earliest_date is None


# -- site-aware infection -----------------------------------------------------


@pytest.mark.parametrize(
    ("indication", "area", "infected", "stops"),
    [
        ("localised_fat", "thighs", ("face",), False),
        ("localised_fat", "face", ("face",), True),
        ("facial_rejuvenation", "around_eyes", ("face",), True),
        ("facial_rejuvenation", "face", ("around_eyes",), True),
        ("dry_lips", "lips", ("face",), True),
        ("dry_lips", "perioral", ("lips",), True),
        ("double_chin", "submental", ("perioral",), True),
        ("facial_rejuvenation", "neck", ("face",), False),
        ("facial_rejuvenation", "face", ("scalp",), False),
        ("hair_loss", "scalp", ("scalp",), True),
        ("hair_loss", "scalp", ("face", "thighs"), False),
        ("cellulite", "thighs", ("thighs",), True),
        # Body areas overlap (the legs hold the thighs): the body is one site.
        ("cellulite", "thighs", ("legs",), True),
    ],
)
def test_an_infection_stops_only_a_treatment_at_or_near_it(
    indication: str, area: str, infected: tuple[str, ...], stops: bool
) -> None:
    result = run(indication, area, infection_areas=infected)
    if stops:
        assert codes(result) == ["infection_at_site"]
        assert result.verdict is Verdict.DEFER
        assert result.earliest_date is None
    else:
        assert codes(result) == []
        assert result.verdict is Verdict.ELIGIBLE


# -- dates --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2027, 8, 31), 6, date(2028, 2, 29)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 3, 31), 12, date(2027, 3, 31)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 5, 10), 0, date(2026, 5, 10)),
    ],
)
def test_it_adds_calendar_months_clamping_the_day(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_it_defers_rejuvenation_six_calendar_months_after_a_laser_on_the_31st() -> None:
    result = run(planned=date(2027, 2, 27), today=date(2026, 12, 1), last_laser=date(2026, 8, 31))
    assert codes(result) == ["rejuvenation_recent_laser"]
    assert result.earliest_date == date(2027, 2, 28)


@pytest.mark.parametrize(
    ("laser", "verdict"),
    [
        (PLANNED - timedelta(days=1), Verdict.DEFER),
        (date(2025, 9, 17), Verdict.DEFER),  # 6 months later is 17 March: one day late
        (date(2025, 9, 16), Verdict.ELIGIBLE),  # 6 months later is the planned day
        (date(2025, 1, 1), Verdict.ELIGIBLE),
        (None, Verdict.ELIGIBLE),
    ],
)
def test_a_laser_in_the_last_six_months_defers_rejuvenation(
    laser: date | None, verdict: Verdict
) -> None:
    result = run(last_laser=laser)
    assert result.verdict is verdict
    if verdict is Verdict.DEFER:
        assert laser is not None
        assert result.earliest_date == add_months(laser, 6)


def test_recent_laser_does_not_defer_other_indications() -> None:
    assert run("acne_scars", "face", last_laser=PLANNED - timedelta(days=3)).findings == ()


def test_hormonal_contraception_defers_tranexamic_acid_twelve_months_from_the_last_use() -> None:
    result = run("pigmentation", "face", last_hormonal_contraception=date(2025, 10, 31))
    assert codes(result) == ["tranexamic_hormonal_contraception"]
    assert result.verdict is Verdict.DEFER
    assert result.earliest_date == date(2026, 10, 31)
    assert "Do not stop your contraception" in result.findings[0].text


def test_hormonal_contraception_used_today_defers_a_full_year() -> None:
    result = run("pigmentation", "face", last_hormonal_contraception=TODAY)
    assert result.earliest_date == date(2027, 3, 2)


def test_hormonal_contraception_a_year_before_the_session_does_not_defer() -> None:
    result = run("pigmentation", "face", last_hormonal_contraception=date(2025, 3, 16))
    assert result.verdict is Verdict.ELIGIBLE


# -- medicines ----------------------------------------------------------------

PAUSED = ["aspirin", "nsaids", "vitamin_e", "fish_oil", "ginkgo"]


@pytest.mark.parametrize("medicine", PAUSED)
@pytest.mark.parametrize(
    ("days_before", "defers"),
    [(0, True), (3, True), (6, True), (7, False), (8, False), (30, False)],
)
def test_a_non_prescribed_dose_within_a_week_defers_to_a_week_after_it(
    medicine: str, days_before: int, defers: bool
) -> None:
    last = PLANNED - timedelta(days=days_before)
    result = run(medicines=med(medicine, last))
    if defers:
        assert result.verdict is Verdict.DEFER
        assert codes(result) == [medicine]
        assert result.earliest_date == last + timedelta(days=7)
        finding = result.findings[0]
        assert finding.params["pause_days"] == 7
        assert "at least 7 days" in finding.text
    else:
        assert result.verdict is Verdict.ELIGIBLE
        assert result.findings == ()


def test_it_defers_a_week_after_the_last_aspirin() -> None:
    result = run(medicines=med("aspirin", PLANNED - timedelta(days=3)))
    assert result.earliest_date == PLANNED + timedelta(days=4)
    finding = result.findings[0]
    assert finding.text == (
        "Aspirin makes bleeding and bruising more likely, so please leave at least 7 days "
        "between your last aspirin and your session."
    )
    assert finding.sources == ("004_cc642f6ce635f2ff.txt", "ClinicPages", "KybellaLabel")
    assert finding.other_views == (OtherView(("ClinicPages",), pause_days=10),)


def test_a_dose_planned_after_the_session_defers_to_a_week_after_that_dose() -> None:
    result = run(medicines=med("nsaids", PLANNED + timedelta(days=2)))
    assert result.earliest_date == PLANNED + timedelta(days=9)


def test_an_ongoing_supplement_too_close_to_the_session_defers_a_week_from_today() -> None:
    result = run(planned=TODAY + timedelta(days=3), medicines=med("fish_oil", ongoing=True))
    assert result.verdict is Verdict.DEFER
    assert result.earliest_date == TODAY + timedelta(days=7)


def test_an_ongoing_supplement_with_time_to_pause_is_a_caution_with_a_last_dose_day() -> None:
    result = run(medicines=med("ginkgo", TODAY - timedelta(days=1), ongoing=True))
    assert result.verdict is Verdict.CAUTION
    finding = result.findings[0]
    assert finding.last_dose_by == PLANNED - timedelta(days=7)
    assert finding.earliest_date is None


@pytest.mark.parametrize(
    ("days_before", "verdict", "earliest"),
    [
        (0, Verdict.DEFER, PLANNED + timedelta(days=2)),
        (1, Verdict.DEFER, PLANNED + timedelta(days=1)),
        (2, Verdict.CAUTION, None),  # none in the last 2 days: kept, but drink less
        (6, Verdict.CAUTION, None),
        (7, Verdict.ELIGIBLE, None),
    ],
)
def test_alcohol_defers_within_two_days_and_is_a_caution_within_a_week(
    days_before: int, verdict: Verdict, earliest: date | None
) -> None:
    result = run(medicines=med("alcohol", PLANNED - timedelta(days=days_before)))
    assert result.verdict is verdict
    assert result.earliest_date == earliest
    if verdict is not Verdict.ELIGIBLE:
        assert result.findings[0].text == (
            "Please drink less alcohol in the 7 days before your session, "
            "and none in the last 2 days."
        )


@pytest.mark.parametrize("medicine", ["aspirin", "nsaids", "vitamin_e", "fish_oil", "ginkgo"])
def test_a_prescribed_medicine_is_a_caution_and_never_a_pause(medicine: str) -> None:
    result = run(medicines=med(medicine, PLANNED - timedelta(days=1), prescribed=True))
    assert result.verdict is Verdict.CAUTION
    (finding,) = result.findings
    assert finding.earliest_date is None and finding.last_dose_by is None
    assert NOT_STOP in finding.text
    assert "Tell your practitioner, who will talk with your prescriber." in finding.text
    assert "leave at least" not in finding.text
    assert "pause" not in finding.text.lower()


@pytest.mark.parametrize("medicine", ["anticoagulants", "antiplatelets"])
@pytest.mark.parametrize("prescribed", [True, False])
def test_a_blood_thinner_is_never_paused_even_if_not_marked_prescribed(
    medicine: str, prescribed: bool
) -> None:
    result = run(
        planned=TODAY + timedelta(days=1),
        medicines=med(medicine, TODAY, prescribed=prescribed, ongoing=True),
    )
    assert result.verdict is Verdict.CAUTION
    (finding,) = result.findings
    assert finding.verdict is Verdict.CAUTION
    assert finding.earliest_date is None and finding.last_dose_by is None
    assert result.earliest_date is None
    assert NOT_STOP in finding.text
    assert "leave at least" not in finding.text
    assert "KybellaLabel" in finding.sources


def test_a_blood_thinner_the_doctor_stopped_long_ago_raises_nothing() -> None:
    result = run(medicines=med("anticoagulants", TODAY - timedelta(days=90)))
    assert result.findings == ()


def test_an_antiplatelet_without_a_sourced_window_counts_whenever_reported() -> None:
    result = run(medicines=med("antiplatelets", TODAY - timedelta(days=90)))
    assert [(f.code, f.verdict) for f in result.findings] == [("antiplatelets", Verdict.CAUTION)]


def test_an_anticoagulant_rules_out_tranexamic_acid_without_telling_to_stop() -> None:
    result = run("pigmentation", "face", medicines=med("anticoagulants", ongoing=True))
    assert result.verdict is Verdict.NOT_ELIGIBLE
    assert [(f.code, f.verdict) for f in result.findings] == [
        ("tranexamic_anticoagulants", Verdict.NOT_ELIGIBLE),
        ("anticoagulants", Verdict.CAUTION),
    ]
    assert all(NOT_STOP in f.text for f in result.findings)
    assert result.findings[0].sources == ("NCT05909072",)


def test_an_antiplatelet_does_not_rule_out_tranexamic_acid() -> None:
    # The trial excluded anticoagulants; antiplatelets are the label's caution.
    result = run("pigmentation", "face", medicines=med("antiplatelets", ongoing=True))
    assert [(f.code, f.verdict) for f in result.findings] == [("antiplatelets", Verdict.CAUTION)]


# -- a clinic's choice between sources ----------------------------------------


def test_a_clinic_may_follow_the_ten_day_pause_of_the_clinic_pages() -> None:
    last = PLANNED - timedelta(days=8)
    policy = ClinicPolicy(pause_days={"aspirin": 10})
    result = run(medicines=med("aspirin", last), policy=policy)
    assert result.earliest_date == last + timedelta(days=10)
    finding = result.findings[0]
    assert finding.sources == ("ClinicPages",)
    assert "at least 10 days" in finding.text
    assert finding.other_views == (
        OtherView(("004_cc642f6ce635f2ff.txt", "ClinicPages", "KybellaLabel"), pause_days=7),
    )


def test_a_clinic_following_the_label_treats_pregnancy_as_a_caution() -> None:
    policy = ClinicPolicy(prefer_sources=("KybellaLabel",))
    result = run("double_chin", "submental", pregnant=True, policy=policy)
    assert result.verdict is Verdict.CAUTION
    (finding,) = result.findings
    assert finding.sources == ("KybellaLabel",)
    assert finding.other_views == (
        OtherView(("003_a19211cc0e41e4e0.txt",), verdict=Verdict.NOT_ELIGIBLE),
    )


def test_a_milder_general_verdict_keeps_the_trial_exclusion() -> None:
    policy = ClinicPolicy(verdicts={"pregnancy": Verdict.CAUTION})
    result = run("pigmentation", "face", pregnant=True, policy=policy)
    assert [(f.code, f.verdict) for f in result.findings] == [
        ("tranexamic_pregnancy", Verdict.NOT_ELIGIBLE),
        ("pregnancy", Verdict.CAUTION),
    ]


def test_by_default_the_stricter_seed_verdict_holds_and_the_other_is_shown() -> None:
    result = run("localised_fat", "thighs", bleeding_disorder=True)
    (finding,) = result.findings
    assert finding.verdict is Verdict.NOT_ELIGIBLE
    assert finding.sources == ("003_a19211cc0e41e4e0.txt",)
    assert finding.other_views == (OtherView(("KybellaLabel",), verdict=Verdict.CAUTION),)


def test_a_clinic_following_seed_004_accepts_mild_fat() -> None:
    policy = ClinicPolicy(verdicts={"mild_fat": Verdict.ELIGIBLE})
    result = run("localised_fat", "abdomen", mild_fat=True, policy=policy)
    assert result.verdict is Verdict.ELIGIBLE
    assert [(f.code, f.sources) for f in result.findings] == [
        ("mild_fat", ("004_cc642f6ce635f2ff.txt",))
    ]


@pytest.mark.parametrize(
    ("policy", "field"),
    [
        (ClinicPolicy(verdicts={"diabetes": Verdict.CAUTION}), "policy.verdicts.diabetes"),
        (ClinicPolicy(verdicts={"nope": Verdict.CAUTION}), "policy.verdicts.nope"),
        (ClinicPolicy(pause_days={"aspirin": 3}), "policy.pause_days.aspirin"),
        (ClinicPolicy(pause_days={"nope": 7}), "policy.pause_days.nope"),
        (ClinicPolicy(prefer_sources=("Nobody2020",)), "policy.prefer_sources.0"),
    ],
)
def test_it_refuses_a_policy_no_source_supports(policy: ClinicPolicy, field: str) -> None:
    assert refused(policy=policy) == (field,)


# -- the clinic's country -----------------------------------------------------


def test_fat_dissolving_is_not_offered_in_france() -> None:
    result = run("localised_fat", "thighs", country="FR")
    assert result.verdict is Verdict.NOT_ELIGIBLE
    (finding,) = result.findings
    assert finding.code == "not_offered_in_country"
    assert finding.kind == "regulation"
    assert finding.sources == ("Legifrance", "HAS2014")
    assert finding.text.startswith("In France, fat-dissolving injections")
    assert result.country == "FR"


def test_hair_mesotherapy_is_offered_in_france() -> None:
    assert run("hair_loss", "scalp", country="fr").verdict is Verdict.ELIGIBLE


def test_in_the_usa_fat_dissolving_off_the_chin_is_a_caution() -> None:
    result = run("localised_fat", "thighs", country="US")
    assert result.verdict is Verdict.CAUTION
    assert codes(result) == ["off_label_in_country", "regulatory_warning"]


def test_in_the_usa_deoxycholic_acid_under_the_chin_raises_nothing() -> None:
    assert run("double_chin", "submental", country="US").findings == ()


def test_in_the_uk_phosphatidylcholine_is_unlicensed() -> None:
    result = run("localised_fat", "abdomen", country="GB")
    assert [(f.code, f.verdict) for f in result.findings] == [
        ("unlicensed_in_country", Verdict.CAUTION)
    ]


# -- refused input ------------------------------------------------------------


def test_it_refuses_an_unknown_indication() -> None:
    assert refused(indication="tattoo_removal") == ("indication",)


def test_it_refuses_an_area_the_indication_does_not_treat() -> None:
    assert refused(indication="hair_loss", area="thighs") == ("area",)


def test_it_refuses_an_unknown_protocol_or_one_for_another_indication() -> None:
    assert refused(protocol="nope") == ("protocol",)
    assert refused(protocol="hair_loss_taper") == ("protocol",)


def test_it_refuses_a_planned_date_in_the_past_or_too_far_ahead() -> None:
    assert refused(planned=TODAY - timedelta(days=1)) == ("planned_date",)
    assert refused(planned=TODAY + timedelta(days=731)) == ("planned_date",)


def test_it_accepts_a_session_today() -> None:
    assert run(planned=TODAY).verdict is Verdict.ELIGIBLE


def test_it_names_every_missing_answer_instead_of_taking_silence_for_no() -> None:
    result = screen(CATALOG, ScreeningRequest("double_chin", "submental", PLANNED, TODAY, {}))
    assert result.verdict is Verdict.CAUTION
    codes = tuple(f.code for f in result.findings if f.kind == "unanswered")
    assert codes == tuple(
        f"unanswered.{q.key}" for q in relevant_questions(CATALOG, "double_chin", "submental")
    )
    assert "unanswered.swallowing_difficulty" in codes
    assert "unanswered.retinoids" not in codes


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({"shoe_size": True}, "answers.shoe_size"),
        ({"pregnant": "yes"}, "answers.pregnant"),
        ({"pregnant": None}, "answers.pregnant"),
        ({"last_laser": "2026-01-01"}, "answers.last_laser"),
        ({"last_laser": datetime(2026, 1, 1, 9)}, "answers.last_laser"),
        ({"last_laser": date(2029, 1, 1)}, "answers.last_laser"),
        ({"infection_areas": "face"}, "answers.infection_areas"),
        ({"infection_areas": ("face", "elbow")}, "answers.infection_areas.1"),
        ({"medicines": ("aspirin",)}, "answers.medicines"),
        ({"medicines": med("paracetamol", TODAY)}, "answers.medicines.0.medicine"),
        ({"medicines": med("aspirin")}, "answers.medicines.0.last_dose"),
        ({"medicines": med("aspirin", date(2030, 1, 1))}, "answers.medicines.0.last_dose"),
        ({"medicines": med("alcohol", TODAY, prescribed=True)}, "answers.medicines.0.prescribed"),
        ({"medicines": med("aspirin", TODAY) * 2}, "answers.medicines.1.medicine"),
    ],
)
def test_it_names_the_bad_answer(answers: dict[str, object], field: str) -> None:
    assert refused(**answers) == (field,)


@pytest.mark.parametrize("country", ["FRA", "1N", "É"])
def test_it_refuses_a_country_that_is_not_a_two_letter_code(country: str) -> None:
    assert refused(country=country) == ("country",)


def test_a_question_that_does_not_apply_may_be_left_out() -> None:
    answers = no_answers("cellulite", "thighs")
    assert "infection_now" not in answers and "swallowing_difficulty" not in answers
    assert run("cellulite", "thighs").verdict is Verdict.ELIGIBLE


def test_relevant_questions_follow_scope() -> None:
    keys = [q.key for q in relevant_questions(CATALOG, "double_chin", "submental")]
    assert keys == [
        "pregnant",
        "breastfeeding",
        "infection_areas",
        "diabetes",
        "bleeding_disorder",
        "epilepsy",
        "swallowing_difficulty",
        "severe_overweight_or_excess_skin",
        "mild_fat",
        "medicines",
    ]


# -- the catalog's screening data ---------------------------------------------


def test_every_message_fills_with_the_placeholders_the_core_provides() -> None:
    allowed = {"pause_days", "caution_days"}
    texts = [m.message for m in CATALOG.medicines.values()]
    texts += [m.prescribed_message for m in CATALOG.medicines.values() if m.may_be_prescribed]
    texts += [c.message for c in CATALOG.contraindications.values()]
    for text in texts:
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        assert names <= allowed, text
        assert text.format(pause_days=7, caution_days=7)


def test_no_prescribed_medicine_is_ever_paused_by_the_catalog() -> None:
    for rule in CATALOG.medicines.values():
        if rule.may_be_prescribed:
            assert NOT_STOP in rule.prescribed_message, rule.key
            assert rule.prescribed_verdict in {Verdict.CAUTION, Verdict.NOT_ELIGIBLE}, rule.key
    assert CATALOG.medicines["anticoagulants"].prescription_only
    assert CATALOG.medicines["antiplatelets"].prescription_only


def test_the_catalog_asks_for_medicines_in_one_question() -> None:
    assert [q.key for q in CATALOG.questions.values() if q.kind == "medicines"] == ["medicines"]
