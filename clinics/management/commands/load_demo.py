from typing import Any

from django.core.management.base import BaseCommand

from clinical.demo import load as load_clinical_record
from clinics.demo import DEMO_LOGINS, DEMO_PASSWORD, load_demo
from safety.demo import load as load_follow_up


class Command(BaseCommand):
    help = "Load the synthetic demo clinic (idempotent) and print its logins."

    def handle(self, *args: Any, **options: Any) -> None:
        clinic = load_demo()
        load_clinical_record(clinic)
        follow_up = load_follow_up(clinic)
        self.stdout.write(f"Demo clinic: {clinic.name} ({clinic.time_zone}, {clinic.currency})")
        self.stdout.write(
            f"Logins at http://127.0.0.1:8000/accounts/login/ (password {DEMO_PASSWORD}):"
        )
        for login in DEMO_LOGINS:
            self.stdout.write(f"  {login.username:<14} {login.role} ({login.name})")
        if follow_up:
            self.stdout.write(f"The demo patient's follow-up link (no login): {follow_up}")
