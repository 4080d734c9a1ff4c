"""Informed consent: read in full, signed with a typed name and a drawn
signature, witnessed, withdrawn on record; versioned texts; a consent
without its signature is no consent."""

from __future__ import annotations

import base64
import io
import os
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from PIL import Image

import clinical.consents as consents_module
from clinical.consents import ConsentError, current_text, sign, withdraw
from clinical.gates import photo_consent, session_blockers, valid_consent
from clinical.models import Consent, ConsentText, RecordAccess
from mesoclinic.catalog import get_catalog
from tests.clients import api, login, post_json, record
from tests.clinical_factories import make_course, signature_png

KOLKATA = ZoneInfo("Asia/Kolkata")
MORNING = datetime(2026, 11, 23, 9, 30, tzinfo=KOLKATA)


@pytest.fixture(autouse=True)
def monday_morning() -> Any:
    with time_machine.travel(MORNING, tick=False):
        yield


def data_url(png: bytes, kind: str = "png") -> str:
    return f"data:image/{kind};base64," + base64.b64encode(png).decode()


def image(mode: str, colour: Any, size: tuple[int, int] = (600, 200), fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, format=fmt)
    return out.getvalue()


SIGNED = data_url(signature_png())
BLANK_CANVAS = data_url(image("RGBA", (0, 0, 0, 0)))  # what an untouched pad sends
WHITE_PAGE = data_url(image("RGB", (255, 255, 255)))
JPEG = data_url(image("RGB", (0, 0, 0), fmt="JPEG"), kind="jpeg")
JPEG_AS_PNG = data_url(image("RGB", (0, 0, 0), fmt="JPEG"))
NOT_BASE64 = "data:image/png;base64,%%%not-base64%%%"
TRUNCATED = data_url(signature_png()[:40])


def too_big() -> str:
    noise = Image.frombytes("RGBA", (600, 400), os.urandom(600 * 400 * 4))
    out = io.BytesIO()
    noise.save(out, format="PNG")
    assert len(out.getvalue()) > 500 * 1024
    return data_url(out.getvalue())


BAD_SIGNATURES = {
    "empty": "",
    "blank canvas": BLANK_CANVAS,
    "white page": WHITE_PAGE,
    "a JPEG": JPEG,
    "a JPEG called PNG": JPEG_AS_PNG,
    "not base64": NOT_BASE64,
    "a broken PNG": TRUNCATED,
    "plain text": "my signature",
}


# -- the texts --------------------------------------------------------------------------------


def test_the_consent_page_shows_the_indications_text_in_full(people: Any) -> None:
    course = make_course(people.patient, people.practitioner)
    page = login(people.practitioner).get(record(people, f"courses/{course.pk}/consent/"))
    assert page.status_code == 200
    html = page.content.decode()
    text = ConsentText.objects.get()
    assert (text.kind, text.indication, text.version, text.language) == (
        "treatment",
        "hair_loss",
        1,
        "en",
    )
    assert "Consent to mesotherapy for Hair loss (alopecia)" in html
    catalog = get_catalog()
    for key in ("redness", "scarring_alopecia", "mycobacterial_infection"):
        assert catalog.side_effects[key].name in html
    assert "Platelet-rich plasma (PRP)" in html and "Minoxidil 5% applied to the scalp" in html
    assert "DuqueEstrada2009" in html  # the source of scarring alopecia
    assert f'name="text" value="{text.pk}"' in html
    assert 'name="signature"' in html and "signature-pad.js" in html
    # The witness is the practitioner logged in.
    assert "Witness: <strong>practitioner</strong>" in html
    # Shown again: the same version, not a new one.
    login(people.practitioner).get(record(people, f"courses/{course.pk}/consent/"))
    assert ConsentText.objects.count() == 1


def test_the_text_keeps_the_catalogs_risks_alternatives_and_sources(people: Any) -> None:
    text = current_text(people.clinic, "treatment", "hair_loss")
    catalog = get_catalog()
    risks = {r["key"]: r for r in text.risks}
    assert risks["redness"]["sources"] == list(catalog.side_effects["redness"].sources)
    assert risks["mycobacterial_infection"]["kind"] == "urgent"
    assert [a["key"] for a in text.alternatives] == ["prp", "topical_minoxidil"]
    gajjar = [s for s in text.sources if s["key"] == "Gajjar2019"]
    assert [s["title"] for s in gajjar] == [catalog.sources["Gajjar2019"].title]


def test_a_new_version_is_published_when_the_content_changes_and_old_consents_keep_theirs(
    people: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    course = make_course(people.patient, people.practitioner)
    client = login(people.practitioner)
    first = current_text(people.clinic, "treatment", "hair_loss")
    response = client.post(
        record(people, f"courses/{course.pk}/consent/"),
        {"text": first.pk, "typed_name": "Pat One", "signature": SIGNED},
    )
    assert response.status_code == 302
    signed = Consent.objects.get()

    catalog = get_catalog()
    redness = replace(catalog.side_effects["redness"], advice="Redness settles, said anew.")
    changed = replace(catalog, side_effects={**catalog.side_effects, "redness": redness})
    monkeypatch.setattr(consents_module, "get_catalog", lambda: changed)

    second = current_text(people.clinic, "treatment", "hair_loss")
    assert second.version == 2 and second.pk != first.pk
    assert "Redness settles, said anew." in second.body
    assert "Redness settles, said anew." not in first.body
    assert current_text(people.clinic, "treatment", "hair_loss").pk == second.pk
    assert ConsentText.objects.count() == 2
    signed.refresh_from_db()
    assert signed.text_id == first.pk and signed.text.version == 1

    # A form still showing version 1 cannot be signed now: the words changed.
    stale = client.post(
        record(people, f"courses/{course.pk}/consent/"),
        {"text": first.pk, "typed_name": "Pat One", "signature": SIGNED},
    )
    assert stale.status_code == 400
    assert "The consent text changed while the form was open" in stale.content.decode()
    assert Consent.objects.count() == 1
    page = client.get(record(people, f"courses/{course.pk}/consent/"))
    assert f'name="text" value="{second.pk}"' in page.content.decode()


def test_the_api_returns_the_current_text(people: Any) -> None:
    client = login(people.manager)
    response = client.get(api(people, "consent-texts?kind=treatment&indication=hair_loss"))
    assert response.status_code == 200
    body = response.json()
    assert (body["version"], body["indication"]) == (1, "hair_loss")
    assert body["sections"][0]["heading"] == "What the treatment is"
    photos = client.get(api(people, "consent-texts?kind=photos")).json()
    assert photos["title"] == "Consent to clinical photographs"
    assert photos["indication"] == ""
    assert client.get(api(people, "consent-texts")).json()["id"] == photos["id"]
    by_indication = client.get(api(people, "consent-texts?indication=hair_loss")).json()
    assert by_indication["id"] == body["id"]
    missing = client.get(api(people, "consent-texts?kind=treatment"))
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "indication"
    assert client.get(api(people, "consent-texts?kind=mood")).status_code == 422


def test_a_treatment_the_country_bans_has_no_consent_text(people: Any) -> None:
    people.clinic.country = "FR"
    people.clinic.save()
    with pytest.raises(ConsentError) as refused:
        current_text(people.clinic, "treatment", "double_chin")
    assert refused.value.field == "indication"
    assert ConsentText.objects.count() == 0


# -- signing ----------------------------------------------------------------------------------


def test_a_signed_consent_is_stored_with_its_witness_and_time(people: Any) -> None:
    course = make_course(people.patient, people.practitioner)
    client = login(people.practitioner)
    text = current_text(people.clinic, "treatment", "hair_loss")
    response = client.post(
        record(people, f"courses/{course.pk}/consent/"),
        {"text": text.pk, "typed_name": "  Pat One ", "signature": SIGNED},
    )
    consent = Consent.objects.get()
    assert response.status_code == 302
    assert response["Location"] == record(people, f"consents/{consent.pk}/")
    assert consent.patient == people.patient and consent.clinic == people.clinic
    assert consent.course == course and consent.text == text
    assert consent.typed_name == "Pat One"
    assert bytes(consent.signature_png) == signature_png()
    assert consent.witnessed_by == people.practitioner
    assert consent.signed_at == MORNING
    assert consent.withdrawn_at is None
    assert valid_consent(course) == consent
    assert "no_consent" not in [b.code for b in session_blockers(course, None, MORNING.date())]
    history = consent.history.get()
    assert history.history_user == people.practitioner
    assert history.history_change_reason == "Signed treatment consent v1"

    page = client.get(record(people, f"consents/{consent.pk}/"))
    html = page.content.decode()
    assert page.status_code == 200
    # Signed at 09:30 in the clinic's time zone (Asia/Kolkata), not UTC (04:00).
    assert "23 Nov 2026 09:30" in html
    assert "Asia/Kolkata" in html
    assert record(people, f"consents/{consent.pk}/signature.png") in html
    assert "Version 1" in html


def test_a_session_cannot_start_before_the_consent_is_signed(people: Any) -> None:
    course = make_course(people.patient, people.practitioner)
    codes = [b.code for b in session_blockers(course, None, MORNING.date())]
    assert "no_consent" in codes


@pytest.mark.parametrize("signature", list(BAD_SIGNATURES.values()), ids=list(BAD_SIGNATURES))
def test_the_page_refuses_a_consent_without_a_real_signature(people: Any, signature: str) -> None:
    course = make_course(people.patient, people.practitioner)
    text = current_text(people.clinic, "treatment", "hair_loss")
    response = login(people.practitioner).post(
        record(people, f"courses/{course.pk}/consent/"),
        {"text": text.pk, "typed_name": "Pat One", "signature": signature},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-field="signature"' in html
    assert Consent.objects.count() == 0
    assert valid_consent(course) is None
    # What the patient typed is kept for the next try.
    assert 'value="Pat One"' in html


def test_the_page_refuses_a_too_big_signature(people: Any) -> None:
    course = make_course(people.patient, people.practitioner)
    text = current_text(people.clinic, "treatment", "hair_loss")
    response = login(people.practitioner).post(
        record(people, f"courses/{course.pk}/consent/"),
        {"text": text.pk, "typed_name": "Pat One", "signature": too_big()},
    )
    assert response.status_code == 400
    assert "The signature image is too big." in response.content.decode()
    assert Consent.objects.count() == 0


def test_the_page_refuses_a_consent_without_a_typed_name(people: Any) -> None:
    course = make_course(people.patient, people.practitioner)
    text = current_text(people.clinic, "treatment", "hair_loss")
    response = login(people.practitioner).post(
        record(people, f"courses/{course.pk}/consent/"),
        {"text": text.pk, "typed_name": "   ", "signature": SIGNED},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-field="typed_name"' in html
    assert "The patient must type their full name." in html
    assert Consent.objects.count() == 0


@pytest.mark.parametrize("signature", list(BAD_SIGNATURES.values()), ids=list(BAD_SIGNATURES))
def test_the_api_refuses_a_consent_without_a_real_signature(people: Any, signature: str) -> None:
    course = make_course(people.patient, people.practitioner)
    response = post_json(
        login(people.practitioner),
        api(people, "consents"),
        {"kind": "treatment", "course": course.pk, "typed_name": "Pat One", "signature": signature},
    )
    assert response.status_code == 422, response.json()
    assert response.json()["errors"][0]["field"] == "signature"
    assert Consent.objects.count() == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"typed_name": ""}, "typed_name"),
        ({"typed_name": None}, "typed_name"),
        ({"signature": None}, "signature"),
        ({"course": None}, "course"),
        ({"kind": "photos"}, "course"),
        ({"text": 999999}, "text"),
    ],
)
def test_the_api_refuses_a_consent_with_a_missing_part_naming_it(
    people: Any, changes: dict[str, Any], field: str
) -> None:
    course = make_course(people.patient, people.practitioner)
    body = {"kind": "treatment", "course": course.pk, "typed_name": "Pat One", "signature": SIGNED}
    body.update(changes)
    body = {k: v for k, v in body.items() if v is not None or k == "course"}
    response = post_json(login(people.practitioner), api(people, "consents"), body)
    assert response.status_code == 422, response.json()
    assert response.json()["errors"][0]["field"] == field
    assert Consent.objects.count() == 0


def test_the_api_stores_a_signed_consent(people: Any) -> None:
    course = make_course(people.patient, people.practitioner)
    client = login(people.practitioner)
    response = post_json(
        client,
        api(people, "consents"),
        {"kind": "treatment", "course": course.pk, "typed_name": "Pat One", "signature": SIGNED},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    consent = Consent.objects.get()
    assert body["id"] == consent.pk
    assert body["text"]["version"] == 1 and body["text"]["indication"] == "hair_loss"
    assert body["witnessed_by"]["id"] == people.practitioner.pk
    assert body["signed_at"] == "2026-11-23T09:30:00+05:30"
    assert body["valid"] is True
    picture = client.get(body["signature_url"])
    assert picture.status_code == 200
    assert picture["Content-Type"] == "image/png"
    assert picture.content == signature_png()
    assert client.get(api(people, f"courses/{course.pk}")).json()["consent"] == consent.pk


def test_a_treatment_consent_is_for_a_course_of_the_same_patient_and_indication(
    people: Any,
) -> None:
    theirs = make_course(people.other_patient, people.practitioner)
    response = post_json(
        login(people.practitioner),
        api(people, "consents"),
        {"kind": "treatment", "course": theirs.pk, "typed_name": "Pat One", "signature": SIGNED},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "course"
    ours = make_course(people.patient, people.practitioner, "facial_rejuvenation", ("face",))
    hair_text = current_text(people.clinic, "treatment", "hair_loss")
    with pytest.raises(ConsentError) as wrong:
        sign(people.patient, hair_text, ours, "Pat One", SIGNED, people.practitioner)
    assert wrong.value.field == "text"
    with pytest.raises(ConsentError) as witness:
        text = current_text(people.clinic, "treatment", "facial_rejuvenation")
        sign(people.patient, text, ours, "Pat One", SIGNED, people.outsider)
    assert witness.value.field == "witness"
    assert Consent.objects.count() == 0


def test_a_stopped_course_takes_no_consent(people: Any) -> None:
    from clinical.courses import stop

    course = make_course(people.patient, people.practitioner)
    stop(course, "Changed their mind", people.practitioner)
    text = current_text(people.clinic, "treatment", "hair_loss")
    with pytest.raises(ConsentError) as refused:
        sign(people.patient, text, course, "Pat One", SIGNED, people.practitioner)
    assert refused.value.field == "course"
    assert Consent.objects.count() == 0


def test_the_photo_consent_is_signed_without_a_course(people: Any) -> None:
    client = login(people.practitioner)
    page = client.get(record(people, "consents/photos/"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Consent to clinical photographs" in html
    assert "Front, Left side, Right side, Top of the scalp" in html
    assert "location and camera details" in html
    text = ConsentText.objects.get(kind="photos")
    response = client.post(
        record(people, "consents/photos/"),
        {"text": text.pk, "typed_name": "Pat One", "signature": SIGNED},
    )
    assert response.status_code == 302
    consent = Consent.objects.get()
    assert consent.course is None and consent.text.kind == "photos"
    assert photo_consent(people.patient) == consent


# -- withdrawal -------------------------------------------------------------------------------


def signed(people: Any) -> Consent:
    course = make_course(people.patient, people.practitioner)
    text = current_text(people.clinic, "treatment", "hair_loss")
    return sign(people.patient, text, course, "Pat One", SIGNED, people.practitioner)


def test_a_withdrawal_needs_a_reason_and_is_recorded_never_deleted(people: Any) -> None:
    consent = signed(people)
    client = login(people.practitioner)
    refused = client.post(record(people, f"consents/{consent.pk}/withdraw/"), {"reason": ""})
    assert refused.status_code == 400
    assert "Say why the consent is withdrawn." in refused.content.decode()
    consent.refresh_from_db()
    assert consent.withdrawn_at is None and consent.withdrawal_reason == ""

    later = MORNING + timedelta(days=3)
    with time_machine.travel(later, tick=False):
        done = client.post(
            record(people, f"consents/{consent.pk}/withdraw/"),
            {"reason": "Patient no longer wishes to continue."},
        )
    assert done.status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawn_at == later
    assert consent.withdrawal_reason == "Patient no longer wishes to continue."
    assert consent.withdrawal_recorded_by == people.practitioner
    assert Consent.objects.count() == 1
    assert valid_consent(consent.course) is None  # type: ignore[arg-type]
    blockers = session_blockers(consent.course, None, later.date())  # type: ignore[arg-type]
    assert "consent_withdrawn" in [b.code for b in blockers]
    page = client.get(record(people, f"consents/{consent.pk}/")).content.decode()
    assert "Patient no longer wishes to continue." in page
    assert "Record the withdrawal" not in page
    with pytest.raises(ConsentError) as twice:
        withdraw(consent, "Again", people.practitioner)
    assert twice.value.field == "consent"


def test_the_api_records_a_withdrawal(people: Any) -> None:
    consent = signed(people)
    client = login(people.practitioner)
    url = api(people, f"consents/{consent.pk}/withdraw")
    missing = post_json(client, url, {"reason": " "})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "reason"
    assert Consent.objects.get().withdrawn_at is None
    done = post_json(client, url, {"reason": "Moving away"})
    assert done.status_code == 200
    assert done.json()["valid"] is False
    assert done.json()["withdrawal_reason"] == "Moving away"
    assert done.json()["withdrawal_recorded_by"]["id"] == people.practitioner.pk
    assert post_json(client, url, {"reason": "Again"}).status_code == 409
    blockers = session_blockers(consent.course, None, MORNING.date())  # type: ignore[arg-type]
    assert "consent_withdrawn" in [b.code for b in blockers]


# -- who may see consents ---------------------------------------------------------------------


def consent_urls(people: Any, consent: Consent) -> list[str]:
    assert consent.course is not None
    return [
        record(people, f"courses/{consent.course.pk}/consent/"),
        record(people, "consents/photos/"),
        record(people, f"consents/{consent.pk}/"),
        record(people, f"consents/{consent.pk}/signature.png"),
        api(people, "consents"),
        api(people, f"consents/{consent.pk}"),
        api(people, f"consents/{consent.pk}/signature.png"),
        api(people, "consent-texts?kind=photos"),
    ]


def test_front_desk_is_refused_every_consent_page_and_endpoint(people: Any) -> None:
    consent = signed(people)
    client = login(people.front_desk)
    for url in consent_urls(people, consent):
        assert client.get(url).status_code == 403, url
    assert (
        client.post(record(people, f"consents/{consent.pk}/withdraw/"), {"reason": "x"}).status_code
        == 403
    )
    url = api(people, f"consents/{consent.pk}/withdraw")
    assert post_json(client, url, {"reason": "x"}).status_code == 403
    assert Consent.objects.get().withdrawn_at is None


@pytest.mark.parametrize("who", ["outsider", "patient", "other_patient"])
def test_outsiders_and_patients_get_404_on_every_consent_page_and_endpoint(
    people: Any, who: str
) -> None:
    consent = signed(people)
    reads = RecordAccess.objects.count()
    user = getattr(people, who)
    client = login(user if who == "outsider" else user.user)
    for url in consent_urls(people, consent):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(record(people, f"consents/{consent.pk}/withdraw/"), {"reason": "x"}).status_code
        == 404
    )
    url = api(people, f"consents/{consent.pk}/withdraw")
    assert post_json(client, url, {"reason": "x"}).status_code == 404
    body = {"kind": "photos", "typed_name": "Pat One", "signature": SIGNED}
    assert post_json(client, api(people, "consents"), body).status_code == 404
    assert Consent.objects.count() == 1
    assert Consent.objects.get().withdrawn_at is None
    assert RecordAccess.objects.count() == reads


def test_another_patients_consent_is_not_found_under_this_patient(people: Any) -> None:
    course = make_course(people.other_patient, people.practitioner)
    text = current_text(people.clinic, "treatment", "hair_loss")
    theirs = sign(people.other_patient, text, course, "Pat Two", SIGNED, people.practitioner)
    client = login(people.practitioner)
    assert client.get(record(people, f"consents/{theirs.pk}/")).status_code == 404
    assert client.get(record(people, f"consents/{theirs.pk}/signature.png")).status_code == 404
    assert client.get(api(people, f"consents/{theirs.pk}/signature.png")).status_code == 404
    url = api(people, f"consents/{theirs.pk}/withdraw")
    assert post_json(client, url, {"reason": "x"}).status_code == 404
    assert Consent.objects.get().withdrawn_at is None


def test_the_signature_image_is_served_to_readers_and_each_read_is_logged(people: Any) -> None:
    consent = signed(people)
    client = login(people.manager)
    picture = client.get(record(people, f"consents/{consent.pk}/signature.png"))
    assert picture.status_code == 200
    assert picture["Content-Type"] == "image/png"
    assert picture.content == signature_png()
    assert "no-store" in picture["Cache-Control"] or "max-age=0" in picture["Cache-Control"]
    assert RecordAccess.objects.filter(user=people.manager, what="consent signature").count() == 1
    # A manager reads the consent but does not take one or record a withdrawal.
    page = client.get(record(people, f"consents/{consent.pk}/")).content.decode()
    assert "Record the withdrawal" not in page
    assert (
        client.post(record(people, f"consents/{consent.pk}/withdraw/"), {"reason": "x"}).status_code
        == 403
    )


def test_the_hub_lists_the_consents(people: Any) -> None:
    consent = signed(people)
    html = login(people.practitioner).get(record(people)).content.decode()
    assert record(people, f"consents/{consent.pk}/") in html
    assert "Consent to mesotherapy for Hair loss (alopecia) v1" in html
    assert record(people, "consents/photos/") in html
