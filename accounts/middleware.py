"""A session must have passed the second factor its user turned on.

The login pages never log in a user with two-factor login before the code
(accounts/views.py), but a session can still lack it: one opened before the
user turned two-factor login on, on another computer. Such a session is
logged out here, for every page, the API and the admin alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from accounts.two_factor import has_confirmed_device


class RequireSecondFactor:
    """Installed after django_otp's OTPMiddleware (which sets
    ``user.is_verified()``). Costs one query per request of a logged-in user
    whose session was not verified by a code (most users: those without
    two-factor login)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user: Any = request.user
        if user.is_authenticated and not user.is_verified() and has_confirmed_device(user):
            logout(request)
            anonymous: Any = request.user
            anonymous.otp_device = None
            anonymous.is_verified = lambda: False
        return self.get_response(request)
