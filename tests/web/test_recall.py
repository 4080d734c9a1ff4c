"""Recalls: a bad lot, or a faulty device cleaning, leads to exactly the
patients and sessions that had it, across a chain's clinics the manager
manages; the lot can no longer be charted; the patients are messaged once
and who was told, how and when is recorded."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from accounts.models import User
from clinical.charting import ChartError, ChartValues, PointValues, chart_session
from clinical.models import RecordAccess, SessionChart
from clinics.models import Clinic, Device, DeviceKind, Role, StaffMember
from messaging.models import Message
from patients.models import Patient
from stock.models import DeviceCleaning, Lot, Product, Recall, RecallNotice
from stock.recall import affected, cleanings_in_cycle, matching_lots, told
from tests.clients import login, post_json
from tests.clinical_factories import clean_device, make_chart, make_course
from tests.conftest import People, make_user

NOW = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)  # 12:00 in Kolkata


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@dataclass
class Chain:
    people: People
    north: Clinic  # the manager's second clinic
    north_practitioner: User
    lot_a: Lot  # the recalled lot at clinic "test"
    lot_b: Lot  # the same lot at "north"
    other_lot: Lot  # another lot of the same product at "test"
    other_product_lot: Lot  # another product, the same lot number
    patients: dict[str, Patient]
    charts: dict[str, list[SessionChart]]


def patient_at(clinic: Clinic, first: str, last: str, email: str = "") -> Patient:
    return Patient.objects.create(
        clinic=clinic, first_name=first, last_name=last, email=email, phone="+91 98000 00000"
    )


def lot_of(clinic: Clinic, name: str, brand: str, number: str) -> Lot:
    product, _ = Product.objects.get_or_create(
        clinic=clinic, name=name, defaults={"brand": brand, "authorised_supplier": True}
    )
    return Lot.objects.create(
        product=product, number=number, expiry=clinic.today() + timedelta(days=300)
    )


@pytest.fixture
def chain(people: People) -> Chain:
    north = Clinic.objects.create(
        name="Test Clinic North",
        slug="north",
        country="IN",
        currency="INR",
        time_zone="Asia/Kolkata",
        phone="+91 22 5555 0101",
    )
    people.clinic.phone = "+91 22 5555 0100"
    people.clinic.save()
    StaffMember.objects.create(clinic=north, user=people.manager, role=Role.MANAGER)
    north_practitioner = make_user("northpractitioner")
    StaffMember.objects.create(clinic=north, user=north_practitioner, role=Role.PRACTITIONER)

    # A chain's locations record their own products and lots: the same vial
    # batch, typed a little differently at each.
    lot_a = lot_of(people.clinic, "Hair cocktail", "DermaHair", "DH-2026-07")
    lot_b = lot_of(north, "Hair Cocktail (north)", " dermahair", " dh-2026-07 ")
    other_lot = lot_of(people.clinic, "Hair cocktail", "DermaHair", "DH-2026-08")
    other_product_lot = lot_of(people.clinic, "Face serum", "GlowLab", "DH-2026-07")

    people.patient.email = "pat.one@example.com"
    people.patient.save()
    people.other_patient.email = "pat.two@example.com"
    people.other_patient.save()
    patients = {
        "one": people.patient,  # clinic test, the lot at two sessions
        "two": people.other_patient,  # clinic test, the lot at one session
        "north": patient_at(north, "Nora", "North", "nora@example.com"),  # the lot at north
        "other_lot": patient_at(people.clinic, "Olga", "Otherlot"),
        "other_product": patient_at(people.clinic, "Oscar", "Otherproduct"),
    }
    by = people.practitioner
    course_one = make_course(patients["one"], by)
    charts = {
        "one": [
            make_chart(course_one, by, 1, lot_a),
            make_chart(course_one, by, 2, other_lot),  # a session without the lot
            make_chart(course_one, by, 3, lot_a),
        ],
        "two": [make_chart(make_course(patients["two"], by), by, 1, lot_a)],
        "north": [
            make_chart(
                make_course(patients["north"], north_practitioner), north_practitioner, 1, lot_b
            )
        ],
        "other_lot": [make_chart(make_course(patients["other_lot"], by), by, 1, other_lot)],
        "other_product": [
            make_chart(make_course(patients["other_product"], by), by, 1, other_product_lot)
        ],
    }
    # Sessions of a course fall on different days: four and two weeks ago, today.
    SessionChart.objects.filter(pk=charts["one"][0].pk).update(
        performed_on=NOW.date() - timedelta(days=28)
    )
    SessionChart.objects.filter(pk=charts["one"][1].pk).update(
        performed_on=NOW.date() - timedelta(days=14)
    )
    return Chain(
        people,
        north,
        north_practitioner,
        lot_a,
        lot_b,
        other_lot,
        other_product_lot,
        patients,
        charts,
    )


def exposed(recall: Recall) -> dict[int, set[int]]:
    """patient id -> the ids of their sessions, as the recall found them."""
    return {a.patient.pk: {c.pk for c in a.charts} for a in affected(recall)}


def noticed(recall: Recall) -> dict[int, set[int]]:
    """patient id -> session ids, as the recall's notices keep them."""
    return {
        n.patient_id: set(n.charts.values_list("pk", flat=True))
        for n in RecallNotice.objects.filter(recall=recall)
    }


def recall_page(slug: str, lot: Lot) -> str:
    return f"/staff/{slug}/stock/lots/{lot.pk}/recall/"


def expected_lot_patients(chain: Chain) -> dict[int, set[int]]:
    p, c = chain.patients, chain.charts
    return {
        p["one"].pk: {c["one"][0].pk, c["one"][2].pk},
        p["two"].pk: {c["two"][0].pk},
        p["north"].pk: {c["north"][0].pk},
    }


# -- the same lot across the chain ----------------------------------------------------------------


def test_the_same_lot_is_found_at_the_managers_other_clinic_only(chain: Chain) -> None:
    managed = [chain.people.clinic, chain.north]
    assert matching_lots(chain.lot_a, managed) == [chain.lot_a, chain.lot_b]
    # Another clinic's lot of that number is not this manager's to recall.
    lot_of(chain.people.other_clinic, "Hair cocktail", "DermaHair", "DH-2026-07")
    assert matching_lots(chain.lot_a, managed) == [chain.lot_a, chain.lot_b]
    assert matching_lots(chain.lot_a, [chain.people.clinic]) == [chain.lot_a]


def test_a_lot_recall_finds_exactly_the_three_patients_and_their_sessions(chain: Chain) -> None:
    client = login(chain.people.manager)
    page = client.get(recall_page("test", chain.lot_a))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'id="other-{chain.lot_b.pk}"' in html  # "also at my other clinics"
    assert f'id="other-{chain.other_product_lot.pk}"' not in html

    response = client.post(
        recall_page("test", chain.lot_a),
        {
            "status": "recalled",
            "reason": "Maker's recall: sterility",
            "include_other_clinics": "on",
        },
    )
    recall = Recall.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/staff/test/stock/recalls/{recall.pk}/"
    assert set(recall.lots.all()) == {chain.lot_a, chain.lot_b}
    assert (recall.kind, recall.status, recall.created_by) == (
        "lot",
        "recalled",
        chain.people.manager,
    )
    expected = expected_lot_patients(chain)
    assert exposed(recall) == expected
    assert noticed(recall) == expected
    assert {n.patient_id: n.clinic.slug for n in recall.notices.all()} == {
        chain.patients["one"].pk: "test",
        chain.patients["two"].pk: "test",
        chain.patients["north"].pk: "north",
    }
    # Both lots are marked, with who and why in their history.
    for lot in (chain.lot_a, chain.lot_b):
        lot.refresh_from_db()
        assert lot.recalled_at == NOW
        assert lot.recall_reason == "Maker's recall: sterility"
        latest = lot.history.latest()
        assert latest.history_user == chain.people.manager
        assert "Maker's recall" in latest.history_change_reason
    for lot in (chain.other_lot, chain.other_product_lot):
        lot.refresh_from_db()
        assert lot.recalled_at is None

    # The recall page lists the three patients with their exact sessions.
    html = client.get(f"/staff/test/stock/recalls/{recall.pk}/").content.decode()
    for notice in recall.notices.all():
        assert f'id="notice-{notice.pk}"' in html
    for key, charts in chain.charts.items():
        for chart in charts:
            shown = f'id="session-{chart.pk}"' in html
            assert shown == (chart.pk in expected.get(chain.patients[key].pk, set())), chart
    assert "Otherlot" not in html and "Otherproduct" not in html
    assert "3 patients affected" in html
    # Each patient's sessions shown is a logged read of their record.
    reads = RecordAccess.objects.filter(user=chain.people.manager, what=f"recall {recall.pk}")
    assert sorted(reads.values_list("patient_id", flat=True)) == sorted(expected)


def test_a_recalled_lot_can_no_longer_be_charted(chain: Chain) -> None:
    login(chain.people.manager).post(
        recall_page("test", chain.lot_a),
        {"status": "suspect", "reason": "Counterfeit suspected", "include_other_clinics": "on"},
    )
    course = chain.charts["other_lot"][0].course
    by = chain.people.practitioner

    def chart_with(lot: Lot) -> SessionChart:
        values = ChartValues(technique=course.technique, depth="nappage", procedure_minutes=20)
        point = PointValues(
            "scalp", 0.5, 0.5, lot.product_id, lot.pk, Decimal("0.05"), Decimal("1.5")
        )
        return chart_session(course, None, 2, values, [point], by).chart

    before = SessionChart.objects.count()
    with pytest.raises(ChartError) as refused:
        chart_with(chain.lot_a)
    assert (refused.value.code, refused.value.field) == ("lot_recalled", "points.0.lot")
    assert SessionChart.objects.count() == before
    # The same session with a lot not recalled is charted: the refusal was the recall.
    assert chart_with(chain.other_lot).session_number == 2


def test_message_all_schedules_one_message_per_patient_once(chain: Chain) -> None:
    client = login(chain.people.manager)
    client.post(
        recall_page("test", chain.lot_a),
        {"status": "recalled", "reason": "Maker's recall", "include_other_clinics": "on"},
    )
    recall = Recall.objects.get()
    url = f"/staff/test/stock/recalls/{recall.pk}/message-all/"
    assert client.post(url).status_code == 302
    messages = Message.objects.filter(kind="recall")
    assert sorted(messages.values_list("key", flat=True)) == sorted(
        f"recall:{recall.pk}:patient:{pk}" for pk in expected_lot_patients(chain)
    )
    assert {m.status for m in messages} == {"scheduled"}
    assert all(m.due_at == NOW for m in messages)
    for notice in recall.notices.all():
        assert notice.message is not None
        assert notice.message.patient_id == notice.patient_id
        assert notice.message.clinic_id == notice.clinic_id
        assert notice.message.data == {"recall": recall.pk, "notice": notice.pk}
    # A second click schedules nothing more.
    client.post(url)
    assert Message.objects.filter(kind="recall").count() == 3


def test_the_recall_message_is_exact_and_kind(chain: Chain) -> None:
    from messaging.sending import deliver

    client = login(chain.people.manager)
    client.post(
        recall_page("test", chain.lot_a),
        {"status": "recalled", "reason": "Internal: sterility", "include_other_clinics": "on"},
    )
    recall = Recall.objects.get()
    client.post(f"/staff/test/stock/recalls/{recall.pk}/message-all/")
    notice = recall.notices.get(patient=chain.patients["one"])
    assert notice.message is not None
    mail.outbox.clear()
    assert deliver(notice.message.pk) == "sent"
    (sent,) = mail.outbox
    assert sent.to == ["pat.one@example.com"]
    body = sent.body
    assert "Dear Pat," in body
    assert "Hair cocktail (DermaHair), lot DH-2026-07" in body
    assert "has since been recalled" in body
    # Both sessions with the lot, in the clinic's local time, not the one without.
    assert "sessions at Test Clinic on Monday 2 February 2026 and Monday 2 March 2026." in body
    assert "16 February" not in body
    assert "Test Clinic" in body and "+91 22 5555 0100" in body
    assert "1 to 12 weeks" in body  # the catalog's mycobacterial infection advice
    assert "Contact the clinic the same day" in body  # the catalog's infection advice
    assert "Internal: sterility" not in body  # the staff's reason stays with the staff
    assert "stop" not in body.lower()
    assert "does not mean that something is wrong with you" in body
    # A sent message counts as told: by message, when it was sent, by who sent it.
    notice.refresh_from_db()
    said = told(notice)
    assert (said.at, said.how, said.by) == (NOW, "message", chain.people.manager)
    page = client.get(f"/staff/test/stock/recalls/{recall.pk}/").content.decode()
    assert f'id="told-{notice.pk}"' in page


def test_told_by_phone_is_recorded_with_who_and_when(chain: Chain) -> None:
    client = login(chain.people.manager)
    client.post(
        recall_page("test", chain.lot_a),
        {"status": "recalled", "reason": "Maker's recall", "include_other_clinics": "on"},
    )
    recall = Recall.objects.get()
    notice = recall.notices.get(patient=chain.patients["two"])
    # A practitioner who phoned the patient records it.
    nurse = login(chain.people.practitioner)
    url = f"/staff/test/stock/recalls/{recall.pk}/notices/{notice.pk}/told/"
    bad = nurse.post(url, {"how": "pigeon"})
    assert bad.status_code == 400
    assert "how" in bad.content.decode()
    notice.refresh_from_db()
    assert notice.told_at is None
    assert nurse.post(url, {"how": "phone", "note": "Spoke to her; no symptoms"}).status_code == 302
    notice.refresh_from_db()
    assert (notice.told_at, notice.how, notice.told_by) == (
        NOW,
        "phone",
        chain.people.practitioner,
    )
    assert notice.note == "Spoke to her; no symptoms"
    assert notice.history.latest().history_user == chain.people.practitioner
    page = client.get(f"/staff/test/stock/recalls/{recall.pk}/").content.decode()
    assert f'id="told-{notice.pk}"' in page
    assert "1 told" in page
    # Message all now leaves her out.
    client.post(f"/staff/test/stock/recalls/{recall.pk}/message-all/")
    assert sorted(Message.objects.filter(kind="recall").values_list("patient_id", flat=True)) == (
        sorted([chain.patients["one"].pk, chain.patients["north"].pk])
    )


def test_a_reason_is_required_and_nothing_is_written_without_it(chain: Chain) -> None:
    response = login(chain.people.manager).post(
        recall_page("test", chain.lot_a), {"status": "recalled", "reason": "  "}
    )
    assert response.status_code == 400
    assert 'id="reason-error"' in response.content.decode()
    assert Recall.objects.count() == 0
    assert RecallNotice.objects.count() == 0
    chain.lot_a.refresh_from_db()
    assert chain.lot_a.recalled_at is None


def test_a_manager_of_one_clinic_finds_only_that_clinics_patients(chain: Chain) -> None:
    local = make_user("localmanager")
    StaffMember.objects.create(clinic=chain.people.clinic, user=local, role=Role.MANAGER)
    client = login(local)
    page = client.get(recall_page("test", chain.lot_a)).content.decode()
    assert f'id="other-{chain.lot_b.pk}"' not in page
    client.post(
        recall_page("test", chain.lot_a),
        {"status": "recalled", "reason": "Maker's recall", "include_other_clinics": "on"},
    )
    recall = Recall.objects.get()
    assert list(recall.lots.all()) == [chain.lot_a]
    p, c = chain.patients, chain.charts
    assert noticed(recall) == {
        p["one"].pk: {c["one"][0].pk, c["one"][2].pk},
        p["two"].pk: {c["two"][0].pk},
    }
    chain.lot_b.refresh_from_db()
    assert chain.lot_b.recalled_at is None


def test_staff_of_each_clinic_see_only_their_own_patients_of_a_chain_recall(
    chain: Chain,
) -> None:
    login(chain.people.manager).post(
        recall_page("test", chain.lot_a),
        {"status": "recalled", "reason": "Maker's recall", "include_other_clinics": "on"},
    )
    recall = Recall.objects.get()
    north_notice = recall.notices.get(clinic=chain.north)
    # North's practitioner finds the recall at north, with north's patient only.
    north = login(chain.north_practitioner).get(f"/staff/north/stock/recalls/{recall.pk}/")
    assert north.status_code == 200
    html = north.content.decode()
    assert f'id="notice-{north_notice.pk}"' in html
    assert html.count('id="notice-') == 1
    assert 'id="hidden-patients"' in html
    # And may not record a notice of the other clinic.
    test_notice = recall.notices.get(patient=chain.patients["one"])
    other = login(chain.north_practitioner).post(
        f"/staff/north/stock/recalls/{recall.pk}/notices/{test_notice.pk}/told/", {"how": "phone"}
    )
    assert other.status_code == 404


# -- a device cleaning cycle ----------------------------------------------------------------------


def test_a_cleaning_cycle_recall_finds_exactly_the_three_patients(chain: Chain) -> None:
    people = chain.people
    gun_a = Device.objects.create(clinic=people.clinic, name="Gun A", kind=DeviceKind.INJECTOR_GUN)
    gun_a2 = Device.objects.create(
        clinic=people.clinic, name="Gun A2", kind=DeviceKind.INJECTOR_GUN
    )
    gun_b = Device.objects.create(clinic=chain.north, name="Gun B", kind=DeviceKind.INJECTOR_GUN)
    hour_ago = NOW - timedelta(hours=1)
    c42_a = clean_device(gun_a, people.manager, at=hour_ago, cycle="C-42")
    c42_b = clean_device(gun_b, people.manager, at=hour_ago, cycle=" c-42")
    c43_a = clean_device(gun_a2, people.manager, at=hour_ago, cycle="C-43")
    c, p = chain.charts, chain.patients

    def used(chart: SessionChart, device: Device, cleaning: DeviceCleaning) -> None:
        SessionChart.objects.filter(pk=chart.pk).update(device=device, device_cleaning=cleaning)

    used(c["one"][1], gun_a, c42_a)  # the session without the recalled lot
    used(c["two"][0], gun_a, c42_a)
    used(c["north"][0], gun_b, c42_b)
    used(c["other_lot"][0], gun_a2, c43_a)  # another cycle
    # c["other_product"]: no device

    assert cleanings_in_cycle(c42_a, [people.clinic, chain.north]) == [c42_a, c42_b]
    assert cleanings_in_cycle(c42_a, [people.clinic]) == [c42_a]
    client = login(people.manager)
    url = f"/staff/test/stock/cleanings/{c42_a.pk}/recall/"
    page = client.get(url).content.decode()
    assert f'id="other-{c42_b.pk}"' in page
    assert f'id="other-{c43_a.pk}"' not in page
    response = client.post(
        url,
        {
            "status": "recalled",
            "reason": "Gun rinsed with tap water",
            "include_other_clinics": "on",
        },
    )
    assert response.status_code == 302
    recall = Recall.objects.get()
    assert (recall.kind, set(recall.cleanings.all())) == ("cleaning", {c42_a, c42_b})
    expected = {
        p["one"].pk: {c["one"][1].pk},
        p["two"].pk: {c["two"][0].pk},
        p["north"].pk: {c["north"][0].pk},
    }
    assert exposed(recall) == expected
    assert noticed(recall) == expected
    html = client.get(f"/staff/test/stock/recalls/{recall.pk}/").content.decode()
    assert "Gun A" in html and "C-42" in html

    # A manager of one clinic recalling the same cycle finds that clinic's two.
    local = make_user("localmanager")
    StaffMember.objects.create(clinic=people.clinic, user=local, role=Role.MANAGER)
    login(local).post(
        url, {"status": "suspect", "reason": "Cycle log incomplete", "include_other_clinics": "on"}
    )
    second = Recall.objects.exclude(pk=recall.pk).get()
    assert noticed(second) == {p["one"].pk: {c["one"][1].pk}, p["two"].pk: {c["two"][0].pk}}

    # The message names the device and its cleaning, in clinic time.
    from stock.recall_messages import recall_text

    _subject, text = recall_text(recall.notices.get(patient=p["two"]))
    assert "Gun A, cleaned on Monday 2 March 2026, 11:00 IST (Asia/Kolkata)" in text
    assert "cleaning cycle C-42" in text


# -- who may -------------------------------------------------------------------------------------


def test_only_managers_recall_practitioners_read_front_desk_and_outsiders_do_not(
    chain: Chain,
) -> None:
    people = chain.people
    form = {"status": "recalled", "reason": "Maker's recall", "include_other_clinics": "on"}
    url = recall_page("test", chain.lot_a)
    practitioner = login(people.practitioner)
    assert practitioner.get(url).status_code == 403
    assert practitioner.post(url, form).status_code == 403
    assert login(people.front_desk).post(url, form).status_code == 403
    assert login(people.outsider).post(url, form).status_code == 404
    assert Recall.objects.count() == 0
    chain.lot_a.refresh_from_db()
    assert chain.lot_a.recalled_at is None

    login(people.manager).post(url, form)
    recall = Recall.objects.get()
    page = f"/staff/test/stock/recalls/{recall.pk}/"
    assert practitioner.get(page).status_code == 200
    assert practitioner.get("/staff/test/stock/recalls/").status_code == 200
    assert 'id="message-all"' not in practitioner.get(page).content.decode()
    assert practitioner.post(f"{page}message-all/").status_code == 403
    assert login(people.front_desk).get(page).status_code == 403
    assert login(people.front_desk).get("/staff/test/stock/recalls/").status_code == 403
    assert login(people.outsider).get(page).status_code == 404
    assert login(people.outsider).get(f"/staff/other/stock/recalls/{recall.pk}/").status_code == 404
    assert Message.objects.filter(kind="recall").count() == 0
    # Another clinic's lot is not found from this clinic.
    foreign = lot_of(people.other_clinic, "Hair cocktail", "DermaHair", "X")
    assert login(people.manager).get(recall_page("test", foreign)).status_code == 404


# -- the API -------------------------------------------------------------------------------------


def test_the_api_recalls_reads_messages_and_records_told(chain: Chain) -> None:
    people = chain.people
    client = login(people.manager)
    base = "/api/v1/clinics/test/recalls"
    body = {
        "lots": [chain.lot_a.pk],
        "status": "recalled",
        "reason": "",
        "include_other_clinics": True,
    }
    bad = post_json(client, base, body)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "reason"
    assert Recall.objects.count() == 0
    assert (
        post_json(client, base, {**body, "reason": "x", "lots": [999999]}).json()["errors"][0][
            "field"
        ]
        == "lots.0"
    )
    assert post_json(login(people.practitioner), base, {**body, "reason": "x"}).status_code == 403
    assert post_json(login(people.outsider), base, {**body, "reason": "x"}).status_code == 404
    assert Recall.objects.count() == 0

    created = post_json(client, base, {**body, "reason": "Maker's recall"})
    assert created.status_code == 201
    data = created.json()
    assert {lot["id"] for lot in data["lots"]} == {chain.lot_a.pk, chain.lot_b.pk}
    found = {n["patient"]: {s["chart"] for s in n["sessions"]} for n in data["notices"]}
    assert found == expected_lot_patients(chain)

    recall_id = data["id"]
    read = login(people.practitioner).get(f"{base}/{recall_id}")
    assert read.status_code == 200
    # The practitioner is staff at "test" only: north's patient is counted, not shown.
    assert {n["patient"] for n in read.json()["notices"]} == {
        chain.patients["one"].pk,
        chain.patients["two"].pk,
    }
    assert read.json()["not_shown"] == 1
    assert login(people.front_desk).get(f"{base}/{recall_id}").status_code == 403
    assert login(people.outsider).get(f"{base}/{recall_id}").status_code == 404

    sent = post_json(client, f"{base}/{recall_id}/message-all")
    assert sent.status_code == 200
    assert sent.json()["scheduled"] == 3
    assert post_json(client, f"{base}/{recall_id}/message-all").json()["scheduled"] == 0
    assert Message.objects.filter(kind="recall").count() == 3

    notice = RecallNotice.objects.get(recall_id=recall_id, patient=chain.patients["one"])
    told_url = f"{base}/{recall_id}/notices/{notice.pk}/told"
    future = post_json(client, told_url, {"how": "phone", "at": "2026-03-03T10:00:00+05:30"})
    assert future.status_code == 422
    assert future.json()["errors"][0]["field"] == "at"
    answer = post_json(client, told_url, {"how": "in_person", "note": "At her session"})
    assert answer.status_code == 200
    assert answer.json()["told"]["how"] == "in_person"
    notice.refresh_from_db()
    assert (notice.told_at, notice.told_by) == (NOW, people.manager)


def test_the_api_recalls_a_cleaning_cycle(chain: Chain) -> None:
    people = chain.people
    gun_a = Device.objects.create(clinic=people.clinic, name="Gun A", kind=DeviceKind.INJECTOR_GUN)
    gun_b = Device.objects.create(clinic=chain.north, name="Gun B", kind=DeviceKind.INJECTOR_GUN)
    c42_a = clean_device(gun_a, people.manager, cycle="C-42")
    c42_b = clean_device(gun_b, people.manager, cycle="C-42")
    SessionChart.objects.filter(pk=chain.charts["two"][0].pk).update(
        device=gun_a, device_cleaning=c42_a
    )
    SessionChart.objects.filter(pk=chain.charts["north"][0].pk).update(
        device=gun_b, device_cleaning=c42_b
    )
    response = post_json(
        login(people.manager),
        "/api/v1/clinics/test/recalls",
        {
            "cleaning": c42_a.pk,
            "status": "recalled",
            "reason": "Tap water",
            "include_other_clinics": True,
        },
    )
    assert response.status_code == 201
    assert {n["patient"] for n in response.json()["notices"]} == {
        chain.patients["two"].pk,
        chain.patients["north"].pk,
    }
    both = post_json(
        login(people.manager),
        "/api/v1/clinics/test/recalls",
        {"cleaning": c42_a.pk, "lots": [chain.lot_a.pk], "status": "recalled", "reason": "x"},
    )
    assert both.status_code == 422
    assert both.json()["errors"][0]["field"] == "lots"
