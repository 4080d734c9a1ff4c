"""Which clinic an API request speaks for: its country, currency and today.

A request may name a clinic by slug; without one it speaks for the public
clinic (settings.MESOCLINIC_PUBLIC_CLINIC), as the public pages do. A country
or currency given beside a clinic must be that clinic's.
"""

from dataclasses import dataclass
from datetime import date

from api.errors import ApiError
from clinics.models import Clinic
from mesoclinic.site import public_clinic


@dataclass(frozen=True)
class ClinicContext:
    country: str
    currency: str
    today: date  # in the clinic's time zone


def clinic_context(
    slug: str | None, country: str | None = None, currency: str | None = None
) -> ClinicContext:
    """Costs one query (two for the public clinic's fallback)."""
    country = country.upper() if country else None
    currency = currency.upper() if currency else None
    if slug is None:
        public = public_clinic()
        return ClinicContext(country or public.country, currency or public.currency, public.today())
    clinic = Clinic.objects.filter(slug=slug).first()
    if clinic is None:
        raise ApiError(422, "Unknown clinic.", field="clinic")
    if country and country != clinic.country:
        raise ApiError(422, "This is not the clinic's country.", field="country")
    if currency and currency != clinic.currency:
        raise ApiError(422, "This is not the clinic's currency.", field="currency")
    return ClinicContext(clinic.country, clinic.currency, clinic.today())
