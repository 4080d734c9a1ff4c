import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from clinics.demo import DEMO_LOGINS, DEMO_PASSWORD
from clinics.models import Clinic, StaffMember
from patients.models import Patient


@pytest.mark.django_db
def test_the_demo_has_one_working_login_per_role() -> None:
    call_command("load_demo")
    clinic = Clinic.objects.get(slug="demo")
    roles = set(StaffMember.objects.filter(clinic=clinic).values_list("role", flat=True))
    assert roles == {"front_desk", "practitioner", "manager"}
    assert Patient.objects.filter(clinic=clinic, user__username="patient").count() == 1
    for login in DEMO_LOGINS:
        # Through the login form, as a person does (the lockout guard needs the request).
        client = Client()
        answer = client.post(
            "/accounts/login/", {"username": login.username, "password": DEMO_PASSWORD}
        )
        assert answer.status_code == 302, login.username
        assert client.get("/accounts/home/").status_code == 200


@pytest.mark.django_db
def test_loading_the_demo_twice_changes_nothing() -> None:
    call_command("load_demo")
    counts = (User.objects.count(), Patient.objects.count(), Clinic.objects.count())
    call_command("load_demo")
    assert (User.objects.count(), Patient.objects.count(), Clinic.objects.count()) == counts
