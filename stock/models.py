"""The clinic's products and their lots.

A chart names the lot of every product injected, so a bad vial can be
traced to every patient who received it (DOMAIN.md, Regulation and
traceability: outbreaks traced to a procaine vial, lidocaine carpules,
multi-dose vials). Stock movements and recalls build on these.
"""

from __future__ import annotations

from datetime import date

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from clinics.models import Clinic


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
