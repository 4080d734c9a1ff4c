"""Two-factor login with a time-based code (django-otp's TOTP devices).

A login with a confirmed device happens in two steps: the password, then a
code from the authenticator app. Between the two the session holds only the
pending user's id, for a few minutes; nobody is logged in until the code is
right, so a half-finished login opens nothing.
"""

from __future__ import annotations

import base64
import io
import time
from typing import Any

import segno
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest
from django_otp import verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice

PENDING_KEY = "accounts_pending_login"
SETUP_KEY = "accounts_two_factor_setup"
# Long enough to open the app and type a code, short enough that a session
# left at the code page on a shared computer soon forgets the password step.
PENDING_SECONDS = 5 * 60
SETUP_SECONDS = 15 * 60


def confirmed_device(user: Any) -> TOTPDevice | None:
    """The user's confirmed TOTP device, or None (two-factor login is off).
    One query."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def has_confirmed_device(user: Any) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def check_code(user: Any, device: TOTPDevice, code: str) -> str:
    """ "ok" when ``code`` is the device's current code, "wrong" when not,
    "wait" when django-otp is not checking codes yet after wrong ones (each
    wrong code doubles the wait). A code already used is wrong."""
    if throttled_until(device) is not None:
        return "wait"
    return "ok" if verify_token(user, device.persistent_id, code.strip()) is not None else "wrong"


def throttled_until(device: TOTPDevice) -> Any:
    """When the device will check codes again after wrong ones, or None."""
    device.refresh_from_db()
    allowed, data = device.verify_is_allowed()
    if allowed or not data:
        return None
    return data.get("locked_until")


def count_failure(request: HttpRequest, user: Any) -> None:
    """A wrong code counts as a failed login for django-axes, as a wrong
    password does (same username and address)."""
    user_login_failed.send(
        sender=__name__, credentials={"username": user.get_username()}, request=request
    )


# -- the pending login, between password and code ---------------------------------------------


def start_pending(request: HttpRequest, user: Any, next_url: str) -> None:
    request.session[PENDING_KEY] = {
        "user": user.pk,
        "backend": user.backend,
        "until": time.time() + PENDING_SECONDS,
        "next": next_url,
    }


def pending(request: HttpRequest) -> tuple[Any, str, str] | None:
    """(user, backend, next URL) of the login waiting for its code, or None
    when there is none, it expired, or the user can no longer log in."""
    data = request.session.get(PENDING_KEY)
    if not isinstance(data, dict) or float(data.get("until", 0)) < time.time():
        clear_pending(request)
        return None
    user = get_user_model().objects.filter(pk=data.get("user"), is_active=True).first()
    if user is None:
        clear_pending(request)
        return None
    return user, str(data["backend"]), str(data.get("next") or "")


def clear_pending(request: HttpRequest) -> None:
    request.session.pop(PENDING_KEY, None)


# -- turning it on ------------------------------------------------------------------------------


def start_setup(request: HttpRequest, user: Any) -> TOTPDevice:
    """A new unconfirmed device for the user (any earlier unconfirmed one is
    dropped), remembered in the session until confirmed."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    request.session[SETUP_KEY] = {"device": device.pk, "until": time.time() + SETUP_SECONDS}
    return device


def setup_device(request: HttpRequest, user: Any) -> TOTPDevice | None:
    data = request.session.get(SETUP_KEY)
    if not isinstance(data, dict) or float(data.get("until", 0)) < time.time():
        request.session.pop(SETUP_KEY, None)
        return None
    return TOTPDevice.objects.filter(pk=data.get("device"), user=user, confirmed=False).first()


def clear_setup(request: HttpRequest) -> None:
    request.session.pop(SETUP_KEY, None)


def secret_base32(device: TOTPDevice) -> str:
    """The secret as an authenticator app asks for it, in groups of four."""
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_data_uri(device: TOTPDevice) -> str:
    """The device's otpauth:// address as a QR code, an SVG data URI (for an
    <img>: no inline script or style, as the Content-Security-Policy asks)."""
    out = io.BytesIO()
    segno.make(device.config_url, error="m").save(out, kind="svg", scale=5, border=2)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode("ascii")
