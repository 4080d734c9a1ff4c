"""Outcome scores: checked against their measure's scale, one per measure
and rater at a session, changed only by amendment; a course's progress as
a chart and a table."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from clinical.amend import amendments_of
from clinical.models import Amendment, OutcomeScore, SessionChart
from tests.clients import login, post_json
from tests.clinical_factories import make_chart, make_course
from tests.conftest import People


def hair_chart(people: People, session: int = 1) -> SessionChart:
    course = make_course(people.patient, people.practitioner)
    return make_chart(course, people.practitioner, session_number=session)


def scores_url(chart: SessionChart) -> str:
    return f"/staff/test/patients/{chart.patient_id}/record/charts/{chart.pk}/scores/"


def progress_url(chart: SessionChart) -> str:
    return f"/staff/test/patients/{chart.patient_id}/record/courses/{chart.course_id}/progress/"


def recorded(chart: SessionChart) -> dict[str, Decimal]:
    return {f"{s.measure}.{s.rater}": s.value for s in OutcomeScore.objects.filter(chart=chart)}


HEXSEL = {
    "hexsel_css.clinician.number_of_depressions": "2",
    "hexsel_css.clinician.depth_of_depressions": "2",
    "hexsel_css.clinician.surface_appearance": "1",
    "hexsel_css.clinician.laxity": "1",
    "hexsel_css.clinician.nurnberger_muller": "3",
}


# -- recording ---------------------------------------------------------------------------------


def test_the_form_offers_gais_by_both_raters_and_the_indications_measure(people: People) -> None:
    chart = hair_chart(people)
    html = login(people.practitioner).get(scores_url(chart)).content.decode()
    for field in ("gais.clinician", "gais.patient", "hair_density.clinician"):
        assert f'name="{field}"' in html
    assert 'id="score-gais-clinician"' in html
    assert '<option value="2">2 - Much improved</option>' in html
    assert 'name="mmasi.clinician"' not in html
    assert "style=" not in html


def test_scores_are_recorded_and_lead_to_the_progress_page(people: People) -> None:
    chart = hair_chart(people)
    response = login(people.practitioner).post(
        scores_url(chart),
        {"gais.clinician": "2", "gais.patient": "3", "hair_density.clinician": "142"},
    )
    assert response.status_code == 302
    assert response["Location"] == progress_url(chart)
    assert recorded(chart) == {
        "gais.clinician": Decimal("2.00"),
        "gais.patient": Decimal("3.00"),
        "hair_density.clinician": Decimal("142.00"),
    }
    score = OutcomeScore.objects.get(chart=chart, measure="gais", rater="clinician")
    assert score.recorded_by == people.practitioner
    assert score.patient == people.patient and score.clinic == people.clinic
    assert score.history.get().history_user == people.practitioner  # type: ignore[attr-defined]


def test_a_measure_left_blank_is_not_recorded(people: People) -> None:
    chart = hair_chart(people)
    login(people.practitioner).post(
        scores_url(chart), {"gais.clinician": "1", "gais.patient": "", "hair_density.clinician": ""}
    )
    assert recorded(chart) == {"gais.clinician": Decimal("1.00")}


@pytest.mark.parametrize(
    ("indication", "area", "data", "field", "message"),
    [
        ("hair_loss", "scalp", {"gais.clinician": "6"}, "gais.clinician", "from 1 to 5"),
        ("hair_loss", "scalp", {"gais.patient": "much"}, "gais.patient", "Enter a number."),
        (
            "hair_loss",
            "scalp",
            {"hair_density.clinician": "-4"},
            "hair_density.clinician",
            "of 0 or more",
        ),
        ("pigmentation", "face", {"mmasi.clinician": "24.5"}, "mmasi.clinician", "from 0 to 24"),
        ("pigmentation", "face", {"masi.clinician": "3.25"}, "masi.clinician", "steps of 0.1"),
        (
            "cellulite",
            "thighs",
            {**HEXSEL, "hexsel_css.clinician.laxity": "4"},
            "hexsel_css.clinician.laxity",
            "from 0 to 3",
        ),
        (
            "cellulite",
            "thighs",
            {**HEXSEL, "hexsel_css.clinician.nurnberger_muller": ""},
            "hexsel_css.clinician.nurnberger_muller",
            "Rate this item.",
        ),
    ],
)
def test_a_score_off_its_scale_is_refused_naming_the_field_and_nothing_is_written(
    people: People, indication: str, area: str, data: dict[str, str], field: str, message: str
) -> None:
    course = make_course(people.patient, people.practitioner, indication, (area,))
    chart = make_chart(course, people.practitioner)
    # A valid GAIS in the same form is not written either: all or nothing.
    response = login(people.practitioner).post(scores_url(chart), {"gais.clinician": "2", **data})
    assert response.status_code == 400
    html = response.content.decode()
    html_id = "score-" + field.replace(".", "-")
    error = re.search(rf'id="{html_id}-error">([^<]+)<', html)
    assert error is not None, html_id
    assert message in error.group(1)
    assert f'aria-describedby="{html_id}-error"' in html
    assert OutcomeScore.objects.count() == 0


def test_mmasi_takes_tenths(people: People) -> None:
    course = make_course(people.patient, people.practitioner, "pigmentation", ("face",))
    chart = make_chart(course, people.practitioner)
    login(people.practitioner).post(scores_url(chart), {"mmasi.clinician": "7.3"})
    assert recorded(chart) == {"mmasi.clinician": Decimal("7.30")}


def test_hexsel_is_entered_as_five_items_and_recorded_as_their_sum(people: People) -> None:
    course = make_course(people.patient, people.practitioner, "cellulite", ("thighs",))
    chart = make_chart(course, people.practitioner)
    response = login(people.practitioner).post(scores_url(chart), HEXSEL)
    assert response.status_code == 302
    score = OutcomeScore.objects.get()
    assert score.value == Decimal("9.00")
    assert score.items == {
        "number_of_depressions": 2,
        "depth_of_depressions": 2,
        "surface_appearance": 1,
        "laxity": 1,
        "nurnberger_muller": 3,
    }


# -- one score per measure and rater, amended with a reason ------------------------------------


def test_the_database_keeps_one_score_per_measure_and_rater(people: People) -> None:
    chart = hair_chart(people)
    login(people.practitioner).post(scores_url(chart), {"gais.clinician": "2"})
    with pytest.raises(IntegrityError), transaction.atomic():
        OutcomeScore.objects.create(
            clinic=chart.clinic,
            patient=chart.patient,
            chart=chart,
            measure="gais",
            rater="clinician",
            value=Decimal(3),
            recorded_by=people.practitioner,
            recorded_at=timezone.now(),
        )
    assert OutcomeScore.objects.count() == 1


def test_saving_the_same_scores_again_changes_nothing(people: People) -> None:
    chart = hair_chart(people)
    client = login(people.practitioner)
    client.post(scores_url(chart), {"gais.clinician": "2", "hair_density.clinician": "140"})
    response = client.post(
        scores_url(chart), {"gais.clinician": "2", "hair_density.clinician": "140.0"}
    )
    assert response.status_code == 302
    assert OutcomeScore.objects.count() == 2
    assert Amendment.objects.count() == 0


def test_changing_a_recorded_score_needs_a_reason(people: People) -> None:
    chart = hair_chart(people)
    client = login(people.practitioner)
    client.post(scores_url(chart), {"gais.clinician": "2"})
    response = client.post(scores_url(chart), {"gais.clinician": "1", "reason": "  "})
    assert response.status_code == 400
    assert 'id="score-reason-error"' in response.content.decode()
    assert recorded(chart) == {"gais.clinician": Decimal("2.00")}
    assert Amendment.objects.count() == 0


def test_a_changed_score_is_an_amendment_that_keeps_the_original(people: People) -> None:
    chart = hair_chart(people)
    client = login(people.practitioner)
    client.post(scores_url(chart), {"gais.clinician": "2", "gais.patient": "3"})
    response = client.post(
        scores_url(chart),
        {"gais.clinician": "1", "gais.patient": "3", "reason": "Misread the scale."},
    )
    assert response.status_code == 302
    score = OutcomeScore.objects.get(measure="gais", rater="clinician")
    assert score.value == Decimal("1.00")
    assert OutcomeScore.objects.count() == 2
    amendment = amendments_of(score).get()
    assert amendment.changes == {"value": {"from": "2.00", "to": "1.00"}}
    assert amendment.reason == "Misread the scale."
    assert amendment.amended_by == people.practitioner
    versions = [v.value for v in score.history.order_by("history_id")]  # type: ignore[attr-defined]
    assert versions == [Decimal("2.00"), Decimal("1.00")]
    # The patient's own GAIS was not touched.
    assert Amendment.objects.count() == 1


def test_an_amended_hexsel_item_keeps_the_original_items(people: People) -> None:
    course = make_course(people.patient, people.practitioner, "cellulite", ("thighs",))
    chart = make_chart(course, people.practitioner)
    client = login(people.practitioner)
    client.post(scores_url(chart), HEXSEL)
    changed = {**HEXSEL, "hexsel_css.clinician.laxity": "2", "reason": "Rated standing."}
    assert client.post(scores_url(chart), changed).status_code == 302
    score = OutcomeScore.objects.get()
    assert score.value == Decimal("10.00")
    changes = amendments_of(score).get().changes
    assert changes["value"] == {"from": "9.00", "to": "10.00"}
    assert changes["items"]["from"]["laxity"] == 1
    assert changes["items"]["to"]["laxity"] == 2


def test_a_recorded_score_cannot_be_emptied(people: People) -> None:
    chart = hair_chart(people)
    client = login(people.practitioner)
    client.post(scores_url(chart), {"gais.clinician": "2"})
    response = client.post(scores_url(chart), {"gais.clinician": "", "reason": "Remove"})
    assert response.status_code == 400
    assert 'id="score-gais-clinician-error"' in response.content.decode()
    assert recorded(chart) == {"gais.clinician": Decimal("2.00")}


# -- who may ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "status"), [("front_desk", 403), ("outsider", 404)])
def test_front_desk_and_outsiders_are_refused_the_score_pages(
    people: People, who: str, status: int
) -> None:
    chart = hair_chart(people)
    client = login(getattr(people, who))
    assert client.get(scores_url(chart)).status_code == status
    assert client.get(progress_url(chart)).status_code == status
    assert client.post(scores_url(chart), {"gais.clinician": "2"}).status_code == status
    assert OutcomeScore.objects.count() == 0


def test_a_manager_reads_scores_and_progress_but_does_not_record(people: People) -> None:
    chart = hair_chart(people)
    client = login(people.manager)
    assert 'id="score-submit"' not in client.get(scores_url(chart)).content.decode()
    assert client.get(progress_url(chart)).status_code == 200
    assert client.post(scores_url(chart), {"gais.clinician": "2"}).status_code == 403
    assert OutcomeScore.objects.count() == 0


def test_anonymous_visitors_are_sent_to_log_in(people: People) -> None:
    chart = hair_chart(people)
    for url in (scores_url(chart), progress_url(chart)):
        response = Client().get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_a_course_of_another_patient_is_not_found_through_this_record(people: People) -> None:
    other = make_chart(make_course(people.other_patient, people.practitioner), people.practitioner)
    client = login(people.practitioner)
    base = f"/staff/test/patients/{people.patient.pk}/record/"
    assert client.get(f"{base}courses/{other.course_id}/progress/").status_code == 404
    assert client.get(f"{base}charts/{other.pk}/scores/").status_code == 404


# -- progress ----------------------------------------------------------------------------------


def three_sessions(people: People) -> list[SessionChart]:
    first = hair_chart(people)
    charts = [first] + [
        make_chart(first.course, people.practitioner, session_number=n) for n in (2, 3)
    ]
    client = login(people.practitioner)
    for chart, gais, density in zip(charts, ("4", "3", "2"), ("110", "124", "139"), strict=True):
        client.post(scores_url(chart), {"gais.clinician": gais, "hair_density.clinician": density})
    client.post(scores_url(charts[2]), {"gais.clinician": "2", "gais.patient": "1"})
    return charts


def test_the_progress_page_draws_each_measure_as_a_chart_and_a_table(people: People) -> None:
    charts = three_sessions(people)
    response = login(people.practitioner).get(progress_url(charts[0]))
    assert response.status_code == 200
    html = response.content.decode()
    gais = html[html.index('id="progress-gais"') : html.index('id="progress-hair_density"')]
    assert "<svg" in gais and 'role="img"' in gais
    assert re.search(r"<title id=\"progress-gais-svg-title\">[^<]*by session</title>", gais)
    paths = re.findall(r'<path class="chart-line chart-line-(\w+)" d="([^"]+)"', gais)
    assert [rater for rater, _ in paths] == ["clinician", "patient"]
    assert paths[0][1].count("L") == 2  # three sessions, one line
    assert len(re.findall(r"<circle ", gais)) == 4
    rows = re.findall(r'<tr><th scope="row">(\d+)</th>(.*?)</tr>', gais)
    assert [n for n, _ in rows] == ["1", "2", "3"]
    assert "<td>2 (Much improved)</td><td>1 (Very much improved)</td>" in rows[2][1]
    density = html[html.index('id="progress-hair_density"') :]
    assert "Higher is better." in density
    assert "<td>139</td>" in density
    assert "style=" not in html
    assert "<script" not in html.split("</main>")[0].split("<main")[1]


def test_a_measure_not_yet_scored_says_so(people: People) -> None:
    chart = hair_chart(people)
    html = login(people.practitioner).get(progress_url(chart)).content.decode()
    assert 'id="progress-gais-empty"' in html
    assert 'id="progress-hair_density-empty"' in html
    assert "<svg" not in html


def test_the_record_hub_shows_the_latest_scores_and_links_to_progress(people: People) -> None:
    charts = three_sessions(people)
    html = login(people.practitioner).get(f"/staff/test/patients/{people.patient.pk}/record/")
    assert html.status_code == 200
    body = html.content.decode()
    assert f'id="course-{charts[0].course_id}-progress"' in body
    assert 'id="latest-scores"' in body
    assert body.count('id="hub-score-') == 7
    assert "Global Aesthetic Improvement Scale (GAIS)" in body


# -- the API -----------------------------------------------------------------------------------


def api_scores(chart: SessionChart) -> str:
    return f"/api/v1/patients/{chart.patient_id}/charts/{chart.pk}/scores"


def test_the_api_records_scores_and_refuses_each_wrong_one_naming_it(people: People) -> None:
    course = make_course(people.patient, people.practitioner, "cellulite", ("thighs",))
    chart = make_chart(course, people.practitioner)
    client = login(people.practitioner)
    listed = client.get(api_scores(chart)).json()
    assert [m["key"] for m in listed["measures"]] == ["gais", "hexsel_css"]
    assert listed["scores"] == []

    items = {k.rsplit(".", 1)[1]: int(v) for k, v in HEXSEL.items()}
    bad = post_json(
        client,
        api_scores(chart),
        {
            "scores": [
                {"measure": "gais", "rater": "patient", "value": 7},
                {"measure": "hexsel_css", "rater": "clinician", "items": {**items, "laxity": 5}},
                {"measure": "masi", "rater": "clinician", "value": 3},
            ]
        },
    )
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == [
        "scores.0.value",
        "scores.1.items.laxity",
        "scores.2.measure",
    ]
    assert OutcomeScore.objects.count() == 0

    good = post_json(
        client,
        api_scores(chart),
        {
            "scores": [
                {"measure": "gais", "rater": "patient", "value": 2},
                {"measure": "hexsel_css", "rater": "clinician", "items": items},
            ]
        },
    )
    assert good.status_code == 200, good.content
    assert [(s["measure"], s["value"]) for s in good.json()["created"]] == [
        ("gais", 2.0),
        ("hexsel_css", 9.0),
    ]
    change = {"scores": [{"measure": "gais", "rater": "patient", "value": "1"}]}
    refused = post_json(client, api_scores(chart), change)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "reason"
    amended = post_json(client, api_scores(chart), {**change, "reason": "Patient corrected."})
    assert [s["value"] for s in amended.json()["amended"]] == [1.0]
    assert Amendment.objects.count() == 1


def test_the_api_gives_the_progress_series(people: People) -> None:
    charts = three_sessions(people)
    client = login(people.manager)
    url = f"/api/v1/patients/{people.patient.pk}/courses/{charts[0].course_id}/progress"
    body = client.get(url).json()
    assert body["indication"] == "hair_loss"
    assert [c["session"] for c in body["charted"]] == [1, 2, 3]
    gais, density = body["measures"]
    assert (gais["measure"], gais["higher_is_better"], gais["min"], gais["max"]) == (
        "gais",
        False,
        1,
        5,
    )
    assert gais["series"] == [
        {
            "rater": "clinician",
            "points": [
                {"session": 1, "value": 4.0},
                {"session": 2, "value": 3.0},
                {"session": 3, "value": 2.0},
            ],
        },
        {"rater": "patient", "points": [{"session": 3, "value": 1.0}]},
    ]
    assert density["max"] is None
    assert [p["value"] for p in density["series"][0]["points"]] == [110.0, 124.0, 139.0]


@pytest.mark.parametrize(("who", "status"), [("front_desk", 403), ("outsider", 404)])
def test_the_score_api_refuses_front_desk_and_outsiders(
    people: People, who: str, status: int
) -> None:
    chart = hair_chart(people)
    client = login(getattr(people, who))
    base = f"/api/v1/patients/{people.patient.pk}"
    assert client.get(api_scores(chart)).status_code == status
    assert client.get(f"{base}/courses/{chart.course_id}/progress").status_code == status
    body = {"scores": [{"measure": "gais", "rater": "clinician", "value": 2}]}
    assert post_json(client, api_scores(chart), body).status_code == status
    assert Client().get(api_scores(chart)).status_code == 401
    assert OutcomeScore.objects.count() == 0


def test_the_measures_of_an_indication_are_public_catalog_knowledge(db: None) -> None:
    response = Client().get("/api/v1/measures?indication=pigmentation")
    assert response.status_code == 200
    measures = response.json()
    assert [m["key"] for m in measures] == ["gais", "mmasi", "masi"]
    assert (measures[1]["min"], measures[1]["max"], measures[1]["step"]) == (0, 24, 0.1)
    assert measures[0]["labels"][0] == {"value": 1, "text": "Very much improved"}
    unknown = Client().get("/api/v1/measures?indication=warts")
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "indication"
    assert len(Client().get("/api/v1/measures").json()) == 8


def test_the_chart_include_draws_from_a_list_of_scores_as_the_portal_has_them(db: None) -> None:
    from dataclasses import dataclass

    from django.template.loader import render_to_string

    @dataclass
    class Row:
        measure: str
        rater: str
        session_number: int
        value: Decimal

    rows = [
        Row("gais", "clinician", 1, Decimal("3.00")),
        Row("gais", "clinician", 2, Decimal("2.00")),
        Row("hair_density", "clinician", 2, Decimal("121.00")),
    ]
    html = render_to_string("clinical/_progress_chart.html", {"scores": rows})
    assert re.findall(r'<figure class="progress-chart" id="progress-(\w+)"', html) == [
        "gais",
        "hair_density",
    ]
    assert html.count("<svg") == 2
    assert "<td>121</td>" in html
    assert render_to_string("clinical/_progress_chart.html", {}).strip() == ""
