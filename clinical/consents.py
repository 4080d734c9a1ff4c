"""Consent: versioned texts, signing, withdrawal.

``current_text`` returns the latest version of a clinic's consent text and
publishes a new one (version + 1) when the content built from the catalog
(core.consent) has changed since, so each signed consent keeps pointing at
the words its patient read.

``sign`` records a patient's consent: their typed name and a drawn
signature (a PNG data URL from the signature pad), when, and the member of
staff who witnessed it. A consent without a real signature is refused
before anything is written: an empty or blank drawing, a file that is not a
PNG or that Pillow cannot read, or one too big. ``withdraw`` records a
withdrawal with its reason; nothing is deleted, and a withdrawn consent no
longer counts (clinical.gates.valid_consent).
"""

from __future__ import annotations

import base64
import binascii
import io
import warnings
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from clinical.models import Consent, ConsentText, TreatmentCourse
from clinics.access import membership
from clinics.models import Clinic
from core import consent as content
from core.planning import NotOffered
from mesoclinic.catalog import get_catalog
from patients.models import Patient

MAX_SIGNATURE_BYTES = 500 * 1024
# A signature pad is a few hundred pixels wide; this bounds the memory a
# decoded image may take, whatever its compressed size.
MAX_SIGNATURE_PIXELS = 4000 * 2000
DATA_URL_PREFIX = "data:image/png;base64,"
# A pixel counts as ink when, drawn on white, it is darker than this.
INK_THRESHOLD = 240


class ConsentError(ValueError):
    """A refused consent, text or withdrawal; ``field`` names the input."""

    def __init__(self, field: str, message: str, **params: Any) -> None:
        self.field = field
        self.template = message
        self.params = params
        super().__init__(message % params if params else message)

    @property
    def message(self) -> str:
        """In the active language."""
        text = gettext(self.template)
        return text % self.params if self.params else text


# -- texts ------------------------------------------------------------------------------------


def _photo_views() -> list[str]:
    from clinical.models import Photo

    with translation.override("en"):
        return [str(label) for label in Photo.View.labels]


def _build(
    clinic: Clinic, kind: str, indication: str, language: str
) -> tuple[str, str, list[Any], list[Any], list[Any], str]:
    """(title, body, risks, alternatives, sources, content hash)."""
    with translation.override(language):
        if kind == ConsentText.Kind.PHOTOS:
            photos = content.photo_consent(_photo_views())
            sections = content.photo_sections(photos, gettext)
            title = gettext(photos.title.render())
            return title, content.body(sections), [], [], [], photos.content_hash
        try:
            treatment = content.treatment_consent(get_catalog(), indication, clinic.country)
        except KeyError:
            raise ConsentError("indication", gettext_noop("There is no such indication.")) from None
        except NotOffered as refusal:
            raise ConsentError("indication", refusal.message.render()) from None
        sections = content.treatment_sections(treatment, gettext)
        title = gettext(treatment.title.text) % {"indication": gettext(treatment.indication_name)}
        risks = [
            {
                "key": r.key,
                "name": r.name,
                "kind": r.kind,
                "advice": r.advice,
                "usual_course": [m.render() for m in r.usual_course],
                "see_doctor": r.see_doctor,
                "sources": list(r.sources),
            }
            for r in treatment.risks
        ]
        alternatives = [
            {
                "key": a.key,
                "name": a.name,
                "summary": a.summary,
                "compared": a.compared,
                "sources": list(a.sources),
            }
            for a in treatment.alternatives
        ]
        sources = [
            {"key": s.key, "title": s.title, "kind": s.kind, "url": s.url}
            for s in treatment.sources
        ]
        return (
            title,
            content.body(sections),
            risks,
            alternatives,
            sources,
            treatment.content_hash,
        )


def current_text(
    clinic: Clinic, kind: str, indication: str = "", language: str = "en"
) -> ConsentText:
    """The latest version of the clinic's consent text, publishing a new
    version first when the catalog's content changed since the latest (or
    there is none yet). Costs a query, and a write when publishing.

    Raises ConsentError (field "kind" or "indication") for an unknown kind,
    a treatment text without an indication, or an indication the clinic's
    country does not allow.
    """
    if kind not in ConsentText.Kind.values:
        raise ConsentError("kind", gettext_noop("Choose treatment or photos."))
    if kind == ConsentText.Kind.TREATMENT and not indication:
        raise ConsentError("indication", gettext_noop("A treatment consent needs an indication."))
    if kind == ConsentText.Kind.PHOTOS:
        indication = ""
    title, body, risks, alternatives, sources, digest = _build(clinic, kind, indication, language)
    texts = ConsentText.objects.filter(
        clinic=clinic, kind=kind, indication=indication, language=language
    )
    for _attempt in range(3):
        latest = texts.order_by("-version").first()
        if latest is not None and latest.content_hash == digest:
            return latest
        try:
            # A savepoint: a request publishing the same version at the same
            # moment makes this insert fail alone, and the loop reads theirs.
            with transaction.atomic():
                return ConsentText.objects.create(
                    clinic=clinic,
                    kind=kind,
                    indication=indication,
                    language=language,
                    version=(latest.version + 1) if latest else 1,
                    title=title[:200],
                    body=body,
                    risks=risks,
                    alternatives=alternatives,
                    sources=sources,
                    content_hash=digest,
                    published_at=timezone.now(),
                )
        except IntegrityError:
            continue
    raise RuntimeError("could not publish a consent text version")  # pragma: no cover


def is_current(text: ConsentText) -> bool:
    """Whether no later version of this text has been published."""
    return not ConsentText.objects.filter(
        clinic_id=text.clinic_id,
        kind=text.kind,
        indication=text.indication,
        language=text.language,
        version__gt=text.version,
    ).exists()


# -- signatures -------------------------------------------------------------------------------


def signature_png(data_url: object) -> bytes:
    """The PNG a signature pad sent as a data URL, checked: decodable by
    Pillow, a PNG, not too big, and with at least one drawn pixel. Raises
    ConsentError (field "signature")."""
    if not isinstance(data_url, str) or not data_url.strip():
        raise ConsentError(
            "signature", gettext_noop("The patient's drawn signature is missing: sign in the box.")
        )
    data_url = data_url.strip()
    if not data_url.startswith(DATA_URL_PREFIX):
        raise ConsentError(
            "signature", gettext_noop("The signature must be a PNG image drawn in the box.")
        )
    encoded = data_url[len(DATA_URL_PREFIX) :]
    # Base64 is 4 characters for 3 bytes: refuse before decoding a huge string.
    if len(encoded) > (MAX_SIGNATURE_BYTES * 4) // 3 + 4:
        raise ConsentError("signature", gettext_noop("The signature image is too big."))
    try:
        png = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ConsentError(
            "signature", gettext_noop("The signature could not be read; clear it and sign again.")
        ) from None
    if len(png) > MAX_SIGNATURE_BYTES:
        raise ConsentError("signature", gettext_noop("The signature image is too big."))
    if not _has_ink(png):
        raise ConsentError(
            "signature",
            gettext_noop("The signature box is empty: the patient must draw their signature."),
        )
    return png


def _has_ink(png: bytes) -> bool:
    from PIL import Image, UnidentifiedImageError

    unreadable = ConsentError(
        "signature", gettext_noop("The signature could not be read; clear it and sign again.")
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(png)) as image:
                if image.format != "PNG":
                    raise ConsentError(
                        "signature",
                        gettext_noop("The signature must be a PNG image drawn in the box."),
                    )
                width, height = image.size
                if width * height > MAX_SIGNATURE_PIXELS:
                    raise ConsentError("signature", gettext_noop("The signature image is too big."))
                image.load()
                rgba = image.convert("RGBA")
    except ConsentError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise unreadable from None
    except Image.DecompressionBombWarning:
        raise ConsentError("signature", gettext_noop("The signature image is too big.")) from None
    # Drawn on white, a transparent or white pad stays white everywhere.
    paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    paper.alpha_composite(rgba)
    darkest, _lightest = paper.convert("L").getextrema()  # one band: (min, max)
    return isinstance(darkest, int) and darkest < INK_THRESHOLD


# -- signing and withdrawal -------------------------------------------------------------------


def sign(
    patient: Patient,
    text: ConsentText,
    course: TreatmentCourse | None,
    typed_name: str,
    signature_data_url: object,
    witness: Any,
) -> Consent:
    """Record the patient's consent to ``text``, witnessed by ``witness``
    (a member of the clinic's staff). A treatment consent is for ``course``,
    the patient's, of the text's indication, neither stopped nor completed;
    a photo consent has no course. Raises ConsentError naming the field;
    nothing is written then."""
    clinic = patient.clinic
    name = (typed_name or "").strip()
    if not name:
        raise ConsentError("typed_name", gettext_noop("The patient must type their full name."))
    if len(name) > 200:
        raise ConsentError("typed_name", gettext_noop("Keep the name under 200 characters."))
    png = signature_png(signature_data_url)
    if text.clinic_id != clinic.pk:
        raise ConsentError("text", gettext_noop("There is no such consent text."))
    if witness is None or membership(witness, clinic) is None:
        raise ConsentError("witness", gettext_noop("The witness must be staff of this clinic."))
    if text.kind == ConsentText.Kind.TREATMENT:
        if course is None:
            raise ConsentError("course", gettext_noop("A treatment consent is for a course."))
        if course.patient_id != patient.pk:
            raise ConsentError("course", gettext_noop("That course is not this patient's."))
        if course.indication != text.indication:
            raise ConsentError(
                "text", gettext_noop("This consent text is for another indication than the course.")
            )
    elif course is not None:
        raise ConsentError("course", gettext_noop("A photo consent is not for a course."))
    with transaction.atomic():
        if course is not None:
            locked = TreatmentCourse.objects.select_for_update().get(pk=course.pk)
            if locked.status not in (
                TreatmentCourse.Status.PLANNED,
                TreatmentCourse.Status.ACTIVE,
            ):
                raise ConsentError(
                    "course",
                    gettext_noop("This course is %(status)s; it needs no consent."),
                    status=locked.get_status_display().lower(),
                )
        # Read under the course's lock: the patient signs the words on the
        # page, and those must still be the current ones.
        if not is_current(text):
            raise ConsentError(
                "text",
                gettext_noop(
                    "The consent text changed while the form was open; read the new version "
                    "with the patient and sign again."
                ),
            )
        consent = Consent(
            clinic=clinic,
            patient=patient,
            text=text,
            course=course,
            typed_name=name,
            signature_png=png,
            signed_at=timezone.now(),
            witnessed_by=witness,
        )
        consent._change_reason = f"Signed {text.get_kind_display().lower()} consent v{text.version}"  # type: ignore[attr-defined]
        consent._history_user = witness  # type: ignore[attr-defined]
        consent.save()
    return consent


def withdraw(consent: Consent, reason: str, by: Any) -> Consent:
    """Record that the patient withdrew ``consent``, why, and who recorded
    it. Raises ConsentError (field "reason": none given; "consent": already
    withdrawn)."""
    reason = (reason or "").strip()
    if not reason:
        raise ConsentError("reason", gettext_noop("Say why the consent is withdrawn."))
    with transaction.atomic():
        locked = Consent.objects.select_for_update().get(pk=consent.pk)
        if locked.withdrawn_at is not None:
            raise ConsentError("consent", gettext_noop("This consent was withdrawn already."))
        locked.withdrawn_at = timezone.now()
        locked.withdrawal_reason = reason
        locked.withdrawal_recorded_by = by
        locked._change_reason = f"Withdrawn: {reason}"  # type: ignore[attr-defined]
        locked._history_user = by  # type: ignore[attr-defined]
        locked.save(update_fields=["withdrawn_at", "withdrawal_reason", "withdrawal_recorded_by"])
    consent.withdrawn_at = locked.withdrawn_at
    consent.withdrawal_reason = locked.withdrawal_reason
    consent.withdrawal_recorded_by = by
    return consent
