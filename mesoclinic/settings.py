"""Mesoclinic settings: one module, read from the environment.

Safe by default: DEBUG is off, cookies are secure and security headers are
on unless DEBUG=1 is set (the demo does that, because it serves plain HTTP on
127.0.0.1). With no DATABASE_URL the embedded SQLite database in var/ is used.
The variables are listed in README.md.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")
TESTING = env_bool("MESOCLINIC_TESTING")

# Without SECRET_KEY a production start is refused by a system check
# (mesoclinic.checks); in DEBUG a fixed development key is used.
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY and (DEBUG or TESTING):
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if (DEBUG or TESTING) else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "mesoclinic",
    "accounts",
    "clinics",
    "patients",
    "education",
    "screening",
    "plans",
    "scheduling",
    "frontdesk",
    "tokens",
    "stock",
    "clinical",
    "messaging",
    "safety",
    "api",
    "django_tasks_db",
    "simple_history",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # After OTPMiddleware: a login that owes its second factor is logged out.
    "accounts.middleware.RequireSecondFactor",
    "django.contrib.messages.middleware.MessageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "mesoclinic.urls"
WSGI_APPLICATION = "mesoclinic.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "education:home"
# django-axes first: it refuses a locked-out login before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "mesoclinic.context.site",
            ],
        },
    },
]

DATA_DIR = Path(os.environ.get("MESOCLINIC_DATA_DIR", BASE_DIR / "var"))
if not os.environ.get("DATABASE_URL"):
    # The embedded database needs its folder; a fresh clone has none.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'mesoclinic.sqlite3'}",
        # Reusing a connection saves PostgreSQL's per-connection start-up
        # (about 8 ms a request); the health check drops one that died.
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let readers and one writer work together;
    # IMMEDIATE transactions take the write lock at BEGIN, so two bookings
    # are serialised by SQLite instead of failing half-way.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and os.environ.get(
    "MESOCLINIC_TEST_DB_PER_PROCESS"
):
    # Several test runs sharing one development server each get their own
    # test database instead of dropping each other's.
    DATABASES["default"]["TEST"] = {"NAME": f"test_mesoclinic_{os.getpid()}"}
if TESTING and DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A test database in a file, not in memory, so that a worker started by
    # a test as a separate process (tests/worker_at.py) opens the same one;
    # one per process, so parallel runs never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    WHITENOISE_AUTOREFRESH = True

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("hi", _("Hindi"))]
# Interface strings (makemessages) and catalog texts (catalog_messages).
CATALOG_LOCALE_DIR = BASE_DIR / "catalog_locale"
LOCALE_PATHS = [BASE_DIR / "locale", CATALOG_LOCALE_DIR]
USE_I18N = True
USE_TZ = True
# The server's zone, for admin and logs; each clinic has its own zone.
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", DATA_DIR / "media"))
MEDIA_URL = "/media/"

# Mail goes through Django's mailers (6.1+). Without EMAIL_HOST the demo
# (DEBUG) prints mail to the console; production sends by SMTP.
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Mesoclinic <clinic@localhost>")
if "EMAIL_HOST" not in os.environ and DEBUG:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
else:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ.get("EMAIL_HOST", "localhost"),
                "port": int(os.environ.get("EMAIL_PORT", "25")),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS"),
                "timeout": 20,
            },
        }
    }

# Background work (messages): Django's tasks framework, stored in the
# database and run by `manage.py db_worker` (django-tasks-db). Nothing is
# lost while the worker is down: due tasks run when it comes back.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
# How messages reach patients: a class per channel (messaging.channels).
# SMS and WhatsApp print to the console until a provider's class is set here.
MESOCLINIC_CHANNELS = {
    "email": "messaging.channels.EmailChannel",
    "sms": "messaging.channels.ConsoleChannel",
    "whatsapp": "messaging.channels.ConsoleChannel",
}
# The channel for a patient with a phone number and no email address.
MESOCLINIC_DEFAULT_PHONE_CHANNEL = os.environ.get("MESOCLINIC_DEFAULT_PHONE_CHANNEL", "sms")

# Security: on unless DEBUG. Behind a TLS-terminating proxy, set
# SECURE_PROXY_SSL_HEADER=1 so Django trusts X-Forwarded-Proto.
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG and not TESTING)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = False
if env_bool("SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CSP = {
    "default-src": ["'self'"],
    "img-src": ["'self'", "data:", "blob:"],
    "style-src": ["'self'"],
    "script-src": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}
if not DEBUG:
    MIDDLEWARE.insert(1, "django.middleware.csp.ContentSecurityPolicyMiddleware")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Password guessing (django-axes): five failed logins for one username from
# one address lock that pair out for 15 minutes; a successful login clears
# the count. A manager unlocks early in the admin (Access attempts) or with
# `manage.py axes_reset_username USERNAME`. Wrong two-factor codes count too.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
# Behind a reverse proxy, REMOTE_ADDR is the proxy's: give the number of
# proxies in front of Django so the client's address is read from
# X-Forwarded-For instead.
if os.environ.get("AXES_PROXY_COUNT"):
    AXES_IPWARE_PROXY_COUNT = int(os.environ["AXES_PROXY_COUNT"])
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")

# Two-factor login (django-otp, TOTP): the name authenticator apps show.
OTP_TOTP_ISSUER = "Mesoclinic"

# Mesoclinic's own settings.
MESOCLINIC_CATALOG_DIR = os.environ.get("MESOCLINIC_CATALOG_DIR", "")
# The clinic whose country, currency and prices the public pages use.
MESOCLINIC_PUBLIC_CLINIC = os.environ.get("MESOCLINIC_PUBLIC_CLINIC", "demo")
# Where patients reach this site: the base of the links in messages (follow-up links).
MESOCLINIC_SITE_URL = os.environ.get("MESOCLINIC_SITE_URL", "http://127.0.0.1:8000")
