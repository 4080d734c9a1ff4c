"""Production settings are safe by default; a bad configuration is refused."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def settings_in_production(**extra: str) -> dict[str, object]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "MESOCLINIC_TESTING", "SECRET_KEY", "DATABASE_URL"}
    }
    env.update(extra)
    code = (
        "import json, django; from django.conf import settings; django.setup();"
        "print(json.dumps({k: getattr(settings, k) for k in ["
        "'DEBUG', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_SSL_REDIRECT',"
        "'SECURE_HSTS_SECONDS', 'X_FRAME_OPTIONS', 'SECURE_CONTENT_TYPE_NOSNIFF',"
        "'ALLOWED_HOSTS']} | {'csp': 'django.middleware.csp.ContentSecurityPolicyMiddleware'"
        " in settings.MIDDLEWARE}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "mesoclinic.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def test_production_defaults_are_secure() -> None:
    s = settings_in_production(SECRET_KEY="x" * 50, ALLOWED_HOSTS="clinic.example")
    assert s == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "X_FRAME_OPTIONS": "DENY",
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "ALLOWED_HOSTS": ["clinic.example"],
        "csp": True,
    }


def test_it_refuses_to_start_in_production_without_a_secret_key() -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "MESOCLINIC_TESTING", "SECRET_KEY", "DATABASE_URL"}
    }
    out = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**env, "ALLOWED_HOSTS": "clinic.example"},
        capture_output=True,
        text=True,
    )
    assert out.returncode != 0
    assert "mesoclinic.E001" in out.stderr
    assert "SECRET_KEY" in out.stderr


def test_the_demo_mode_is_explicit() -> None:
    s = settings_in_production(DEBUG="1")
    assert s["DEBUG"] is True
    assert s["SESSION_COOKIE_SECURE"] is False
    assert s["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost"]
