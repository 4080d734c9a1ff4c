"""Which clinic the public site speaks for.

The public pages show prices in that clinic's currency and respect what its
country allows (fat-dissolving injections are banned in France). It is the
clinic whose slug is in settings.MESOCLINIC_PUBLIC_CLINIC ("demo" by
default), else the first clinic, else Indian defaults so that a fresh
install with an empty database still shows the pages.
"""

import zoneinfo
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.utils import timezone

from clinics.models import Clinic

DEFAULT_COUNTRY = "IN"
DEFAULT_CURRENCY = "INR"


@dataclass(frozen=True)
class PublicClinic:
    name: str  # "" when the database has no clinic yet
    slug: str
    country: str  # ISO 3166-1 alpha-2
    currency: str  # ISO 4217
    time_zone: str = ""  # "" without a clinic: the server's zone
    phone: str = ""
    email: str = ""
    address: str = ""

    def today(self) -> date:
        """The date it is now at the clinic (the server's date without one)."""
        if not self.time_zone:
            return timezone.localdate()
        return timezone.localdate(timezone=zoneinfo.ZoneInfo(self.time_zone))


def public_clinic() -> PublicClinic:
    """The clinic the public site represents. Costs one or two queries."""
    slug = getattr(settings, "MESOCLINIC_PUBLIC_CLINIC", "demo")
    clinic = Clinic.objects.filter(slug=slug).first() or Clinic.objects.order_by("pk").first()
    if clinic is None:
        return PublicClinic(name="", slug="", country=DEFAULT_COUNTRY, currency=DEFAULT_CURRENCY)
    return PublicClinic(
        name=clinic.name,
        slug=clinic.slug,
        country=clinic.country,
        currency=clinic.currency,
        time_zone=clinic.time_zone,
        phone=clinic.phone,
        email=clinic.email,
        address=clinic.address,
    )
