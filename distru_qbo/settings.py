"""Settings for the whole monolith, read from the environment (and `.env` when present).

Every variable is documented in `.env.example`. The defaults run the product locally: SQLite,
the bundled QBO sandbox and the ORM broker. Production sets DJANGO_DEBUG=false and real values.
"""

import base64
import hashlib
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from distru_qbo.insecure_settings import insecure_settings

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

INSECURE_DEV_SECRET_KEY = "django-insecure-dev-only-key-never-use-in-production"  # noqa: S105

# QuickBooks Online: `local` is the bundled sandbox (manage.py qbo_sandbox); `sandbox` and
# `production` are Intuit's. Only `local` runs with development defaults.
QBO_ENVIRONMENT = env.str("QBO_ENVIRONMENT", default="local")
if QBO_ENVIRONMENT not in {"local", "sandbox", "production"}:
    raise ImproperlyConfigured("QBO_ENVIRONMENT must be local, sandbox or production.")
_local = QBO_ENVIRONMENT == "local"

DEBUG = env.bool("DJANGO_DEBUG", default=_local)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=INSECURE_DEV_SECRET_KEY)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_q",
    "distru_qbo",
    "integrations",
    "products",
    "sales",
    "purchases",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "distru_qbo.urls"
WSGI_APPLICATION = "distru_qbo.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "integrations.context_processors.quickbooks_banner",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The web server and the django-q workers write at once: take the write lock when a
    # transaction starts and wait for it, instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=0))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="America/Los_Angeles")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# Production hardening: on by default whenever DEBUG is off, each switchable for a TLS proxy.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOG_LEVEL = env.str("DJANGO_LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # The callback's ?code=…&state=… reaches the access log: every handler redacts them.
    "filters": {"redact_oauth": {"()": "distru_qbo.log_filters.RedactOAuthSecrets"}},
    "formatters": {
        "console": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "console",
            "filters": ["redact_oauth"],
        },
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["redact_oauth"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        "django": {
            "handlers": ["console"],
            "level": env.str("DJANGO_LOG_LEVEL_DJANGO", default="INFO"),
            "propagate": False,
        },
        "django_q": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# Email: notices of sync problems to the people who run the integration. Printed to the
# console in local use; an SMTP server on this host otherwise, unless EMAIL_URL says.
_email = env.email_url("EMAIL_URL", default="consolemail://" if _local else "smtp://localhost:25")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"] or "localhost"
EMAIL_PORT = _email["EMAIL_PORT"] or 25
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"] or ""
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"] or ""
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Distru <distru@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where people reach this app: links in emails are built from it (a worker has no request).
DISTRU_BASE_URL = env.str("DISTRU_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

# django-q2: the ORM broker on the default database, or Redis when REDIS_URL is set.
# `timeout` stays below `retry` so a slow task is killed before the broker hands it out again,
# and `max_attempts` bounds how often a task that keeps failing is retried.
REDIS_URL = env.str("REDIS_URL", default="")
Q_CLUSTER = {
    "name": "distru_qbo",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": 120,
    "retry": 180,
    "max_attempts": 5,
    "ack_failures": True,
    "save_limit": 1000,
    "queue_limit": 50,
    "catch_up": False,
    "label": "Task queue",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"


def _derived_token_key(secret: str) -> str:
    """A Fernet key derived from SECRET_KEY, so the local product runs with no extra setting."""
    return base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest()).decode()


def _checked_token_keys(keys: list[str]) -> list[str]:
    """Refuse to start with a malformed key, naming its position but never its value."""
    from cryptography.fernet import Fernet

    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise ImproperlyConfigured(
                f"QBO_TOKEN_KEYS: key {position} is not a Fernet key "
                "(32 url-safe base64-encoded bytes)."
            ) from None
    return keys


# Tokens at rest: the first key encrypts; every key decrypts. Rotate by putting a new key first.
QBO_TOKEN_KEYS = _checked_token_keys(
    env.list("QBO_TOKEN_KEYS", default=[]) or [_derived_token_key(SECRET_KEY)]
)

# Every QBO URL follows QBO_ENVIRONMENT and can be overridden on its own.
QBO_SANDBOX_URL = env.str("QBO_SANDBOX_URL", default="http://127.0.0.1:8765").rstrip("/")
_QBO_URLS = {
    "local": {
        "authorize": f"{QBO_SANDBOX_URL}/connect/oauth2",
        "token": f"{QBO_SANDBOX_URL}/oauth2/v1/tokens/bearer",
        "revoke": f"{QBO_SANDBOX_URL}/v2/oauth2/tokens/revoke",
        "api": QBO_SANDBOX_URL,
        "app": f"{QBO_SANDBOX_URL}/app",
        "discovery": f"{QBO_SANDBOX_URL}/.well-known/openid_sandbox_configuration",
    },
    "sandbox": {
        "authorize": "https://appcenter.intuit.com/connect/oauth2",
        "token": "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
        "revoke": "https://developer.api.intuit.com/v2/oauth2/tokens/revoke",
        "api": "https://sandbox-quickbooks.api.intuit.com",
        "app": "https://app.sandbox.qbo.intuit.com/app",
        "discovery": "https://developer.api.intuit.com/.well-known/openid_sandbox_configuration/",
    },
    "production": {
        "authorize": "https://appcenter.intuit.com/connect/oauth2",
        "token": "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
        "revoke": "https://developer.api.intuit.com/v2/oauth2/tokens/revoke",
        "api": "https://quickbooks.api.intuit.com",
        "app": "https://app.qbo.intuit.com/app",
        "discovery": "https://developer.api.intuit.com/.well-known/openid_configuration",
    },
}[QBO_ENVIRONMENT]
QBO_AUTHORIZE_URL = env.str("QBO_AUTHORIZE_URL", default=_QBO_URLS["authorize"])
QBO_TOKEN_URL = env.str("QBO_TOKEN_URL", default=_QBO_URLS["token"])
QBO_REVOKE_URL = env.str("QBO_REVOKE_URL", default=_QBO_URLS["revoke"])
QBO_API_BASE_URL = env.str("QBO_API_BASE_URL", default=_QBO_URLS["api"])
QBO_APP_BASE_URL = env.str("QBO_APP_BASE_URL", default=_QBO_URLS["app"])
# Read only by `manage.py qbo_discovery_check`, which compares the three OAuth URLs above with it.
QBO_DISCOVERY_URL = env.str("QBO_DISCOVERY_URL", default=_QBO_URLS["discovery"])
# In `local`, the defaults are the bundled sandbox's own, so `make run` connects with no .env.
QBO_CLIENT_ID = env.str("QBO_CLIENT_ID", default="distru-local-client" if _local else "")
QBO_CLIENT_SECRET = env.str(
    "QBO_CLIENT_SECRET",
    default="distru-local-secret" if _local else "",  # noqa: S106
)
# The verifier token Intuit's developer portal shows for the app's webhooks: each notification
# is signed with it. Empty: webhooks are off, and the hourly sync alone brings QBO's changes.
# In `local`, the token `make run` gives the bundled sandbox.
QBO_WEBHOOK_VERIFIER_TOKEN = env.str(
    "QBO_WEBHOOK_VERIFIER_TOKEN",
    default="distru-local-webhook-verifier" if _local else "",  # noqa: S106
)
QBO_REDIRECT_URI = env.str(
    "QBO_REDIRECT_URI", default="http://127.0.0.1:8000/settings/integrations/quickbooks/callback/"
)
QBO_MINOR_VERSION = env.int("QBO_MINOR_VERSION", default=75)
QBO_REQUEST_TIMEOUT = env.float("QBO_REQUEST_TIMEOUT", default=30.0)
# The whole of one call to QBO (connect, retries, the last byte): requests' timeout above only
# bounds each read, and a page or a task is waiting. QBO itself gives up on a request at 120 s.
QBO_REQUEST_DEADLINE = env.float("QBO_REQUEST_DEADLINE", default=60.0)
# The largest answer read from QBO. The biggest ones asked for are a 1000-row page (about 1 MB
# of items or accounts) and a CDC answer, at most 1000 objects in all (Intuit's CDC guide): the
# recorded invoice is 1.4 KB, and a line adds about 0.25 KB, so 1000 invoices of 100 lines
# each come to about 27 MB.
QBO_MAX_RESPONSE_BYTES = env.int("QBO_MAX_RESPONSE_BYTES", default=32 * 1024 * 1024)
# The client-side limit (500/min, 10 at a time per company, shared by every worker process).
QBO_RATE_LIMIT = env.bool("QBO_RATE_LIMIT", default=True)
# Days the sync runs and push attempts are kept for the admin's history (pruned daily).
QBO_HISTORY_DAYS = env.int("QBO_HISTORY_DAYS", default=90)
if QBO_HISTORY_DAYS < 1:
    raise ImproperlyConfigured("QBO_HISTORY_DAYS must be a whole number of days, 1 or more.")

# Refuse to start with a setting no deployment may run with; `check --deploy` reports the same.
_insecure = insecure_settings(
    environment=QBO_ENVIRONMENT,
    debug=DEBUG,
    secret_key=SECRET_KEY,
    client_id=QBO_CLIENT_ID,
    client_secret=QBO_CLIENT_SECRET,
)
if _insecure:
    raise ImproperlyConfigured(" ".join(problem for _, problem in _insecure))
