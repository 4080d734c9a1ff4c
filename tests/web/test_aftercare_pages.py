"""The aftercare sheet of a session: the staff page, the patient's page, the
PDFs, the API, and the text a message carries. Readers as for the record:
practitioners and managers, the patient for their own sessions only."""

from __future__ import annotations

import re
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import translation

from clinical.aftercare_pdf import FAMILY, SheetPDF
from clinical.aftercare_sheet import (
    sheet_for_chart,
    sheet_html,
    sheet_text,
)
from clinical.charting import chart_actives, session_end
from clinical.models import RecordAccess, SessionChart
from scheduling.models import Appointment
from stock.models import Product
from tests.clients import login, record
from tests.clinical_factories import make_chart, make_course, make_lot
from tests.conftest import People

# 12:10 UTC is 17:40 at the test clinic (Asia/Kolkata).
SESSION = datetime(2030, 1, 7, 12, 10, tzinfo=UTC)
NO_WASHING = "Do not wash your hair for 24 hours after a hair mesotherapy session."
NO_WASHING_HI = "बालों की मेसोथेरेपी के सत्र के बाद 24 घंटे तक बाल न धोएँ।"
NO_SUN = "Keep out of direct sun for 72 hours after a face mesotherapy session."
FOOTER = "This sheet supports, and does not replace, the advice of your practitioner."


@pytest.fixture
def chart(people: People) -> SessionChart:
    """A hair session at the scalp, charted at 17:40 clinic time."""
    with time_machine.travel(SESSION, tick=False):
        course = make_course(people.patient, people.practitioner)
        return make_chart(course, people.practitioner)


@pytest.fixture
def face_chart(people: People) -> SessionChart:
    with time_machine.travel(SESSION, tick=False):
        course = make_course(people.patient, people.practitioner, "facial_rejuvenation", ("face",))
        return make_chart(course, people.practitioner)


def page(people: People, chart: SessionChart, rest: str = "aftercare/") -> str:
    return record(people, f"charts/{chart.pk}/{rest}")


def portal(chart: SessionChart, rest: str = "aftercare/") -> str:
    return f"/my/record/sessions/{chart.pk}/{rest}"


# -- the staff page -------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["practitioner", "manager"])
def test_practitioners_and_managers_read_the_sheet_and_the_read_is_logged(
    people: People, chart: SessionChart, who: str
) -> None:
    user = getattr(people, who)
    response = login(user).get(page(people, chart))
    assert response.status_code == 200
    html = response.content.decode()
    assert NO_WASHING in html
    # 24 hours after the session ended, in the clinic's time with its zone.
    assert "Until Tuesday 8 January 2030, 17:40 IST (Asia/Kolkata)." in html
    assert "What is normal" in html and "Redness" in html
    assert "When to call the clinic" in html
    assert "Call the clinic if soreness or bruising has not improved after a week." in html
    assert FOOTER in html
    assert response["Cache-Control"] == "private, no-store"
    reads = list(RecordAccess.objects.filter(user=user).values_list("what", flat=True))
    assert reads == [f"chart {chart.pk} aftercare"]


def test_front_desk_is_refused_and_nothing_is_logged(people: People, chart: SessionChart) -> None:
    client = login(people.front_desk)
    assert client.get(page(people, chart)).status_code == 403
    assert client.get(page(people, chart, "aftercare.pdf")).status_code == 403
    assert RecordAccess.objects.count() == 0


def test_another_clinics_staff_find_nothing(people: People, chart: SessionChart) -> None:
    client = login(people.outsider)
    assert client.get(page(people, chart)).status_code == 404
    assert client.get(page(people, chart, "aftercare.pdf")).status_code == 404
    other = f"/staff/{people.other_clinic.slug}/patients/{people.patient.pk}/record/"
    assert client.get(f"{other}charts/{chart.pk}/aftercare/").status_code == 404


def test_a_chart_of_another_patient_is_not_found_under_this_patients_record(
    people: People,
) -> None:
    course = make_course(people.other_patient, people.practitioner)
    theirs = make_chart(course, people.practitioner)
    client = login(people.practitioner)
    assert client.get(page(people, theirs)).status_code == 404
    assert client.get(page(people, theirs, "aftercare.pdf")).status_code == 404


def test_the_chart_page_links_to_its_aftercare_sheet(people: People, chart: SessionChart) -> None:
    html = login(people.manager).get(page(people, chart, "")).content.decode()
    assert f'href="{page(people, chart)}"' in html


def test_a_face_session_says_no_sun_for_72_hours(people: People, face_chart: SessionChart) -> None:
    html = login(people.practitioner).get(page(people, face_chart)).content.decode()
    assert NO_SUN in html
    assert "Until Thursday 10 January 2030, 17:40 IST (Asia/Kolkata)." in html
    assert NO_WASHING not in html


# -- the patient's page ---------------------------------------------------------------------


def test_the_patient_reads_the_sheet_of_their_own_session(
    people: People, chart: SessionChart
) -> None:
    client = login(people.patient.user)
    response = client.get(portal(chart))
    assert response.status_code == 200
    html = response.content.decode()
    assert NO_WASHING in html
    assert "Until Tuesday 8 January 2030, 17:40 IST (Asia/Kolkata)." in html
    assert "Test Clinic" in html and "Pat One" in html
    assert response["Cache-Control"] == "private, no-store"
    # Reached from their record.
    assert f'href="{portal(chart)}"' in client.get("/my/record/").content.decode()


def test_another_patients_session_is_not_found(people: People, chart: SessionChart) -> None:
    client = login(people.other_patient.user)
    assert client.get(portal(chart)).status_code == 404
    assert client.get(portal(chart, "aftercare.pdf")).status_code == 404


def test_staff_have_no_portal_sheet(people: People, chart: SessionChart) -> None:
    assert login(people.practitioner).get(portal(chart)).status_code == 404


def test_the_patients_page_is_in_their_language(people: People, chart: SessionChart) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="hi")
    client.force_login(people.patient.user)
    html = client.get(portal(chart)).content.decode()
    assert NO_WASHING_HI in html
    assert NO_WASHING not in html
    assert "IST (Asia/Kolkata)" in html


# -- PDFs -----------------------------------------------------------------------------------


def _streams(pdf: bytes) -> list[bytes]:
    out = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            out.append(zlib.decompress(stream))
        except zlib.error:
            out.append(stream)
    return out


def _literal(data: bytes, start: int) -> tuple[bytes, int]:
    """The PDF literal string opening at data[start] ("("), and the index after it."""
    out, i, depth = bytearray(), start + 1, 1
    escapes = {b"n": 10, b"r": 13, b"t": 9, b"b": 8, b"f": 12}
    while True:
        ch = data[i : i + 1]
        if ch == b"\\":
            nxt = data[i + 1 : i + 2]
            if nxt in escapes:
                out.append(escapes[nxt])
                i += 2
            elif nxt.isdigit():
                digits = re.match(rb"[0-7]{1,3}", data[i + 1 : i + 4])
                assert digits is not None
                out.append(int(digits.group(0), 8) & 0xFF)
                i += 1 + len(digits.group(0))
            else:
                out += nxt
                i += 2
            continue
        if ch == b"(":
            depth += 1
        elif ch == b")":
            depth -= 1
            if depth == 0:
                return bytes(out), i + 1
        out += ch
        i += 1


def pdf_text(pdf: bytes) -> str:
    """The text a reader's PDF viewer shows: each string drawn, decoded with
    the font the page has set at that point (Tf) through that font's
    ToUnicode map; one line per text object."""
    fonts = dict(re.findall(rb"/(F\d+) (\d+) 0 R", pdf))
    maps: dict[bytes, dict[int, str]] = {}
    for name, number in fonts.items():
        obj = re.search(rb"\n" + number + rb" 0 obj\n<<(.*?)>>", pdf, re.S)
        assert obj is not None
        ref = re.search(rb"/ToUnicode (\d+) 0 R", obj.group(1))
        assert ref is not None
        body = pdf[pdf.index(b"\n" + ref.group(1) + b" 0 obj") :]
        cmap = _streams(body[: body.index(b"endstream") + 9])[0]
        table: dict[int, str] = {}
        for cid, uni in re.findall(rb"<([0-9A-Fa-f]{4})>\s*<([0-9A-Fa-f]+)>", cmap):
            table[int(cid, 16)] = bytes.fromhex(uni.decode()).decode("utf-16-be")
        maps[name] = table
    text, font = [], b""
    for content in _streams(pdf):
        if b" Tf" not in content:
            continue
        i = 0
        while i < len(content):
            if content[i : i + 1] == b"(":
                raw, i = _literal(content, i)
                table = maps[font]
                text += [
                    table.get(int.from_bytes(raw[j : j + 2]), "?") for j in range(0, len(raw), 2)
                ]
                continue
            tf = re.match(rb"/(F\d+) [\d.]+ Tf", content[i : i + 30])
            if tf:
                font = tf.group(1)
                i += len(tf.group(0))
                continue
            if content[i : i + 3] == b" ET":
                text.append("\n")
            i += 1
    return "".join(text)


def assert_pdf(response: Any, chart: SessionChart) -> bytes:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'inline; filename="aftercare-{chart.performed_on:%Y-%m-%d}-session-1.pdf"'
    )
    assert response["Cache-Control"] == "private, no-store"
    body: bytes = response.content
    assert body.startswith(b"%PDF-")
    assert body.rstrip().endswith(b"%%EOF")
    return body


def words(pdf: bytes) -> str:
    return " ".join(pdf_text(pdf).split())


def test_the_staff_pdf_is_a_private_inline_pdf(people: People, chart: SessionChart) -> None:
    client = login(people.practitioner)
    body = assert_pdf(client.get(page(people, chart, "aftercare.pdf")), chart)
    text = words(body)
    assert text.startswith("Test Clinic Aftercare Patient: Pat One Session: 7 January 2030")
    assert f"{NO_WASHING} Until Tuesday 8 January 2030, 17:40 IST (Asia/Kolkata)." in text
    assert "What is normal • Redness" in text
    assert "Call the clinic if soreness or bruising has not improved after a week." in text
    assert FOOTER in text
    reads = list(RecordAccess.objects.values_list("what", flat=True))
    assert reads == [f"chart {chart.pk} aftercare (PDF)"]


def test_the_patient_pdf_is_their_own(people: People, chart: SessionChart) -> None:
    body = assert_pdf(login(people.patient.user).get(portal(chart, "aftercare.pdf")), chart)
    assert NO_WASHING in words(body)


def test_a_hindi_pdf_builds_with_the_devanagari_font(people: People, chart: SessionChart) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="hi")
    client.force_login(people.patient.user)
    body = assert_pdf(client.get(portal(chart, "aftercare.pdf")), chart)
    # Devanagari comes from the embedded Lohit font, shaped: the letters a
    # PDF viewer copies out are the sheet's, Hindi dates and times included.
    assert b"LohitDevanagari" in body
    text = words(body)
    assert "बालों की मेसोथेरेपी के सत्र के बाद 24 घंटे तक बाल न धोएँ।" in text
    assert "मंगलवार 8 जनवरी 2030, 17:40 IST (Asia/Kolkata)" in text
    english = words(login(people.patient.user).get(portal(chart, "aftercare.pdf")).content)
    assert not [c for c in english if "\u0900" <= c <= "\u097f"]


def test_latin_text_after_a_line_ending_in_hindi_prints_as_written() -> None:
    """Each line states its font: a line ending in Devanagari (drawn in the
    fallback font) does not leave the next line's Latin text, or the next
    bullet, in that font, where it would print as the wrong letters."""
    pdf = SheetPDF("")
    pdf.add_page()
    for width in range(60, 181, 20):
        pdf.set_font(FAMILY, "", 10)
        pdf.multi_cell(width, 5, "यह 2 से 3 घंटे तक रहती है।", new_x="LMARGIN", new_y="NEXT")
        pdf.cell(5, 5, "•")
        pdf.multi_cell(width, 5, "Usually lasts 2 to 3 hours.", new_x="LMARGIN", new_y="NEXT")
    text = " ".join(pdf_text(bytes(pdf.output())).split())
    assert text.count("• Usually lasts 2 to 3 hours.") == 7
    assert text.count("यह 2 से 3") == 7


# -- the API --------------------------------------------------------------------------------


def api(people: People, chart: SessionChart) -> str:
    return f"/api/v1/patients/{people.patient.pk}/charts/{chart.pk}/aftercare"


def test_the_api_gives_the_sheet_to_staff_who_may_read_the_record(
    people: People, chart: SessionChart
) -> None:
    response = login(people.manager).get(api(people, chart))
    assert response.status_code == 200
    body = response.json()
    assert (body["chart_id"], body["area"], body["indication"]) == (chart.pk, "scalp", "hair_loss")
    assert body["session_end"] == "2030-01-07T12:10:00Z"
    first = body["do_and_avoid"][0]
    assert (first["key"], first["text"], first["hours"]) == ("scalp_no_washing", NO_WASHING, 24)
    assert first["ends_at"] == "2030-01-08T12:10:00Z"
    assert first["until"] == "Tuesday 8 January 2030, 17:40 IST (Asia/Kolkata)"
    assert "redness" in [n["key"] for n in body["normal"]]
    levels = [c["level"] for c in body["when_to_call"]]
    assert levels[0] == "urgent" and "call_if_lasting" in [c["key"] for c in body["when_to_call"]]
    assert body["sources"][0]["key"] == "003_a19211cc0e41e4e0.txt"
    assert body["pdf"] == page(people, chart, "aftercare.pdf")
    assert list(RecordAccess.objects.values_list("what", flat=True)) == [
        f"chart {chart.pk} aftercare (API)"
    ]


def test_the_api_refuses_front_desk_and_other_clinics(people: People, chart: SessionChart) -> None:
    refused = login(people.front_desk).get(api(people, chart))
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["field"] == "patient_id"
    assert login(people.outsider).get(api(people, chart)).status_code == 404
    missing = login(people.practitioner).get(
        f"/api/v1/patients/{people.patient.pk}/charts/{chart.pk + 999}/aftercare"
    )
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["field"] == "chart_id"
    assert Client().get(api(people, chart)).status_code == 401


def test_the_patient_reads_their_own_sheet_over_the_api(
    people: People, chart: SessionChart
) -> None:
    url = f"/api/v1/me/charts/{chart.pk}/aftercare"
    response = login(people.patient.user).get(url)
    assert response.status_code == 200
    assert response.json()["do_and_avoid"][0]["key"] == "scalp_no_washing"
    assert response.json()["pdf"] == portal(chart, "aftercare.pdf")
    other = login(people.other_patient.user).get(url)
    assert other.status_code == 404
    assert other.json()["errors"][0]["field"] == "chart_id"


# -- what the sheet is built from, and the message texts ------------------------------------


def test_the_products_actives_join_the_protocols(people: People) -> None:
    """A lightening cocktail with tranexamic acid brings the melasma check,
    which the protocol's own actives do not."""
    course = make_course(people.patient, people.practitioner, "pigmentation", ("face",))
    course.protocol = "pigmentation_lightening"
    course.save()
    Product.objects.create(
        clinic=people.clinic, name="Lightening", actives=["vitamin_c", "tranexamic_acid"]
    )
    chart = make_chart(
        course, people.practitioner, lot=make_lot(people.clinic, product="Lightening")
    )
    assert chart_actives(chart) == (
        "vitamin_c",
        "kojic_acid",
        "azelaic_acid",
        "lysine",
        "glutathione",
        "tranexamic_acid",
    )
    keys = [i.key for i in sheet_for_chart(chart).do_and_avoid]
    assert "melasma_relapse_check" in keys
    plain = make_chart(course, people.practitioner, session_number=2)
    assert "melasma_relapse_check" not in [i.key for i in sheet_for_chart(plain).do_and_avoid]


def test_deoxycholate_in_a_product_brings_its_own_course(people: People) -> None:
    course = make_course(people.patient, people.practitioner, "double_chin", ("submental",))
    normal = [n.key for n in sheet_for_chart(make_chart(course, people.practitioner)).normal]
    assert "deoxycholate_swelling" in normal and "swelling" not in normal


def test_the_session_ends_after_numbing_and_procedure_from_the_appointments_start(
    people: People, chart: SessionChart
) -> None:
    start = datetime(2030, 1, 7, 11, 0, tzinfo=UTC)
    unsaved = SessionChart(
        appointment=Appointment(starts_at=start, ends_at=start + timedelta(hours=1)),
        numbing_minutes=25,
        procedure_minutes=30,
        charted_at=SESSION,
    )
    assert session_end(unsaved) == start + timedelta(minutes=55)
    assert session_end(chart) == SESSION


def test_the_message_text_carries_the_rules_their_end_and_the_footer(
    people: People, chart: SessionChart
) -> None:
    people.clinic.phone = "+91 80 1234 5678"
    people.clinic.save()
    chart.refresh_from_db()
    with translation.override("en"):
        text = sheet_text(chart)
        short = sheet_text(chart, short=True)
        html = sheet_html(chart)
    assert f"- {NO_WASHING} Until Tuesday 8 January 2030, 17:40 IST (Asia/Kolkata)." in text
    assert "Phone: +91 80 1234 5678" in text
    assert text.rstrip().endswith(FOOTER)
    assert "What is normal" in text and "What is normal" not in short
    assert NO_WASHING in short and len(short) < len(text)
    assert NO_WASHING in html and "<html" not in html and FOOTER in html
    with translation.override("hi"):
        assert NO_WASHING_HI in sheet_text(chart)
