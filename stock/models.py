"""The clinic's products and their lots.

A chart names the lot of every product injected, so a bad vial can be
traced to every patient who received it (DOMAIN.md, Regulation and
traceability: outbreaks traced to a procaine vial, lidocaine carpules,
multi-dose vials). Stock movements and recalls build on these.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from clinics.models import Clinic, Device


class Product(models.Model):
    """Something injected or applied: a cocktail, a vial of one active, a
    numbing cream. ``actives`` are catalog keys (actives.toml)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="products")
    name = models.CharField(max_length=200)
    brand = models.CharField(max_length=200, blank=True)
    supplier = models.CharField(max_length=200, blank=True)
    authorised_supplier = models.BooleanField(
        default=False, help_text=_("Bought from the maker or a distributor it authorises.")
    )
    actives = models.JSONField(default=list, blank=True, help_text=_("Catalog active keys."))
    unit = models.CharField(max_length=10, default="ml")
    # At or below this much on hand (in ``unit``, usable lots only) the
    # product is on the low-stock list; 0: never.
    reorder_level = models.DecimalField(max_digits=10, decimal_places=3, default=0)
    active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="product_name_per_clinic"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.brand})" if self.brand else self.name


class Lot(models.Model):
    """One manufacturing lot of a product, as printed on the vial."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="lots")
    number = models.CharField(max_length=80)
    expiry = models.DateField()
    received_on = models.DateField(null=True, blank=True)
    # Recalled by the maker or a regulator, or suspect (a counterfeit): it
    # may not be used again; recall.py lists everyone who received it.
    recalled_at = models.DateTimeField(null=True, blank=True)
    recall_reason = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["expiry", "number"]
        constraints = [
            models.UniqueConstraint(fields=["product", "number"], name="lot_number_per_product"),
            models.CheckConstraint(
                condition=models.Q(recalled_at__isnull=True) | ~models.Q(recall_reason=""),
                name="lot_recall_has_a_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.name} lot {self.number} (exp. {self.expiry:%Y-%m-%d})"

    def usable_on(self, day: date) -> bool:
        """Whether the lot may be used on ``day``: not past its expiry (the
        last day printed is still good) and not recalled."""
        return self.recalled_at is None and day <= self.expiry


USER = settings.AUTH_USER_MODEL


class MovementKind(models.TextChoices):
    RECEIVED = "received", _("Received")
    USED = "used", _("Used at a session")
    WASTED = "wasted", _("Wasted or discarded")
    RETURNED = "returned", _("Returned to the supplier")
    ADJUSTED = "adjusted", _("Stock count correction")


class StockMovement(models.Model):
    """Stock in (positive ``quantity``) or out (negative), in the product's
    unit. What is on hand of a lot is the sum of its movements; a session's
    use is written by charting it (``chart``)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=10, choices=MovementKind.choices)
    quantity = models.DecimalField(max_digits=10, decimal_places=3)
    chart = models.ForeignKey(
        "clinical.SessionChart",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stock_movements",
    )
    note = models.CharField(max_length=200, blank=True)
    by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["lot", "at"])]
        constraints = [
            models.CheckConstraint(condition=~models.Q(quantity=0), name="movement_not_zero"),
            models.CheckConstraint(
                condition=(
                    models.Q(kind="received", quantity__gt=0)
                    | models.Q(kind__in=["used", "wasted", "returned"], quantity__lt=0)
                    | models.Q(kind="adjusted")
                ),
                name="movement_sign_fits_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quantity} of {self.lot}"


class CleaningMethod(models.TextChoices):
    AUTOCLAVE = "autoclave", _("Steam sterilisation (autoclave)")
    CHEMICAL = "chemical", _("High-level chemical disinfection")
    SINGLE_USE_PARTS = "single_use", _("New sterile single-use parts fitted")


class DeviceCleaning(models.Model):
    """One recorded cleaning and sterilisation of a reusable device. A
    session charts the cleaning its device had before it, so a faulty
    cleaning (an outbreak was traced to a gun cleaned with tap water,
    DOMAIN.md) leads to every session that used the device after it.
    ``cycle`` is the steriliser's cycle or batch number, shared by every
    device cleaned in that cycle."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="cleanings")
    cleaned_at = models.DateTimeField()
    method = models.CharField(max_length=20, choices=CleaningMethod.choices)
    cycle = models.CharField(max_length=80, blank=True, help_text=_("Steriliser cycle or batch."))
    by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    notes = models.TextField(blank=True)
    recorded_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-cleaned_at", "-pk"]
        indexes = [models.Index(fields=["device", "cleaned_at"]), models.Index(fields=["cycle"])]

    def __str__(self) -> str:
        return f"{self.device} cleaned {self.cleaned_at:%Y-%m-%d %H:%M} ({self.method})"


class RecallKind(models.TextChoices):
    LOT = "lot", _("Product lot")
    CLEANING = "cleaning", _("Device cleaning cycle")


class RecallStatus(models.TextChoices):
    RECALLED = "recalled", _("Recalled")
    SUSPECT = "suspect", _("Suspect (e.g. counterfeit)")


class Recall(models.Model):
    """A recalled or suspect lot, or a faulty cleaning cycle: who received
    it is found through the charts, and each patient told is recorded."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="recalls")
    kind = models.CharField(max_length=10, choices=RecallKind.choices)
    status = models.CharField(max_length=10, choices=RecallStatus.choices)
    reason = models.TextField()
    lots = models.ManyToManyField(Lot, related_name="recalls", blank=True)
    cleanings = models.ManyToManyField(DeviceCleaning, related_name="recalls", blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(reason=""), name="recall_has_a_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.get_status_display().lower()}: {self.reason[:60]}"


class NoticeHow(models.TextChoices):
    MESSAGE = "message", _("Message")
    PHONE = "phone", _("Telephone")
    IN_PERSON = "in_person", _("In person")
    LETTER = "letter", _("Letter")


class RecallNotice(models.Model):
    """One patient affected by a recall, and whether and how they were told."""

    recall = models.ForeignKey(Recall, on_delete=models.PROTECT, related_name="notices")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="recall_notices"
    )
    charts = models.ManyToManyField("clinical.SessionChart", related_name="recall_notices")
    message = models.ForeignKey(
        "messaging.Message", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    told_at = models.DateTimeField(null=True, blank=True)
    told_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    how = models.CharField(max_length=10, choices=NoticeHow.choices, blank=True)
    note = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["patient__last_name", "patient__first_name"]
        constraints = [
            models.UniqueConstraint(fields=["recall", "patient"], name="one_notice_per_patient"),
        ]

    def __str__(self) -> str:
        return f"{self.recall}: {self.patient}"
