"""The back office opens for every calendar model, and appointments there
are read-only (they change through the checked booking paths only)."""

import pytest
from django.test import Client

from accounts.models import User
from clinics.demo import load_demo
from scheduling.models import Appointment

MODELS = [
    "scheduling/openinghours",
    "scheduling/closure",
    "scheduling/workinghours",
    "scheduling/break",
    "scheduling/leave",
    "scheduling/service",
    "scheduling/appointment",
    "scheduling/course",
    "tokens/token",
]


@pytest.fixture
def admin_client(db: None) -> Client:
    load_demo()
    admin = User.objects.create_superuser("root", "root@example.invalid", "password")
    client = Client()
    client.force_login(admin)
    return client


@pytest.mark.parametrize("model", MODELS)
def test_each_calendar_list_opens(admin_client: Client, model: str) -> None:
    assert admin_client.get(f"/admin/{model}/").status_code == 200


def test_an_appointment_cannot_be_edited_in_the_admin(admin_client: Client) -> None:
    appointment = Appointment.objects.first()
    assert appointment is not None
    url = f"/admin/scheduling/appointment/{appointment.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200  # viewable
    assert b'name="_save"' not in page.content
    assert admin_client.post(url, {"status": "cancelled"}).status_code == 403
    history = admin_client.get(f"{url.removesuffix('change/')}history/")
    assert history.status_code == 200
