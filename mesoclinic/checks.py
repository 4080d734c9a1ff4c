"""System checks that refuse a bad configuration at start."""

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured


@register(Tags.security, deploy=False)
def check_production_settings(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[Any]:
    errors: list[Any] = []
    if settings.DEBUG or getattr(settings, "TESTING", False):
        return errors
    try:
        has_key = bool(settings.SECRET_KEY)
    except ImproperlyConfigured:
        has_key = False
    if not has_key:
        errors.append(
            Error(
                "SECRET_KEY is not set.",
                hint="Set the SECRET_KEY environment variable to a long random string.",
                id="mesoclinic.E001",
            )
        )
    if not settings.ALLOWED_HOSTS:
        errors.append(
            Warning(
                "ALLOWED_HOSTS is empty: every request will be refused.",
                hint="Set ALLOWED_HOSTS to the clinic's host names, comma-separated.",
                id="mesoclinic.W001",
            )
        )
    return errors


@register()
def check_catalog(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[Any]:
    """The knowledge catalog must load: a broken catalog stops the server."""
    from core.catalog import CatalogError
    from mesoclinic.catalog import get_catalog

    try:
        get_catalog()
    except CatalogError as exc:
        return [Error(f"The knowledge catalog is invalid: {exc}", id="mesoclinic.E002")]
    return []
