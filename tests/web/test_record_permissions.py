"""Who may see and change the clinical record, for EVERY page and API
endpoint of it.

The pages and endpoints are not listed by hand: they are enumerated from the
URL configuration (namespaces "clinical", "portal", "intake") and from the
API's OpenAPI document (paths under /patients/{patient_id} and /me), so an
endpoint added later is covered the day it is added. Each id in a URL is
filled with the id of the matching object of a full record; an id this
module does not know how to fill fails the test with its name (add it to
``Record.ids``), so nothing is skipped silently.

The matrix (issue 4): anonymous -> login (pages) / 401 (API); front desk ->
403 everywhere but the contacts allow-list; another clinic's practitioner ->
404; a patient's login -> 404 on staff pages and API; manager -> reads, may
not write (403); practitioner -> not refused. A patient asking the portal for
another patient's object -> 404. Every allowed staff read is logged
(RecordAccess), a refused one is not; a refused write writes nothing.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import User
from api.v1 import api
from clinical.models import (
    Consent,
    InjectionPoint,
    OutcomeScore,
    Photo,
    RecordAccess,
    ScreeningRecord,
    SessionChart,
    TreatmentCourse,
)
from clinics.models import StaffMember
from patients.models import Intake, Patient
from scheduling.models import Appointment, Service, ServiceKind
from tests.clinical_factories import make_chart, make_course, make_screening, sign_consent
from tests.conftest import People

# -- the record ------------------------------------------------------------------------------


@dataclass
class Record:
    patient: Patient
    intake: Intake
    course: TreatmentCourse
    consent: Consent
    photo_consent: Consent
    screening: ScreeningRecord
    appointment: Appointment
    chart: SessionChart
    point: InjectionPoint
    score: OutcomeScore
    photo: Photo

    def ids(self) -> dict[str, Any]:
        """How to fill each URL argument; a new kind of id goes here."""
        return {
            "slug": self.patient.clinic.slug,
            "patient_id": self.patient.pk,
            "intake_id": self.intake.pk,
            "course_id": self.course.pk,
            "consent_id": self.consent.pk,
            "screening_id": self.screening.pk,
            "appointment_id": self.appointment.pk,
            "chart_id": self.chart.pk,
            "point_id": self.point.pk,
            "score_id": self.score.pk,
            "photo_id": self.photo.pk,
            # Query parameters that name the record's things.
            "indication": self.course.indication,
        }


def _jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 140, 120)).save(out, format="JPEG")
    return out.getvalue()


def full_record(people: People, patient: Patient, key: str) -> Record:
    from clinical.photos import store_photo, views_for_chart

    practitioner = people.practitioner
    course = make_course(patient, practitioner)
    consent = sign_consent(patient, practitioner, course)
    photo_consent = sign_consent(patient, practitioner, kind="photos")
    screening = make_screening(course, practitioner)
    service, _ = Service.objects.get_or_create(
        clinic=patient.clinic,
        key="hair-loss-scalp",
        defaults={
            "name": "Hair loss: Scalp",
            "kind": ServiceKind.SESSION,
            "indication": course.indication,
            "area": course.areas[0],
            "procedure_minutes": 30,
        },
    )
    clinic = patient.clinic
    starts = datetime.combine(
        clinic.today() + timedelta(days=1), time(11, 0), tzinfo=ZoneInfo(clinic.time_zone)
    )
    if key == "two":
        starts += timedelta(hours=2)
    appointment = Appointment.objects.create(
        clinic=clinic,
        patient=patient,
        service=service,
        practitioner=StaffMember.objects.get(clinic=clinic, user=practitioner),
        starts_at=starts,
        ends_at=starts + timedelta(minutes=30),
        blocked_from=starts,
        blocked_until=starts + timedelta(minutes=30),
        created_by=people.front_desk,
    )
    chart = make_chart(course, practitioner, lot=None)
    score = OutcomeScore.objects.create(
        clinic=clinic,
        patient=patient,
        chart=chart,
        measure="gais",
        rater=OutcomeScore.Rater.CLINICIAN,
        value=2,
        recorded_by=practitioner,
        recorded_at=chart.charted_at,
    )
    upload = SimpleUploadedFile("p.jpg", _jpeg(), content_type="image/jpeg")
    photo = store_photo(chart, views_for_chart(chart)[0], "before", upload, practitioner)
    return Record(
        patient=patient,
        intake=patient.intakes.get(),
        course=course,
        consent=consent,
        photo_consent=photo_consent,
        screening=screening,
        appointment=appointment,
        chart=chart,
        point=chart.points.order_by("pk").first(),  # type: ignore[arg-type]
        score=score,
        photo=photo,
    )


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def records(people: People, media: Path) -> tuple[Record, Record]:
    return full_record(people, people.patient, "one"), full_record(
        people, people.other_patient, "two"
    )


# -- enumerating pages and endpoints -----------------------------------------------------------


@dataclass(frozen=True)
class Page:
    name: str  # namespaced
    args: tuple[str, ...]


def pages_of(namespace: str) -> list[Page]:
    """Every named pattern under the namespace, with the URL arguments it
    takes (its include's prefix included)."""
    found: list[Page] = []

    def walk(patterns: list[Any], names: tuple[str, ...], prefix: str) -> None:
        for item in patterns:
            args = names + tuple(item.pattern.converters)
            if isinstance(item, URLResolver):
                walk(item.url_patterns, args, prefix)
            elif isinstance(item, URLPattern):
                assert item.name, f"an unnamed pattern in {namespace}: {item.pattern}"
                found.append(Page(f"{prefix}:{item.name}", args))

    for item in get_resolver().url_patterns:
        if isinstance(item, URLResolver) and item.namespace == namespace:
            walk(item.url_patterns, tuple(item.pattern.converters), namespace)
    assert found, f"no patterns in namespace {namespace}"
    return found


# Pages that show nothing without a query string: what to ask them for.
PAGE_QUERY = {"clinical:chart_new": {"course": "course_id"}}


def url_for(page: Page, record: Record) -> str:
    ids = record.ids()
    unknown = [a for a in page.args if a not in ids]
    assert not unknown, f"{page.name}: fill URL argument(s) {unknown} in Record.ids()"
    url = reverse(page.name, kwargs={a: ids[a] for a in page.args})
    query = {name: ids[key] for name, key in PAGE_QUERY.get(page.name, {}).items()}
    return f"{url}?{urlencode(query)}" if query else url


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # as in the OpenAPI document, e.g. /api/v1/patients/{patient_id}

    @property
    def short(self) -> str:
        return self.path.removeprefix("/api/v1")


def record_operations() -> list[Operation]:
    schema = api.get_openapi_schema()
    found = []
    for path, operations in schema["paths"].items():
        short = path.removeprefix("/api/v1")
        if short.startswith(("/patients/{patient_id}", "/me/")) or short == "/me":
            found.extend(Operation(m.upper(), path) for m in operations)
    assert found
    return found


def api_url(operation: Operation, record: Record) -> str:
    """The operation's URL for the record, its required query parameters
    filled (from the record where one matches, else from the schema)."""
    ids = record.ids()
    names = re.findall(r"{(\w+)}", operation.path)
    unknown = [n for n in names if n not in ids]
    assert not unknown, f"{operation.method} {operation.path}: fill {unknown} in Record.ids()"
    url = re.sub(r"{(\w+)}", lambda m: str(ids[m.group(1)]), operation.path)
    spec = api.get_openapi_schema()["paths"][operation.path][operation.method.lower()]
    query = {}
    for parameter in spec.get("parameters", []):
        name = parameter["name"]
        if parameter["in"] != "query":
            continue
        if name in ids:
            query[name] = ids[name]
        elif parameter.get("required"):
            query[name] = _example(parameter["schema"], {})
    return f"{url}?{urlencode(query)}" if query else url


def body_for(operation: Operation) -> dict[str, Any]:
    """A body shaped like the operation's schema (its required fields with
    plain values), so a refusal comes from the access check, not from the
    body's validation. Best effort: a refusal by 422 is also accepted."""
    schema = api.get_openapi_schema()
    spec = schema["paths"][operation.path][operation.method.lower()]
    content = spec.get("requestBody", {}).get("content", {})
    media = content.get("application/json")
    if not media:
        return {}
    value = _example(media["schema"], schema.get("components", {}).get("schemas", {}))
    return value if isinstance(value, dict) else {}


def _example(spec: dict[str, Any], defs: dict[str, Any], depth: int = 0) -> Any:
    if depth > 6:
        return None
    if "$ref" in spec:
        return _example(defs[spec["$ref"].rsplit("/", 1)[-1]], defs, depth + 1)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in spec:
            options = [o for o in spec[key] if o.get("type") != "null"]
            return _example(options[0], defs, depth + 1) if options else None
    if "enum" in spec:
        return spec["enum"][0]
    if "default" in spec:
        return spec["default"]
    kind = spec.get("type")
    if kind == "object":
        required = spec.get("required", [])
        return {
            k: _example(v, defs, depth + 1)
            for k, v in spec.get("properties", {}).items()
            if k in required
        }
    if kind == "array":
        return []
    if kind == "integer":
        return max(1, int(spec.get("minimum", 1)))
    if kind == "number":
        return max(1, spec.get("minimum", 1))
    if kind == "boolean":
        return False
    if spec.get("format") == "date":
        return "2026-03-02"
    if spec.get("format") == "date-time":
        return "2026-03-02T10:00:00+05:30"
    return "x" * max(1, int(spec.get("minLength", 1)))


# -- who asks ---------------------------------------------------------------------------------


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def written(exclude_reads: bool = False) -> dict[str, int]:
    """Row counts of every clinical and patient table, their histories
    included (every save adds a history row, so a change shows too)."""
    counts = {}
    for label in ("clinical", "patients", "stock", "scheduling"):
        for model in apps.get_app_config(label).get_models():
            if exclude_reads and model is RecordAccess:
                continue
            counts[model._meta.label] = model._default_manager.count()
    return counts


def is_login_redirect(response: Any) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def has_post_form(response: Any) -> bool:
    return b'method="post"' in response.content


# Pages that refuse a role the matrix would otherwise allow, on purpose.
MANAGER_ONLY = {"clinical:reads"}  # who read the record: for the manager who answers for it
# Reads not logged one by one, on purpose: a thumbnail is shown inside a page
# whose read is logged (clinical/views/photos.py), and a patient's contacts
# are not their clinical record.
NOT_LOGGED = {"clinical:photo_thumbnail", "GET /patients/{patient_id}"}
# Front desk sees schedules and contacts, not charts: the contacts allow-list.
FRONT_DESK_MAY = {("GET", "/patients/{patient_id}")}


# -- the staff pages ---------------------------------------------------------------------------


def test_the_enumerations_find_the_record_pages_and_endpoints() -> None:
    """The tests below are only as wide as these lists: an enumeration that
    broke and found nothing would make them pass by testing nothing."""
    pages = {p.name for p in pages_of("clinical")}
    assert {
        "clinical:record",
        "clinical:chart",
        "clinical:chart_new",
        "clinical:photo_image",
    } <= pages
    operations = {(o.method, o.path) for o in record_operations()}
    assert ("POST", "/api/v1/patients/{patient_id}/charts") in operations
    assert ("GET", "/api/v1/me/record") in operations
    assert len(operations) >= 25


@pytest.mark.parametrize("page", pages_of("clinical"), ids=lambda p: p.name)
def test_each_record_page_refuses_everyone_but_the_clinics_clinicians(
    people: People, records: tuple[Record, Record], page: Page
) -> None:
    record = records[0]
    url = url_for(page, record)
    practitioner = client_for(people.practitioner)
    first = practitioner.get(url)
    post_only = first.status_code == 405
    method = "post" if post_only else "get"

    def ask(user: User | None, how: str = method) -> Any:
        return getattr(client_for(user), how)(url, {})

    # Refused: nothing read is logged, nothing written.
    for who, user, expected in [
        ("anonymous", None, "login"),
        ("front desk", people.front_desk, 403),
        ("outsider", people.outsider, 404),
        ("patient", people.patient.user, 404),
        ("other patient", people.other_patient.user, 404),
    ]:
        for how in ("get", "post"):
            before = written()
            response = ask(user, how)
            if how == method:
                if expected == "login":
                    assert is_login_redirect(response), (who, how, url, response.status_code)
                else:
                    assert response.status_code == expected, (who, how, url, response.status_code)
            else:
                # The other method: refused one way or another.
                assert is_login_redirect(response) or response.status_code in {
                    expected,
                    405,
                }, (who, how, url, response.status_code)
            assert written() == before, (who, how, url)

    # The manager reads, and never writes.
    manager = client_for(people.manager)
    before = written(exclude_reads=True)
    response = manager.post(url, {})
    assert response.status_code in {403, 405}, ("manager", "post", url, response.status_code)
    assert written(exclude_reads=True) == before
    write_form = False
    if not post_only:
        reads = RecordAccess.objects.count()
        response = manager.get(url)
        if response.status_code == 403:
            # Only a form to write is closed to the manager.
            write_form = has_post_form(first)
            assert write_form, ("manager refused a page that only reads", url)
            assert RecordAccess.objects.count() == reads, ("a refused read was logged", url)
        else:
            assert response.status_code == 200, ("manager", "get", url, response.status_code)
            assert RecordAccess.objects.count() == reads + logged(page.name), url

    # The practitioner is not refused.
    if page.name in MANAGER_ONLY:
        assert first.status_code == 403
        return
    if post_only:
        response = practitioner.post(url, {})
        assert response.status_code not in {403, 404}, (url, response.status_code)
        assert response.status_code < 500, (url, response.status_code)
    else:
        assert first.status_code == 200, (
            "practitioner",
            url,
            first.status_code,
            "a page that needs a query string: add it to PAGE_QUERY",
        )
        reads = RecordAccess.objects.count()
        practitioner.get(url)
        # A form to write may log its reading or not (clinical.access.write_record
        # is not logged; the change it leads to is attributed).
        allowed = {reads, reads + 1} if write_form else {reads + logged(page.name)}
        assert RecordAccess.objects.count() in allowed, ("practitioner's read not logged", url)


def logged(name: str) -> int:
    return 0 if name in NOT_LOGGED else 1


# -- the API -----------------------------------------------------------------------------------


@pytest.mark.parametrize("operation", record_operations(), ids=lambda o: f"{o.method} {o.short}")
def test_each_record_endpoint_refuses_everyone_but_the_clinics_clinicians(
    people: People, records: tuple[Record, Record], operation: Operation
) -> None:
    record = records[0]
    url = api_url(operation, record)
    body = json.dumps(body_for(operation))
    reading = operation.method == "GET"
    own = operation.short.startswith("/me")

    def ask(user: User | None) -> Any:
        client = client_for(user)
        if reading:
            return client.get(url)
        return client.generic(operation.method, url, body, content_type="application/json")

    staff_expect = {
        "front desk": 200 if (operation.method, operation.short) in FRONT_DESK_MAY else 403,
        "outsider": 404,
        "patient": 404,
        "other patient": 404,
    }
    if own:
        # The patient's own: every login without a patient record gets 404.
        staff_expect = {"front desk": 404, "outsider": 404}
    for who, user, expected in [
        ("anonymous", None, 401),
        ("front desk", people.front_desk, staff_expect.get("front desk")),
        ("outsider", people.outsider, staff_expect.get("outsider")),
        ("patient", people.patient.user, staff_expect.get("patient")),
        ("other patient", people.other_patient.user, staff_expect.get("other patient")),
        ("manager", people.manager, (404 if own else None)),
    ]:
        if expected is None:
            continue
        before = written()
        response = ask(user)
        allowed = {expected} if reading else {expected, 422}
        assert response.status_code in allowed, (who, operation, response.content[:300])
        if expected >= 400:
            assert written() == before, (who, operation)

    if own:
        return
    reads = RecordAccess.objects.count()
    before = written(exclude_reads=True)
    response = ask(people.manager)
    if reading:
        assert response.status_code == 200, ("manager", operation, response.content[:300])
        assert RecordAccess.objects.count() == reads + logged(f"GET {operation.short}")
    else:
        assert response.status_code in {403, 422}, ("manager", operation, response.content[:300])
        assert written(exclude_reads=True) == before

    if reading:
        reads = RecordAccess.objects.count()
        response = ask(people.practitioner)
        assert response.status_code == 200, ("practitioner", operation, response.content[:300])
        assert RecordAccess.objects.count() == reads + logged(f"GET {operation.short}")


# -- the patient's own pages --------------------------------------------------------------------


OWN_PAGES = pages_of("portal") + pages_of("intake")


@pytest.mark.parametrize("page", OWN_PAGES, ids=lambda p: p.name)
def test_a_patient_is_refused_another_patients_objects_in_the_portal(
    people: People, records: tuple[Record, Record], page: Page
) -> None:
    mine, theirs = records
    patient = client_for(people.patient.user)
    own_url = url_for(page, mine)
    first = patient.get(own_url)
    post_only = first.status_code == 405
    method = "post" if post_only else "get"
    if not post_only:
        assert first.status_code in {200, 302}, (own_url, first.status_code)
    assert is_login_redirect(getattr(Client(), method)(own_url, {}))
    # Staff have no portal: they read records through the staff pages.
    before = written()
    assert getattr(client_for(people.practitioner), method)(own_url, {}).status_code == 404
    assert written() == before

    if not page.args:
        return
    their_url = url_for(page, theirs)
    assert their_url != own_url
    for how in ("get", "post"):
        before = written()
        response = getattr(patient, how)(their_url, {})
        assert response.status_code in ({404} if how == method else {404, 405}), (
            how,
            their_url,
            response.status_code,
        )
        assert written() == before


def test_my_record_shows_only_my_own(people: People, records: tuple[Record, Record]) -> None:
    mine, theirs = records
    response = client_for(people.other_patient.user).get("/api/v1/me/record")
    assert response.status_code == 200
    data = response.json()
    assert data["patient"]["id"] == theirs.patient.pk
    assert [c["id"] for c in data["courses"]] == [theirs.course.pk]
    assert sorted(c["id"] for c in data["consents"]) == sorted(
        [theirs.consent.pk, theirs.photo_consent.pk]
    )
    assert [s["id"] for s in data["sessions"]] == [theirs.chart.pk]
    assert [s["id"] for s in data["scores"]] == [theirs.score.pk]
    assert [p["id"] for p in data["photos"]] == [theirs.photo.pk]
    lot = theirs.point.lot
    assert data["sessions"][0]["injected"] == [
        {"product": lot.product.name, "lot": lot.number, "lot_expiry": str(lot.expiry)}
    ]
    assert data["sessions"][0]["aftercare"]
    # Nothing written for staff alone.
    assert "notes" not in data["sessions"][0]
    assert "findings" not in json.dumps(data)
    assert str(mine.course.pk) not in {str(c["id"]) for c in data["courses"]}


def test_my_record_page_shows_my_sessions_lots_and_photos(
    people: People, records: tuple[Record, Record]
) -> None:
    mine, theirs = records
    page = client_for(people.patient.user).get("/my/record/")
    assert page.status_code == 200
    text = page.content.decode()
    assert mine.point.lot.number in text
    assert theirs.point.lot.number not in text
    assert reverse("portal:photo_thumbnail", args=[mine.photo.pk]) in text
    assert reverse("portal:photo_thumbnail", args=[theirs.photo.pk]) not in text
    assert reverse("portal:consent", args=[mine.consent.pk]) in text
    assert "style=" not in text


def test_a_login_without_a_patient_record_has_no_own_record(
    people: People, records: tuple[Record, Record]
) -> None:
    for user in (people.practitioner, people.manager, people.front_desk):
        client = client_for(user)
        assert client.get("/api/v1/me/record").status_code == 404
        assert client.get("/my/record/").status_code == 404


# -- the back office ---------------------------------------------------------------------------


def test_the_clinical_record_is_read_only_in_the_admin(
    people: People, records: tuple[Record, Record]
) -> None:
    record = records[0]
    root = User.objects.create_superuser("root", "root@example.invalid", "password")
    admin = client_for(root)
    for model, obj in [
        ("clinical/treatmentcourse", record.course),
        ("clinical/screeningrecord", record.screening),
        ("clinical/consent", record.consent),
        ("clinical/sessionchart", record.chart),
        ("clinical/injectionpoint", record.point),
        ("clinical/photo", record.photo),
        ("clinical/outcomescore", record.score),
        ("patients/intake", record.intake),
    ]:
        assert admin.get(f"/admin/{model}/?clinic__id__exact={people.clinic.pk}").status_code == 200
        assert admin.get(f"/admin/{model}/add/").status_code == 403
        change = f"/admin/{model}/{obj.pk}/change/"
        page = admin.get(change)
        assert page.status_code == 200, model
        assert b'name="_save"' not in page.content, model
        before = written()
        assert admin.post(change, {}).status_code == 403, model
        assert admin.post(f"/admin/{model}/{obj.pk}/delete/", {"post": "yes"}).status_code == 403
        assert written() == before, model
        assert admin.get(f"/admin/{model}/{obj.pk}/history/").status_code == 200, model
    assert admin.get(f"/admin/patients/patient/{record.patient.pk}/history/").status_code == 200
