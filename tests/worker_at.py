"""Run the task worker as if it were a given moment, in its own process.

    python tests/worker_at.py <ISO instant> [db_worker arguments]
    python tests/worker_at.py <ISO instant> send_due_messages [arguments]

The clock starts at the instant and ticks on (time_machine), then Django
starts and ``manage.py db_worker`` runs (``--batch`` unless arguments are
given: every task due at that moment, then exit). The database and the
mail server come from the environment (DATABASE_URL, EMAIL_HOST,
EMAIL_PORT): tests/messaging_support.py points them at the test's own.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mesoclinic.settings")

# time_machine imports pytest when it can, for its fixture (half a second
# of start-up this process does not need).
sys.modules.setdefault("pytest", None)  # type: ignore[arg-type]
import time_machine  # noqa: E402

WORKER_DEFAULTS = ["--batch", "--no-startup-delay", "--no-reload", "-v", "0"]


def main(argv: list[str]) -> None:
    if len(argv) < 1:
        raise SystemExit(__doc__)
    instant = datetime.fromisoformat(argv[0])
    if instant.tzinfo is None:
        raise SystemExit("Give the instant with its UTC offset.")
    rest = argv[1:]
    command = "db_worker"
    if rest and not rest[0].startswith("-"):
        command, rest = rest[0], rest[1:]
    elif not rest:
        rest = WORKER_DEFAULTS
    with time_machine.travel(instant, tick=True):
        import django
        from django.core.management import call_command

        django.setup()
        call_command(command, *rest)


if __name__ == "__main__":
    main(sys.argv[1:])
