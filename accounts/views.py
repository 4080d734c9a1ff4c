"""Logging in (password, then a code for those who turned two-factor login
on), the two-factor settings, and where a login lands."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required, login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import two_factor
from accounts.forms import CodeForm, PasswordForm, TurnOffForm
from clinics.models import StaffMember


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Where a login lands: the person's roles and where to go next."""
    memberships = StaffMember.objects.filter(user=request.user).select_related("clinic")
    patient = getattr(request.user, "patient", None)
    return render(
        request,
        "accounts/home.html",
        {
            "memberships": memberships,
            "patient": patient,
            "two_factor_on": two_factor.has_confirmed_device(request.user),
        },
    )


class LoginView(auth_views.LoginView):
    """The password step. A user with two-factor login on is not logged in
    here: the session keeps only who is waiting for the code."""

    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        if two_factor.confirmed_device(user) is None:
            return super().form_valid(form)
        two_factor.start_pending(self.request, user, self.get_redirect_url())
        return redirect("accounts:login_code")


def _safe_next(request: HttpRequest, url: str) -> str:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@login_not_required
@sensitive_post_parameters()
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    """The code step of a two-factor login."""
    was_waiting = two_factor.PENDING_KEY in request.session
    waiting = two_factor.pending(request)
    if waiting is None:
        if was_waiting:
            messages.info(
                request, _("Please log in again: the login waited too long for its code.")
            )
        return redirect("accounts:login")
    user, backend, next_url = waiting
    device = two_factor.confirmed_device(user)
    if device is None:
        two_factor.clear_pending(request)
        return redirect("accounts:login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        credentials = {"username": user.get_username()}
        if not AxesProxyHandler.is_allowed(request, credentials):
            two_factor.clear_pending(request)
            return get_lockout_response(request, None, credentials)
        result = two_factor.check_code(user, device, form.cleaned_data["code"])
        if result == "ok":
            two_factor.clear_pending(request)
            user.otp_device = device  # django_otp keeps it in the session at login
            auth_login(request, user, backend=backend)
            return HttpResponseRedirect(_safe_next(request, next_url))
        two_factor.count_failure(request, user)
        if getattr(request, "axes_locked_out", False):
            two_factor.clear_pending(request)
            return get_lockout_response(request, None, credentials)
        form.add_error("code", _code_error(result))
    return render(request, "registration/login_code.html", {"form": form}, status=200)


def _code_error(result: str) -> str:
    if result == "wait":
        return _(
            "Too many wrong codes in a row. Wait a minute, then type the new code the app shows."
        )
    return _("That code is not right. Codes change every 30 seconds: type the one shown now.")


@login_not_required
@never_cache
def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin's login page sends people to the one login (with its
    lockout and second factor), so the admin is no way around them."""
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("admin:index")
    if request.user.is_authenticated:
        if request.user.is_active and request.user.is_staff:
            return HttpResponseRedirect(next_url)
        return render(request, "accounts/admin_refused.html", status=403)
    return HttpResponseRedirect(f"{reverse('accounts:login')}?{urlencode({'next': next_url})}")


@login_required
@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_settings(request: HttpRequest) -> HttpResponse:
    """Turn two-factor login on (password, then scan the code, then confirm
    with a code) or off (password and a current code)."""
    user: Any = request.user
    device = two_factor.confirmed_device(user)
    setup = None if device else two_factor.setup_device(request, user)
    action = request.POST.get("action", "")
    password_form = PasswordForm(request.POST if action == "start" else None)
    code_form = CodeForm(request.POST if action == "confirm" else None)
    off_form = TurnOffForm(request.POST if action == "turn_off" else None)

    if request.method == "POST":
        if action == "start" and device is None and password_form.is_valid():
            if _password_ok(request, user, password_form):
                two_factor.start_setup(request, user)
                return redirect("accounts:two_factor")
        elif action == "confirm" and setup is not None and code_form.is_valid():
            with transaction.atomic():
                result = two_factor.check_code(user, setup, code_form.cleaned_data["code"])
                if result == "ok":
                    setup.confirmed = True
                    setup.save(update_fields=["confirmed"])
                    two_factor.clear_setup(request)
                    # This session has just shown the code: it stays logged in.
                    otp_login(request, setup)
                    messages.success(request, _("Two-factor login is on."))
                    return redirect("accounts:two_factor")
            code_form.add_error("code", _code_error(result))
        elif action == "turn_off" and device is not None and off_form.is_valid():
            if _password_ok(request, user, off_form):
                result = two_factor.check_code(user, device, off_form.cleaned_data["code"])
                if result == "ok":
                    TOTPDevice.objects.filter(user=user).delete()
                    messages.success(request, _("Two-factor login is off."))
                    return redirect("accounts:two_factor")
                two_factor.count_failure(request, user)
                off_form.add_error("code", _code_error(result))
        elif action == "cancel":
            two_factor.clear_setup(request)
            if setup is not None:
                setup.delete()
            return redirect("accounts:two_factor")
        elif action not in {"start", "confirm", "turn_off"}:
            return render(
                request, "accounts/two_factor.html", _context(device, setup, None), status=400
            )
        status = 400
    else:
        status = 200
    forms = {"password_form": password_form, "code_form": code_form, "off_form": off_form}
    return render(
        request, "accounts/two_factor.html", _context(device, setup, forms), status=status
    )


def _password_ok(request: HttpRequest, user: Any, form: PasswordForm) -> bool:
    """Re-authentication before a change to the login itself. Goes through
    authenticate(), so a wrong password counts for the lockout as at login."""
    checked = authenticate(
        request, username=user.get_username(), password=form.cleaned_data["password"]
    )
    if checked is None or checked.pk != user.pk:
        form.add_error("password", _("That password is not right."))
        return False
    return True


def _context(device: Any, setup: Any, forms: dict[str, Any] | None) -> dict[str, Any]:
    context: dict[str, Any] = {
        "device": device,
        "setup": setup,
        **(forms or {"password_form": PasswordForm(), "code_form": CodeForm()}),
    }
    if forms is None:
        context["off_form"] = TurnOffForm()
    if setup is not None:
        context["qr"] = two_factor.qr_data_uri(setup)
        context["secret"] = two_factor.secret_base32(setup)
    return context
