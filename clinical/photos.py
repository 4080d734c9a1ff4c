"""Clinical photographs: stored clean, under the patient's photo consent.

``store_photo`` is the one way a photo enters the record. It refuses without
a valid photo consent, takes JPEG, PNG or WebP up to 15 MB, turns the image
upright by its EXIF orientation, and re-encodes it (and a 320 px thumbnail)
as JPEG from the pixels alone: no EXIF, no GPS location, no XMP, no
comment, no camera make survives. The files get random names; the photo's
time is when it reached the clinic, never the file's own dates.

The files and the row are written together: if the row cannot be written,
the files are deleted again.
"""

from __future__ import annotations

import io
import logging
import uuid
import warnings
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageOps

from clinical.gates import photo_consent
from clinical.models import Photo, SessionChart
from mesoclinic.catalog import get_catalog

log = logging.getLogger(__name__)

MAX_BYTES = 15 * 1024 * 1024
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
THUMBNAIL_PX = 320
JPEG_QUALITY = 88
# A photo of more pixels than this is refused rather than decoded (a small
# file can hold a huge image that would exhaust the server's memory).
MAX_PIXELS = 60_000_000

# The standard views per chart diagram: the scalp is photographed from the
# top and at the hairline from the front; face and body from the front and
# both sides.
VIEWS_BY_DIAGRAM: dict[str, tuple[str, ...]] = {
    "scalp": (Photo.View.SCALP_TOP, Photo.View.FRONT),
    "face": (Photo.View.FRONT, Photo.View.LEFT, Photo.View.RIGHT),
    "body": (Photo.View.FRONT, Photo.View.LEFT, Photo.View.RIGHT),
}


class PhotoError(ValueError):
    """A photo refused; ``field`` names the input at fault (consent, view,
    phase, image)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def views_for_area(area: str) -> tuple[str, ...]:
    """The standard views of an area; face, body and unknown areas get
    front, left and right."""
    found = get_catalog().areas.get(area)
    diagram = found.diagram if found else "face"
    return VIEWS_BY_DIAGRAM.get(diagram, VIEWS_BY_DIAGRAM["face"])


def views_for_chart(chart: SessionChart) -> tuple[str, ...]:
    return views_for_area(chart.area)


def _read(uploaded: Any) -> bytes:
    size = getattr(uploaded, "size", None)
    if size is not None and size > MAX_BYTES:
        raise PhotoError("image", _("The photo is larger than 15 MB; send a smaller one."))
    data = b"".join(uploaded.chunks()) if hasattr(uploaded, "chunks") else uploaded.read()
    if len(data) > MAX_BYTES:
        raise PhotoError("image", _("The photo is larger than 15 MB; send a smaller one."))
    if not data:
        raise PhotoError("image", _("The file is empty; choose a photo."))
    return data


def _open(data: bytes) -> Image.Image:
    """The image, checked and decoded, upright. Refuses anything that is
    not a whole JPEG, PNG or WebP image of a sane size."""
    not_an_image = PhotoError("image", _("This file is not a JPEG, PNG or WebP photo."))
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in ACCEPTED_FORMATS:
                    raise not_an_image
                if probe.width * probe.height > MAX_PIXELS:
                    raise PhotoError("image", _("The photo has too many pixels to store."))
                probe.verify()
            # verify() leaves the image unusable: open it again to decode.
            image = Image.open(io.BytesIO(data))
            image.load()
        except PhotoError:
            raise
        except (
            Image.DecompressionBombError,
            Image.DecompressionBombWarning,
        ):
            raise PhotoError("image", _("The photo has too many pixels to store.")) from None
        except (OSError, SyntaxError, ValueError, EOFError):
            raise not_an_image from None
    upright = ImageOps.exif_transpose(image)
    return upright if upright is not None else image


def _to_srgb(image: Image.Image) -> Image.Image:
    """RGB pixels in sRGB. A wide-gamut photo (a phone's Display P3) is
    converted, since its colour profile is not kept; without a usable
    profile the pixels are taken as they are."""
    profile = image.info.get("icc_profile")
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        image = Image.new("RGB", rgba.size, (255, 255, 255))
        image.paste(rgba, mask=rgba.getchannel("A"))
    elif image.mode != "RGB":
        image = image.convert("RGB")
    if profile:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            converted = ImageCms.profileToProfile(
                image, source, ImageCms.createProfile("sRGB"), outputMode="RGB"
            )
            if converted is not None:
                image = converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            log.info("photo colour profile not usable; pixels kept as they are")
    return image


def _clean_jpeg(image: Image.Image) -> bytes:
    """JPEG from the pixels alone: a new image has no info (EXIF, XMP,
    comment, ICC, GPS) to carry over, whatever the encoder would copy."""
    bare = Image.new("RGB", image.size)
    bare.paste(image)
    out = io.BytesIO()
    bare.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()


def clean_images(data: bytes) -> tuple[bytes, bytes, int, int]:
    """The stored photo and its thumbnail as clean JPEG bytes, and the
    photo's width and height. Raises PhotoError("image", ...)."""
    image = _to_srgb(_open(data))
    photo = _clean_jpeg(image)
    thumb = image.copy()
    thumb.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX), Image.Resampling.LANCZOS)
    return photo, _clean_jpeg(thumb), image.width, image.height


def store_photo(chart: SessionChart, view: str, phase: str, uploaded_file: Any, by: Any) -> Photo:
    """Store ``uploaded_file`` as the ``view`` photo of ``chart``, taken
    ``phase`` (before or after the session), by user ``by``. Raises
    PhotoError naming the field: consent (no valid photo consent), view,
    phase, image."""
    consent = photo_consent(chart.patient)
    if consent is None:
        raise PhotoError(
            "consent",
            _(
                "The patient has not consented to clinical photographs, or withdrew their "
                "consent; no photo can be taken without it."
            ),
        )
    if view not in views_for_chart(chart):
        raise PhotoError("view", _("Choose one of the standard views for this area."))
    if phase not in Photo.Phase.values:
        raise PhotoError("phase", _("Choose before or after the session."))
    photo_bytes, thumb_bytes, width, height = clean_images(_read(uploaded_file))

    photo = Photo(
        clinic_id=chart.clinic_id,
        patient_id=chart.patient_id,
        chart=chart,
        consent=consent,
        view=view,
        phase=phase,
        width=width,
        height=height,
        taken_at=timezone.now(),
        uploaded_by=by,
    )
    written: list[str] = []
    try:
        name = uuid.uuid4().hex
        photo.image.save(f"{name}.jpg", ContentFile(photo_bytes), save=False)
        written.append(photo.image.name)
        photo.thumbnail.save(f"{name}.jpg", ContentFile(thumb_bytes), save=False)
        written.append(photo.thumbnail.name)
        with transaction.atomic():
            photo._change_reason = "Photo taken"  # type: ignore[attr-defined]
            photo.save()
    except BaseException:
        for stored in written:
            photo.image.storage.delete(stored)
        raise
    return photo


def photo_file(photo: Photo, thumbnail: bool = False) -> FileResponse | None:
    """The stored photo (or its thumbnail) as a private, uncached response;
    None when its file is missing. Callers check the reader first."""
    field = photo.thumbnail if thumbnail else photo.image
    try:
        handle = field.open("rb")
    except (FileNotFoundError, ValueError):
        return None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    name = f"photo-{photo.pk}-thumbnail.jpg" if thumbnail else f"photo-{photo.pk}.jpg"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response
