"""Staff logins are protected against password guessing (django-axes), and
two-factor login (django-otp TOTP) cannot be skipped: not by the password
alone, not through the admin, not by a session opened before it was on."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.core.management import call_command
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import People

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LOGIN = "/accounts/login/"
CODE = "/accounts/login/code/"


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=6):06d}"


def two_factor_on(user: object) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def log_in(client: Client, username: str, password: str, **extra: str) -> object:
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


# -- password guessing ---------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_username_out_from_that_address(
    people: People, clock: time_machine.Traveller
) -> None:
    client = Client()
    for _ in range(4):
        assert log_in(client, "practitioner", "wrong").status_code == 200
    locked = log_in(client, "practitioner", "wrong")
    assert locked.status_code == 429
    text = locked.content.decode()
    assert "15 minutes" in text
    assert "ask your clinic manager" in text
    # Even the right password is refused now, and nobody is logged in.
    again = log_in(client, "practitioner", "password")
    assert again.status_code == 429
    assert SESSION_KEY not in client.session
    # The lock is for that username from that address, not the others.
    elsewhere = log_in(Client(), "practitioner", "password", REMOTE_ADDR="10.9.8.7")
    assert elsewhere.status_code == 302
    assert log_in(Client(), "manager", "password").status_code == 302


def test_the_lockout_ends_after_15_minutes(people: People, clock: time_machine.Traveller) -> None:
    client = Client()
    for _ in range(5):
        log_in(client, "practitioner", "wrong")
    clock.shift(timedelta(minutes=14))
    assert log_in(client, "practitioner", "password").status_code == 429
    # That attempt started the wait again.
    clock.shift(timedelta(minutes=16))
    response = log_in(client, "practitioner", "password")
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(people.practitioner.pk)


def test_a_successful_login_clears_the_count(people: People, clock: time_machine.Traveller) -> None:
    client = Client()
    for _ in range(4):
        log_in(client, "practitioner", "wrong")
    assert log_in(client, "practitioner", "password").status_code == 302
    assert AccessAttempt.objects.count() == 0
    client.post("/accounts/logout/")
    for _ in range(4):
        assert log_in(client, "practitioner", "wrong").status_code == 200
    assert AccessAttempt.objects.get().failures_since_start == 4


def test_the_manager_can_unlock_a_login(people: People, clock: time_machine.Traveller) -> None:
    client = Client()
    for _ in range(5):
        log_in(client, "practitioner", "wrong")
    call_command("axes_reset_username", "practitioner")
    assert AccessAttempt.objects.count() == 0
    assert log_in(client, "practitioner", "password").status_code == 302


def test_the_lockout_is_listed_in_the_admin(people: People, clock: time_machine.Traveller) -> None:
    for _ in range(5):
        log_in(Client(), "practitioner", "wrong")
    people.manager.is_staff = True
    people.manager.is_superuser = True
    people.manager.save()
    admin = Client()
    admin.force_login(people.manager)
    page = admin.get("/admin/axes/accessattempt/")
    assert page.status_code == 200
    assert b"practitioner" in page.content


# -- two-factor login ----------------------------------------------------------------------------


def test_the_password_alone_does_not_log_in_a_user_with_two_factor(
    people: People, clock: time_machine.Traveller
) -> None:
    device = two_factor_on(people.practitioner)
    client = Client()
    response = client.post(
        LOGIN, {"username": "practitioner", "password": "password", "next": "/staff/"}
    )
    assert response.status_code == 302
    assert response["Location"] == CODE
    assert SESSION_KEY not in client.session
    # A half-finished login opens nothing.
    assert client.get("/accounts/home/").status_code == 302
    assert client.get("/api/v1/me/record").status_code == 401
    assert client.get("/staff/test/calendar/").status_code == 302

    page = client.get(CODE)
    assert page.status_code == 200
    assert b"authenticator app" in page.content
    done = client.post(CODE, {"code": code_for(device)})
    assert done.status_code == 302
    assert done["Location"] == "/staff/"
    assert client.session[SESSION_KEY] == str(people.practitioner.pk)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.get("/accounts/home/").status_code == 200


def test_a_wrong_code_is_refused_and_counts_towards_the_lockout(
    people: People, clock: time_machine.Traveller
) -> None:
    device = two_factor_on(people.practitioner)
    client = Client()
    log_in(client, "practitioner", "password")
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    refused = client.post(CODE, {"code": wrong})
    assert refused.status_code == 200
    assert b"not right" in refused.content
    assert SESSION_KEY not in client.session
    assert AccessAttempt.objects.get(username="practitioner").failures_since_start == 1
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    # Four more wrong codes (past django-otp's growing waits): locked out.
    for _ in range(3):
        clock.shift(timedelta(seconds=20))
        assert client.post(CODE, {"code": wrong}).status_code == 200
    clock.shift(timedelta(seconds=20))
    locked = client.post(CODE, {"code": wrong})
    assert locked.status_code == 429
    assert SESSION_KEY not in client.session
    # The pending login is gone: the right code now leads back to the password.
    clock.shift(timedelta(seconds=40))
    assert client.post(CODE, {"code": code_for(device)})["Location"] == LOGIN
    assert log_in(client, "practitioner", "password").status_code == 429


def test_a_code_that_is_not_six_digits_names_the_field(
    people: People, clock: time_machine.Traveller
) -> None:
    two_factor_on(people.practitioner)
    client = Client()
    log_in(client, "practitioner", "password")
    response = client.post(CODE, {"code": "12ab"})
    assert response.status_code == 200
    assert response.context["form"].errors["code"] == [
        "Enter the 6 digits your authenticator app shows."
    ]
    assert AccessAttempt.objects.count() == 0


def test_the_code_step_expires(people: People, clock: time_machine.Traveller) -> None:
    device = two_factor_on(people.practitioner)
    client = Client()
    log_in(client, "practitioner", "password")
    clock.shift(timedelta(minutes=6))
    response = client.post(CODE, {"code": code_for(device)})
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert SESSION_KEY not in client.session


def test_the_code_page_without_a_password_step_goes_to_the_login(people: People) -> None:
    response = Client().get(CODE)
    assert response.status_code == 302
    assert response["Location"] == LOGIN


def test_a_session_that_skipped_the_code_is_logged_out(
    people: People, clock: time_machine.Traveller
) -> None:
    """As a session opened on another computer before two-factor login was
    turned on."""
    client = Client()
    client.force_login(people.practitioner)
    assert client.get("/accounts/home/").status_code == 200
    two_factor_on(people.practitioner)
    assert client.get("/accounts/home/").status_code == 302
    assert SESSION_KEY not in client.session
    api = Client()
    api.force_login(people.practitioner)
    assert api.get("/api/v1/me/record").status_code == 401


def test_the_admin_login_is_the_one_login(people: People, clock: time_machine.Traveller) -> None:
    people.manager.is_staff = True
    people.manager.save()
    device = two_factor_on(people.manager)
    client = Client()
    response = client.get("/admin/")
    assert response.status_code == 302
    login_page = client.get(response["Location"])
    assert login_page.status_code == 302
    assert login_page["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    # Posting a password to the admin's own login page logs nobody in.
    client.post("/admin/login/", {"username": "manager", "password": "password"})
    assert SESSION_KEY not in client.session
    # Through the one login, with the code, the admin opens.
    client.post(LOGIN, {"username": "manager", "password": "password", "next": "/admin/"})
    assert client.post(CODE, {"code": code_for(device)})["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_logged_in_user_without_the_back_office_is_told_so(people: People) -> None:
    client = Client()
    client.force_login(people.front_desk)
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 403
    assert b"cannot open the back office" in response.content


# -- turning two-factor login on and off --------------------------------------------------------


def test_turning_two_factor_on_needs_the_password_then_a_code(
    people: People, clock: time_machine.Traveller
) -> None:
    client = Client()
    client.force_login(people.practitioner)
    page = client.get("/accounts/two-factor/")
    assert page.status_code == 200
    assert b"Two-factor login is off" in page.content

    refused = client.post("/accounts/two-factor/", {"action": "start", "password": "nope"})
    assert refused.status_code == 400
    assert refused.context["password_form"].errors["password"] == ["That password is not right."]
    assert TOTPDevice.objects.count() == 0

    started = client.post("/accounts/two-factor/", {"action": "start", "password": "password"})
    assert started.status_code == 302
    device = TOTPDevice.objects.get(user=people.practitioner)
    assert device.confirmed is False
    page = client.get("/accounts/two-factor/")
    assert b'src="data:image/svg+xml;base64,' in page.content
    secret = page.context["secret"].replace(" ", "")
    assert len(secret) == 32
    assert b"<script" not in page.content.split(b"<footer")[0]
    assert b"style=" not in page.content

    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    assert (
        client.post("/accounts/two-factor/", {"action": "confirm", "code": wrong}).status_code
        == 400
    )
    device.refresh_from_db()
    assert device.confirmed is False

    clock.shift(timedelta(seconds=30))
    done = client.post("/accounts/two-factor/", {"action": "confirm", "code": code_for(device)})
    assert done.status_code == 302
    device.refresh_from_db()
    assert device.confirmed is True
    # This session showed the code: it stays logged in.
    assert client.get("/accounts/home/").status_code == 200
    assert b"Two-factor login is on" in client.get("/accounts/two-factor/").content


def test_turning_two_factor_off_needs_the_password_and_a_current_code(
    people: People, clock: time_machine.Traveller
) -> None:
    device = two_factor_on(people.practitioner)
    client = Client()
    log_in(client, "practitioner", "password")
    client.post(CODE, {"code": code_for(device)})
    clock.shift(timedelta(seconds=30))

    no_code = client.post(
        "/accounts/two-factor/", {"action": "turn_off", "password": "password", "code": "000000"}
    )
    assert no_code.status_code == 400
    assert TOTPDevice.objects.filter(user=people.practitioner).count() == 1
    bad_password = client.post(
        "/accounts/two-factor/",
        {"action": "turn_off", "password": "nope", "code": code_for(device)},
    )
    assert bad_password.status_code == 400
    assert TOTPDevice.objects.filter(user=people.practitioner).count() == 1

    clock.shift(timedelta(seconds=60))
    off = client.post(
        "/accounts/two-factor/",
        {"action": "turn_off", "password": "password", "code": code_for(device)},
    )
    assert off.status_code == 302
    assert TOTPDevice.objects.filter(user=people.practitioner).count() == 0
    assert client.get("/accounts/home/").status_code == 200


def test_the_two_factor_page_needs_a_login(db: None) -> None:
    response = Client().get("/accounts/two-factor/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
