"""The clinical record: courses, screenings, consents, session charts,
injection maps, photos and outcome scores.

Clinical entries are written once. A change afterwards is an Amendment that
keeps the values it replaced, who made it, when and why (clinical/amend.py);
django-simple-history keeps every version of every row besides. The rules a
record must satisfy before it is written (a valid consent, a screening that
allows the session, no expired lot) live in the modules that write them, and
where the database can guard them it does (check constraints below).

Every table carries the clinic (tenant) key.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThan
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from clinics.models import Clinic, Device, StaffMember
from patients.models import Intake, Patient
from scheduling.models import Appointment
from scheduling.models import Course as BookedCourse
from stock.models import Lot, Product

USER = settings.AUTH_USER_MODEL


class TreatmentCourse(models.Model):
    """The practitioner's decision: which protocol, on which areas, how many
    sessions. ``booking`` is the scheduling side (the appointments), set when
    the sessions are booked."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        ACTIVE = "active", _("Active")
        COMPLETED = "completed", _("Completed")
        STOPPED = "stopped", _("Stopped")

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="treatment_courses")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="treatment_courses")
    indication = models.CharField(max_length=60, help_text=_("A catalog key."))
    areas = models.JSONField(help_text=_("Catalog area keys."))
    protocol = models.CharField(max_length=80, help_text=_("A catalog key."))
    sessions = models.PositiveSmallIntegerField()
    # Days from each session to the next, [[min, max], ...]: the protocol's,
    # or the practitioner's adjustment within the protocol's limits.
    intervals = models.JSONField()
    technique = models.CharField(max_length=60, help_text=_("A catalog key."))
    notes = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED)
    stop_reason = models.TextField(blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    booking = models.OneToOneField(
        BookedCourse,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="treatment",
    )
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sessions__gte=1), name="treatment_course_has_sessions"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="stopped")
                | (~models.Q(stop_reason="") & models.Q(stopped_at__isnull=False)),
                name="stopped_course_has_a_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient}: {self.indication} ({', '.join(self.areas)}) x{self.sessions}"


class ScreeningRecord(models.Model):
    """The core screening run on the patient's latest intake, at the
    consultation or at a session's check-in. A ``defer`` or ``not_eligible``
    verdict stops the session unless a practitioner overrides it with a
    written reason, kept here."""

    class Occasion(models.TextChoices):
        CONSULTATION = "consultation", _("Consultation")
        CHECK_IN = "check_in", _("Check-in before a session")

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="screenings")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="screenings")
    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="screenings")
    course = models.ForeignKey(
        TreatmentCourse,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="screenings",
    )
    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, null=True, blank=True, related_name="screenings"
    )
    occasion = models.CharField(max_length=20, choices=Occasion.choices)
    indication = models.CharField(max_length=60)
    area = models.CharField(max_length=60)
    protocol = models.CharField(max_length=80, blank=True)
    planned_date = models.DateField()
    verdict = models.CharField(max_length=20)  # core.catalog.model.Verdict values
    findings = models.JSONField(default=list)  # core findings, as stored by clinical/screen.py
    screened_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    screened_at = models.DateTimeField()
    override_reason = models.TextField(blank=True)
    overridden_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    overridden_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-screened_at", "-pk"]
        get_latest_by = ["screened_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(overridden_by__isnull=True, overridden_at__isnull=True)
                    & models.Q(override_reason="")
                )
                | (
                    models.Q(overridden_by__isnull=False, overridden_at__isnull=False)
                    & ~models.Q(override_reason="")
                ),
                name="override_has_reason_and_author",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient}: {self.verdict} ({self.get_occasion_display()})"

    @property
    def stops_session(self) -> bool:
        """Whether this verdict stops a session: defer or not eligible, and
        not overridden by a practitioner."""
        return self.verdict in ("defer", "not_eligible") and self.overridden_by_id is None


class ConsentText(models.Model):
    """One version of a consent form. ``kind`` treatment: per indication,
    listing its risks and alternatives from the catalog; photos: the
    consent to clinical photographs. A new wording is a new version; a
    signed consent keeps pointing at the words the patient read."""

    class Kind(models.TextChoices):
        TREATMENT = "treatment", _("Treatment")
        PHOTOS = "photos", _("Photographs")

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="consent_texts")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    indication = models.CharField(max_length=60, blank=True)
    version = models.PositiveIntegerField()
    language = models.CharField(max_length=8, default="en")
    title = models.CharField(max_length=200)
    body = models.TextField()
    # What the text was built from, to tell when the catalog changed.
    risks = models.JSONField(default=list)
    alternatives = models.JSONField(default=list)
    sources = models.JSONField(default=list)
    content_hash = models.CharField(max_length=64)
    published_at = models.DateTimeField()
    created_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["kind", "indication", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "kind", "indication", "language", "version"],
                name="consent_text_version_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="photos", indication="")
                | (models.Q(kind="treatment") & ~models.Q(indication="")),
                name="treatment_consent_names_indication",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class Consent(models.Model):
    """A patient's signed consent: typed name and a drawn signature, when,
    and which member of staff witnessed it. Withdrawal is recorded, never
    deleted."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="consents")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consents")
    text = models.ForeignKey(ConsentText, on_delete=models.PROTECT, related_name="consents")
    course = models.ForeignKey(
        TreatmentCourse,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consents",
        help_text=_("Set for a treatment consent."),
    )
    typed_name = models.CharField(max_length=200)
    # The drawn signature as a PNG, stored in the row so it can never be
    # separated from the consent it signs.
    signature_png = models.BinaryField()
    signed_at = models.DateTimeField()
    witnessed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.TextField(blank=True)
    withdrawal_recorded_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords(excluded_fields=["signature_png"])

    class Meta:
        ordering = ["-signed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(typed_name=""), name="consent_has_typed_name"
            ),
            # A consent without its drawn signature is no consent.
            models.CheckConstraint(
                condition=models.Q(GreaterThan(Length("signature_png"), 0)),
                name="consent_has_signature",
            ),
            models.CheckConstraint(
                condition=models.Q(withdrawn_at__isnull=True, withdrawal_recorded_by__isnull=True)
                | models.Q(withdrawn_at__isnull=False, withdrawal_recorded_by__isnull=False),
                name="consent_withdrawal_recorded_by",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient}: {self.text}"

    @property
    def valid(self) -> bool:
        return self.withdrawn_at is None


class SessionChart(models.Model):
    """What was done at one session, charted by the practitioner who did it."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="charts")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="charts")
    course = models.ForeignKey(TreatmentCourse, on_delete=models.PROTECT, related_name="charts")
    appointment = models.OneToOneField(
        Appointment, on_delete=models.PROTECT, null=True, blank=True, related_name="chart"
    )
    session_number = models.PositiveSmallIntegerField()
    practitioner = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="charts")
    # What allowed the session: the consent and the screening it ran on.
    consent = models.ForeignKey(Consent, on_delete=models.PROTECT, related_name="charts")
    screening = models.ForeignKey(ScreeningRecord, on_delete=models.PROTECT, related_name="charts")
    area = models.CharField(max_length=60, help_text=_("A catalog key."))
    technique = models.CharField(max_length=60, help_text=_("A catalog key."))
    device = models.ForeignKey(
        Device, on_delete=models.PROTECT, null=True, blank=True, related_name="charts"
    )
    # The device's last recorded cleaning before the session (stock.DeviceCleaning).
    device_cleaning = models.ForeignKey(
        "stock.DeviceCleaning",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="charts",
    )
    needle_gauge = models.PositiveSmallIntegerField(null=True, blank=True)
    needle_length_mm = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    depth = models.CharField(max_length=40, help_text=_("A catalog depth tier key."))
    numbing = models.CharField(max_length=200, blank=True, help_text=_("Blank: none used."))
    numbing_minutes = models.PositiveSmallIntegerField(default=0)
    procedure_minutes = models.PositiveSmallIntegerField()
    immediate_reactions = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    performed_on = models.DateField(help_text=_("The day of the session, at the clinic."))
    charted_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    charted_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["course", "session_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "session_number"], name="one_chart_per_course_session"
            ),
            models.CheckConstraint(
                condition=models.Q(session_number__gte=1), name="chart_session_numbered"
            ),
            models.CheckConstraint(
                condition=models.Q(procedure_minutes__gt=0), name="chart_has_procedure_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient}: session {self.session_number} on {self.performed_on}"


class Diagram(models.TextChoices):
    FACE = "face", _("Face")
    SCALP = "scalp", _("Scalp")
    BODY = "body", _("Body")


class InjectionPoint(models.Model):
    """One point or zone marked on a diagram: what went in, from which lot,
    how much and how deep. ``x`` and ``y`` are fractions of the diagram's
    width and height, so the map redraws at any size."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    chart = models.ForeignKey(SessionChart, on_delete=models.PROTECT, related_name="points")
    diagram = models.CharField(max_length=10, choices=Diagram.choices)
    x = models.FloatField()
    y = models.FloatField()
    zone = models.CharField(max_length=60, blank=True, help_text=_("e.g. left cheek"))
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="points")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="points")
    volume_ml = models.DecimalField(max_digits=5, decimal_places=3)
    depth_mm = models.DecimalField(max_digits=4, decimal_places=1)
    history = HistoricalRecords()

    class Meta:
        ordering = ["chart", "pk"]
        indexes = [models.Index(fields=["lot"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(x__gte=0, x__lte=1, y__gte=0, y__lte=1),
                name="point_on_the_diagram",
            ),
            models.CheckConstraint(
                condition=models.Q(volume_ml__gt=0), name="point_volume_positive"
            ),
            models.CheckConstraint(condition=models.Q(depth_mm__gt=0), name="point_depth_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_diagram_display()} ({self.x:.2f}, {self.y:.2f}): {self.volume_ml} ml"


class Amendment(models.Model):
    """A change to a clinical entry after it was written. ``changes`` maps
    each changed field to {"from": old, "to": new} (JSON-friendly values):
    the original is kept here as well as in the row's history."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="amendments")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="amendments")
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    changes = models.JSONField()
    reason = models.TextField()
    amended_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    amended_at = models.DateTimeField()

    class Meta:
        ordering = ["-amended_at", "-pk"]
        indexes = [models.Index(fields=["content_type", "object_id"])]
        constraints = [
            models.CheckConstraint(condition=~models.Q(reason=""), name="amendment_has_a_reason"),
        ]

    def __str__(self) -> str:
        return f"Amendment of {self.content_type.model} {self.object_id} at {self.amended_at}"


class Photo(models.Model):
    """A clinical photograph in a standard view, taken under the patient's
    photo consent. The stored file has had its metadata (location, camera)
    removed; it is served only through a view that checks the reader."""

    class View(models.TextChoices):
        FRONT = "front", _("Front")
        LEFT = "left", _("Left side")
        RIGHT = "right", _("Right side")
        SCALP_TOP = "scalp_top", _("Top of the scalp")

    class Phase(models.TextChoices):
        BEFORE = "before", _("Before")
        AFTER = "after", _("After")

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="photos")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="photos")
    chart = models.ForeignKey(SessionChart, on_delete=models.PROTECT, related_name="photos")
    consent = models.ForeignKey(Consent, on_delete=models.PROTECT, related_name="photos")
    view = models.CharField(max_length=20, choices=View.choices)
    phase = models.CharField(max_length=10, choices=Phase.choices)
    image = models.FileField(upload_to="photos/%Y/%m/")
    thumbnail = models.FileField(upload_to="photos/thumbs/%Y/%m/")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    taken_at = models.DateTimeField()
    uploaded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["chart", "view", "phase"]

    def __str__(self) -> str:
        return f"{self.patient}: {self.get_view_display()} {self.get_phase_display()}"


class OutcomeScore(models.Model):
    """One rating at one session: the Global Aesthetic Improvement Scale, or
    the measure that fits the indication (core/outcomes.py). ``items`` holds
    the parts of a composite score (the five Hexsel items, say)."""

    class Rater(models.TextChoices):
        CLINICIAN = "clinician", _("Clinician")
        PATIENT = "patient", _("Patient")

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="scores")
    chart = models.ForeignKey(SessionChart, on_delete=models.PROTECT, related_name="scores")
    measure = models.CharField(max_length=40, help_text=_("A core.outcomes measure key."))
    rater = models.CharField(max_length=10, choices=Rater.choices)
    value = models.DecimalField(max_digits=7, decimal_places=2)
    items = models.JSONField(default=dict, blank=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["chart", "measure"]
        constraints = [
            models.UniqueConstraint(
                fields=["chart", "measure", "rater"], name="one_score_per_measure_rater"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.measure} = {self.value} ({self.rater})"


class RecordAccess(models.Model):
    """Each time a member of staff reads a patient's clinical record: who,
    what, when. Kept so every read can be shown to have been allowed."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="record_reads")
    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=20)
    what = models.CharField(max_length=100)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["patient", "-at"])]

    def __str__(self) -> str:
        return f"{self.user} read {self.what} of {self.patient} at {self.at}"
