"""Clinical photographs: stored without location or camera data, only under
a photo consent, served only to those who may see them."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.test import Client
from django.utils import timezone
from PIL import ExifTags, Image

from clinical.models import Photo, RecordAccess, SessionChart
from clinical.photos import MAX_BYTES, PhotoError, store_photo
from tests.clients import login
from tests.clinical_factories import make_chart, make_course, sign_consent
from tests.conftest import People

MAKE, ORIENTATION, DATETIME = 0x010F, 0x0112, 0x0132


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    settings.MEDIA_ROOT = root
    return root


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def camera_jpeg(orientation: int = 6) -> bytes:
    """A phone photo: 200x100 pixels stored sideways (EXIF orientation 6:
    turn it 90 degrees clockwise to view), left half red, right half blue,
    carrying where and when it was taken and the camera's make."""
    image = Image.new("RGB", (200, 100), (220, 30, 30))
    image.paste((30, 30, 220), (100, 0, 200, 100))
    exif = Image.Exif()
    exif[MAKE] = "TestCam"
    exif[ORIENTATION] = orientation
    exif[DATETIME] = "2019:05:04 10:00:00"
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(
        {1: "N", 2: (12.0, 58.0, 10.0), 3: "E", 4: (77.0, 35.0, 5.0)}
    )
    out = io.BytesIO()
    image.save(
        out, "JPEG", exif=exif, comment=b"12 Clinic Street", xmp=b"<x:xmpmeta>home</x:xmpmeta>"
    )
    data = out.getvalue()
    # The test file really carries what must be removed.
    with Image.open(io.BytesIO(data)) as check:
        assert check.getexif().get_ifd(ExifTags.IFD.GPSInfo)[1] == "N"
        assert {"exif", "xmp", "comment"} <= set(check.info)
    return data


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (64, 48), (10, 200, 10, 128)).save(out, "PNG")
    return out.getvalue()


def upload(data: bytes, name: str = "IMG_2019_home.jpg", kind: str = "image/jpeg") -> Any:
    return SimpleUploadedFile(name, data, content_type=kind)


def charted(people: People, photo_consent: bool = True, session: int = 1) -> SessionChart:
    course = make_course(people.patient, people.practitioner)
    if photo_consent:
        sign_consent(people.patient, people.practitioner, kind="photos")
    return make_chart(course, people.practitioner, session_number=session)


def photos_url(chart: SessionChart) -> str:
    return f"/staff/test/patients/{chart.patient_id}/record/charts/{chart.pk}/photos/"


def image_url(photo: Photo, what: str = "image") -> str:
    return f"/staff/test/patients/{photo.patient_id}/record/photos/{photo.pk}/{what}/"


def assert_clean(path: Path) -> Image.Image:
    raw = path.read_bytes()
    image = Image.open(io.BytesIO(raw))
    assert image.format == "JPEG"
    assert len(image.getexif()) == 0
    assert image.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert not {"exif", "xmp", "comment", "icc_profile"} & set(image.info)
    for secret in (b"Exif", b"TestCam", b"12 Clinic Street", b"xmpmeta", b"2019:05:04"):
        assert secret not in raw
    return image


# -- storing -----------------------------------------------------------------------------------


def test_a_photo_is_stored_upright_without_location_camera_or_dates(
    people: People, media: Path
) -> None:
    chart = charted(people)
    before = timezone.now()
    response = login(people.practitioner).post(
        photos_url(chart), {"view": "scalp_top", "phase": "before", "image": upload(camera_jpeg())}
    )
    assert response.status_code == 302
    assert response["Location"] == photos_url(chart)
    photo = Photo.objects.get()
    assert (photo.view, photo.phase, photo.chart_id) == ("scalp_top", "before", chart.pk)
    assert photo.consent.text.kind == "photos"
    assert photo.uploaded_by == people.practitioner
    # The time it reached the clinic, never the file's own date (2019).
    assert before <= photo.taken_at <= timezone.now()

    image = assert_clean(Path(photo.image.path))
    # Orientation 6 applied: 200x100 sideways becomes 100x200, the left
    # (red) half now on top.
    assert image.size == (100, 200) == (photo.width, photo.height)
    red, _green, blue = image.getpixel((50, 30))
    assert red > 150 and blue < 100
    red, _green, blue = image.getpixel((50, 170))
    assert blue > 150 and red < 100

    thumb = assert_clean(Path(photo.thumbnail.path))
    assert max(thumb.size) <= 320
    assert thumb.size[1] > thumb.size[0]

    # Random names under MEDIA_ROOT: nothing of the upload's own name.
    assert stored_files(media) == sorted([Path(photo.image.path), Path(photo.thumbnail.path)])
    for path in stored_files(media):
        assert re.fullmatch(r"[0-9a-f]{32}\.jpg", path.name)


def test_png_and_webp_are_stored_as_jpeg(people: People) -> None:
    chart = charted(people)
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (1, 2, 3)).save(out, "WEBP")
    first = store_photo(chart, "front", "before", upload(png_bytes(), "a.png"), people.practitioner)
    second = store_photo(
        chart, "front", "after", upload(out.getvalue(), "b.webp"), people.practitioner
    )
    assert assert_clean(Path(first.image.path)).size == (64, 48)
    assert assert_clean(Path(second.image.path)).size == (40, 30)
    assert Photo.objects.count() == 2


def post_refused(people: People, chart: SessionChart, **data: Any) -> str:
    fields = {"view": "scalp_top", "phase": "before", "image": upload(camera_jpeg()), **data}
    response = login(people.practitioner).post(photos_url(chart), fields)
    assert response.status_code == 400
    return response.content.decode()


def test_a_photo_without_photo_consent_is_refused_and_nothing_is_stored(
    people: People, media: Path
) -> None:
    chart = charted(people, photo_consent=False)  # a treatment consent only
    html = post_refused(people, chart)
    assert 'id="error-consent"' in html
    assert "not consented to clinical photographs" in html
    assert Photo.objects.count() == 0
    assert stored_files(media) == []


def test_a_photo_after_the_consent_was_withdrawn_is_refused(people: People, media: Path) -> None:
    chart = charted(people)
    consent = chart.patient.consents.get(text__kind="photos")
    consent.withdrawn_at = timezone.now()
    consent.withdrawal_recorded_by = people.practitioner
    consent.withdrawal_reason = "Changed her mind."
    consent.save()
    with pytest.raises(PhotoError) as refused:
        store_photo(chart, "front", "before", upload(camera_jpeg()), people.practitioner)
    assert refused.value.field == "consent"
    html = post_refused(people, chart)
    assert 'id="error-consent"' in html
    assert Photo.objects.count() == 0
    assert stored_files(media) == []


@pytest.mark.parametrize(
    ("data", "name", "kind"),
    [
        (b"%PDF-1.4 not a photo", "scan.pdf", "application/pdf"),
        (b"just text", "photo.jpg", "image/jpeg"),
        (b"", "empty.jpg", "image/jpeg"),
    ],
)
def test_a_file_that_is_not_a_photo_is_refused_naming_the_image(
    people: People, media: Path, data: bytes, name: str, kind: str
) -> None:
    chart = charted(people)
    html = post_refused(people, chart, image=upload(data, name, kind))
    assert 'id="error-image"' in html
    assert 'aria-invalid="true" aria-describedby="error-image"' in html
    assert Photo.objects.count() == 0
    assert stored_files(media) == []


def test_a_gif_and_a_truncated_jpeg_are_refused(people: People, media: Path) -> None:
    chart = charted(people)
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, "GIF")
    for data in (gif.getvalue(), camera_jpeg()[:400]):
        with pytest.raises(PhotoError) as refused:
            store_photo(chart, "front", "before", upload(data), people.practitioner)
        assert refused.value.field == "image"
    assert Photo.objects.count() == 0
    assert stored_files(media) == []


def test_a_photo_over_15_mb_is_refused(people: People, media: Path) -> None:
    chart = charted(people)
    big = camera_jpeg() + b"\0" * (MAX_BYTES + 1)
    with pytest.raises(PhotoError) as refused:
        store_photo(chart, "front", "before", upload(big), people.practitioner)
    assert refused.value.field == "image"
    assert "15 MB" in refused.value.message
    assert stored_files(media) == []


def test_a_missing_file_is_refused_naming_the_image(people: People) -> None:
    chart = charted(people)
    response = login(people.practitioner).post(
        photos_url(chart), {"view": "front", "phase": "before"}
    )
    assert response.status_code == 400
    assert 'id="error-image"' in response.content.decode()
    assert Photo.objects.count() == 0


def test_only_the_standard_views_of_the_area_are_taken(people: People, media: Path) -> None:
    chart = charted(people)  # the scalp: from the top and the front
    html = post_refused(people, chart, view="left")
    assert 'id="error-view"' in html
    html = post_refused(people, chart, phase="during")
    assert 'id="error-phase"' in html
    assert Photo.objects.count() == 0
    assert stored_files(media) == []


def test_the_files_are_deleted_when_the_row_cannot_be_written(
    people: People, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chart = charted(people)

    def fail(*args: Any, **kwargs: Any) -> None:
        raise IntegrityError("the database refused")

    monkeypatch.setattr(Photo, "save", fail)
    with pytest.raises(IntegrityError):
        store_photo(chart, "front", "before", upload(camera_jpeg()), people.practitioner)
    monkeypatch.undo()
    assert Photo.objects.count() == 0
    assert stored_files(media) == []


# -- the pages ---------------------------------------------------------------------------------


def test_the_last_sessions_photo_of_the_same_view_is_shown_faint_to_match_the_angle(
    people: People,
) -> None:
    first = charted(people)
    old_front = store_photo(first, "front", "before", upload(camera_jpeg()), people.practitioner)
    old_top = store_photo(first, "scalp_top", "after", upload(camera_jpeg()), people.practitioner)
    second = make_chart(first.course, people.practitioner, session_number=2)
    html = login(people.practitioner).get(photos_url(second)).content.decode()
    assert 'accept="image/*" capture="environment"' in html
    assert 'enctype="multipart/form-data"' in html
    for view, photo in (("front", old_front), ("scalp_top", old_top)):
        figure = re.search(
            rf'data-ghost-view="{view}">\s*<img class="photo-ghost" src="([^"]+)"', html
        )
        assert figure is not None
        assert figure.group(1) == image_url(photo)
    assert "js/photo-ghost.js" in html
    # The strict CSP allows no inline style or script.
    assert "style=" not in html
    assert "<script>" not in html


def test_the_first_session_has_no_earlier_photo_to_match(people: People) -> None:
    chart = charted(people)
    html = login(people.practitioner).get(photos_url(chart)).content.decode()
    assert "data-ghost-view" not in html
    assert 'id="no-session-photos"' in html


def test_photos_are_served_only_by_the_checked_view_and_never_cached(people: People) -> None:
    chart = charted(people)
    photo = store_photo(chart, "front", "before", upload(camera_jpeg()), people.practitioner)
    client = login(people.manager)
    reads = RecordAccess.objects.count()
    for what in ("image", "thumbnail"):
        response = client.get(image_url(photo, what))
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert response["Cache-Control"] == "private, no-store"
        body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
        assert body[:2] == b"\xff\xd8"
    # The photo read is logged; thumbnails are not logged one by one.
    assert RecordAccess.objects.count() == reads + 1
    assert RecordAccess.objects.first().what == f"photo {photo.pk}"  # type: ignore[union-attr]
    # Never from a public /media/ address.
    assert Client().get(photo.image.url).status_code == 404
    assert client.get(photo.image.url).status_code == 404


@pytest.mark.parametrize(
    ("who", "status"),
    [("front_desk", 403), ("outsider", 404)],
)
def test_front_desk_and_outsiders_are_refused_every_photo_page(
    people: People, who: str, status: int
) -> None:
    chart = charted(people)
    photo = store_photo(chart, "front", "before", upload(camera_jpeg()), people.practitioner)
    client = login(getattr(people, who))
    base = f"/staff/test/patients/{people.patient.pk}/record/"
    for url in (
        photos_url(chart),
        image_url(photo),
        image_url(photo, "thumbnail"),
        f"{base}photos/compare/?a={chart.pk}&b={chart.pk}&view=front",
    ):
        assert client.get(url).status_code == status, url
    response = client.post(
        photos_url(chart), {"view": "front", "phase": "after", "image": upload(camera_jpeg())}
    )
    assert response.status_code == status
    assert Photo.objects.count() == 1


def test_a_manager_sees_photos_but_does_not_take_them(people: People) -> None:
    chart = charted(people)
    client = login(people.manager)
    html = client.get(photos_url(chart)).content.decode()
    assert 'id="photo-form"' not in html
    response = client.post(
        photos_url(chart), {"view": "front", "phase": "before", "image": upload(camera_jpeg())}
    )
    assert response.status_code == 403
    assert Photo.objects.count() == 0


def test_anonymous_visitors_are_sent_to_log_in(people: People) -> None:
    chart = charted(people)
    photo = store_photo(chart, "front", "before", upload(camera_jpeg()), people.practitioner)
    for url in (photos_url(chart), image_url(photo), f"/my/record/photos/{photo.pk}/image/"):
        response = Client().get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_a_photo_of_another_patient_is_not_found_through_this_record(people: People) -> None:
    chart = charted(people)
    photo = store_photo(chart, "front", "before", upload(camera_jpeg()), people.practitioner)
    other = f"/staff/test/patients/{people.other_patient.pk}/record/photos/{photo.pk}/image/"
    assert login(people.practitioner).get(other).status_code == 404


def test_two_sessions_are_compared_side_by_side(people: People) -> None:
    first = charted(people)
    second = make_chart(first.course, people.practitioner, session_number=2)
    SessionChart.objects.filter(pk=second.pk).update(
        performed_on=first.performed_on + timedelta(days=14)
    )
    one = store_photo(first, "front", "before", upload(camera_jpeg()), people.practitioner)
    two = store_photo(second, "front", "before", upload(camera_jpeg()), people.practitioner)
    store_photo(second, "front", "after", upload(camera_jpeg()), people.practitioner)
    client = login(people.practitioner)
    base = f"/staff/test/patients/{people.patient.pk}/record/photos/compare/"

    html = client.get(base).content.decode()  # the first and the latest by default
    sides = re.findall(r'id="compare-side-(\d)" data-chart="(\d+)"', html)
    assert sides == [("1", str(first.pk)), ("2", str(second.pk))]
    assert image_url(one) in html and image_url(two) in html
    assert "Session 1" in html and "Session 2" in html

    html = client.get(f"{base}?a={second.pk}&b={first.pk}&view=front&phase=before").content.decode()
    assert re.findall(r'data-chart="(\d+)"', html) == [str(second.pk), str(first.pk)]
    assert 'id="compare-a"' in html and 'id="compare-view"' in html

    html = client.get(f"{base}?a={first.pk}&b={second.pk}&view=left").content.decode()
    assert html.count("No photo in this view at this session.") == 2


def test_comparing_with_a_session_of_another_record_is_refused_naming_it(people: People) -> None:
    chart = charted(people)
    foreign_course = make_course(people.other_patient, people.practitioner)
    foreign = make_chart(foreign_course, people.practitioner)
    response = login(people.practitioner).get(
        f"/staff/test/patients/{people.patient.pk}/record/photos/compare/"
        f"?a={foreign.pk}&b={chart.pk}&view=front"
    )
    assert response.status_code == 400
    assert 'id="error-a"' in response.content.decode()


def test_the_record_hub_shows_the_latest_photos_as_thumbnails(people: People) -> None:
    chart = charted(people)
    photos = [
        store_photo(chart, view, "before", upload(camera_jpeg()), people.practitioner)
        for view in ("front", "scalp_top")
    ]
    html = login(people.practitioner).get(f"/staff/test/patients/{people.patient.pk}/record/")
    assert html.status_code == 200
    body = html.content.decode()
    assert 'id="latest-photos"' in body
    for photo in photos:
        assert f'src="{image_url(photo, "thumbnail")}"' in body
    assert 'id="photos-compare"' in body
    assert f'id="chart-{chart.pk}-photos"' in body


# -- the patient's own photos ------------------------------------------------------------------


def test_a_patient_sees_their_own_photos_and_no_one_elses(people: People) -> None:
    chart = charted(people)
    photo = store_photo(chart, "front", "before", upload(camera_jpeg()), people.practitioner)
    own = login(people.patient.user)
    for what in ("image", "thumbnail"):
        response = own.get(f"/my/record/photos/{photo.pk}/{what}/")
        assert response.status_code == 200
        assert response["Cache-Control"] == "private, no-store"
    other = login(people.other_patient.user)
    staff = login(people.practitioner)
    for what in ("image", "thumbnail"):
        assert other.get(f"/my/record/photos/{photo.pk}/{what}/").status_code == 404
        assert staff.get(f"/my/record/photos/{photo.pk}/{what}/").status_code == 404


# -- the API -----------------------------------------------------------------------------------


def api_upload(client: Client, chart: SessionChart, **data: Any) -> Any:
    fields = {"view": "front", "phase": "before", "image": upload(camera_jpeg()), **data}
    return client.post(f"/api/v1/patients/{chart.patient_id}/charts/{chart.pk}/photos", fields)


def test_the_api_stores_a_clean_photo_and_lists_it(people: People) -> None:
    chart = charted(people)
    client = login(people.practitioner)
    response = api_upload(client, chart)
    assert response.status_code == 201, response.content
    body = response.json()
    photo = Photo.objects.get()
    assert body["id"] == photo.pk
    assert (body["view"], body["phase"], body["session_number"]) == ("front", "before", 1)
    assert (body["width"], body["height"]) == (100, 200)
    assert_clean(Path(photo.image.path))

    listed = client.get(f"/api/v1/patients/{people.patient.pk}/photos").json()
    assert [p["id"] for p in listed] == [photo.pk]
    image = client.get(listed[0]["image_url"])
    assert image.status_code == 200
    assert image["Cache-Control"] == "private, no-store"
    assert client.get(listed[0]["thumbnail_url"]).status_code == 200


def test_the_api_refuses_a_photo_without_consent_or_not_an_image_naming_the_field(
    people: People, media: Path
) -> None:
    chart = charted(people, photo_consent=False)
    client = login(people.practitioner)
    response = api_upload(client, chart)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "consent", "message": response.json()["detail"]}]
    sign_consent(people.patient, people.practitioner, kind="photos")
    response = api_upload(client, chart, image=upload(b"text", "a.txt", "text/plain"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "image"
    response = api_upload(client, chart, view="scalp_top_left")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "view"
    assert response.json()["views"] == ["scalp_top", "front"]
    assert Photo.objects.count() == 0
    assert stored_files(media) == []


@pytest.mark.parametrize(("who", "status"), [("front_desk", 403), ("outsider", 404)])
def test_the_api_refuses_front_desk_and_outsiders(people: People, who: str, status: int) -> None:
    chart = charted(people)
    photo = store_photo(chart, "front", "before", upload(camera_jpeg()), people.practitioner)
    client = login(getattr(people, who))
    base = f"/api/v1/patients/{people.patient.pk}"
    for url in (
        f"{base}/photos",
        f"{base}/photos/{photo.pk}/image",
        f"{base}/photos/{photo.pk}/thumbnail",
    ):
        assert client.get(url).status_code == status, url
    assert api_upload(client, chart).status_code == status
    assert Photo.objects.count() == 1


def test_the_api_refuses_anonymous_and_patients(people: People) -> None:
    chart = charted(people)
    photo = store_photo(chart, "front", "before", upload(camera_jpeg()), people.practitioner)
    base = f"/api/v1/patients/{people.patient.pk}"
    assert Client().get(f"{base}/photos").status_code == 401
    assert Client().get(f"{base}/photos/{photo.pk}/image").status_code == 401
    patient = login(people.patient.user)
    assert patient.get(f"{base}/photos").status_code == 404
    assert patient.get(f"{base}/photos/{photo.pk}/image").status_code == 404


def test_the_api_does_not_find_a_photo_through_another_patient(people: People) -> None:
    chart = charted(people)
    photo = store_photo(chart, "front", "before", upload(camera_jpeg()), people.practitioner)
    url = f"/api/v1/patients/{people.other_patient.pk}/photos/{photo.pk}/image"
    response = login(people.practitioner).get(url)
    assert response.status_code == 404
    assert response.json()["errors"][0]["field"] == "photo_id"
