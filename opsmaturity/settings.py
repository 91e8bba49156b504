"""Settings for Ops Maturity.

Everything that differs between a laptop and production is read from the
environment (see README, "Configuration"). The defaults serve a laptop: SQLite
in the project folder and a Celery broker that needs no server.
"""

import re
from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from .dbconfig import databases_from_env
from .env import env_bool, env_float, env_int, env_list, env_str
from .mailconfig import email_settings_from_env
from .sso.config import parse_group_map

BASE_DIR = Path(__file__).resolve().parent.parent
# Runtime state of a laptop install: the SQLite file, the broker's folders,
# the mail written to files. Ignored by git.
VAR_DIR = Path(env_str("OPS_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off. For a laptop, set DEBUG=true."
        )
    SECRET_KEY = "insecure-dev-key-only-for-debug"  # noqa: S105 - only reachable with DEBUG on
elif not DEBUG and (
    len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure-")
):
    # Django's own rule (check --deploy, security.W009), enforced at start: sessions,
    # password reset links and unsubscribe tokens are only as strong as this key.
    raise ImproperlyConfigured(
        f"SECRET_KEY is too weak ({len(SECRET_KEY)} characters, {len(set(SECRET_KEY))} "
        "different): with DEBUG off it needs at least 50 characters and 5 different ones, "
        "and not the django-insecure- prefix of a generated development key. "
        "Make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    # The admin, opened to ops managers read-only (core/admin.py).
    "opsmaturity.core.apps.OpsAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Django's own widget templates, for the project's form renderer (lib.forms).
    "django.forms",
    "django_htmx",
    "template_partials",
    "csp",
    "axes",
    "rest_framework",
    # Before drf_spectacular: its Swagger page is served with our CSP-safe template.
    "opsmaturity.api",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "opsmaturity.core",
    "opsmaturity.accounts",
    "opsmaturity.teams",
    "opsmaturity.invitations",
    "opsmaturity.operations",
    "opsmaturity.maturity",
    "opsmaturity.dashboard",
    "opsmaturity.digests",
    "opsmaturity.organization",
    "opsmaturity.transfer",
    "opsmaturity.offboarding",
    "opsmaturity.campaigns",
    "opsmaturity.tooling",
    "opsmaturity.sso",
    "opsmaturity.webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    # Before anything reads a session or a database: a method no page serves is
    # refused the same way everywhere (core/security.py).
    "opsmaturity.core.security.PageMethodsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The signed-in person's language and time zone (accounts/middleware.py).
    "opsmaturity.accounts.middleware.ProfileMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # A database that cannot answer now is a 503 page, not a 500 (core/faults.py).
    "opsmaturity.core.faults.DatabaseUnavailableMiddleware",
    # Last, as django-axes asks: it turns a refused sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "opsmaturity.urls"
WSGI_APPLICATION = "opsmaturity.wsgi.application"

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
                "opsmaturity.core.context_processors.ops",
            ],
        },
    },
]

if not env_str("DATABASE_URL"):
    # SQLite creates its file, not the folder it lives in: a fresh clone has no var/.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
# A database that hangs answers 503 quickly instead of holding the request
# (dbconfig): DATABASE_CONNECT_TIMEOUT, DATABASE_STATEMENT_TIMEOUT.
DATABASES = databases_from_env(f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
# A Celery worker has no one waiting on it, and a scan or a digest run may need
# longer statements than a page: celery.py gives its connections this one.
DATABASE_JOB_STATEMENT_TIMEOUT = env_int("DATABASE_JOB_STATEMENT_TIMEOUT", 300, minimum=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a writer instead of failing at once: the web app, the worker and
    # beat share one file on a laptop.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
    # Covering indexes (INCLUDE) are for PostgreSQL's index-only scans at 100,000
    # operations; SQLite builds the same indexes without the extra columns.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
# With DATABASE_REPLICA_URL, pages read from a streaming replica and write to the
# primary (core/replica.py; README, "Scaling out"). Off otherwise: no router at all.
DATABASE_REPLICA_PIN_SECONDS = env_int("DATABASE_REPLICA_PIN_SECONDS", 5, minimum=0)
DATABASE_REPLICA_MAX_LAG = env_float("DATABASE_REPLICA_MAX_LAG", 3.0, minimum=0)
DATABASE_REPLICA_CHECK_SECONDS = env_float("DATABASE_REPLICA_CHECK_SECONDS", 2.0, minimum=0)
DATABASE_REPLICA_RETRY_SECONDS = env_int("DATABASE_REPLICA_RETRY_SECONDS", 30, minimum=1)
DATABASE_ROUTERS = []
if "replica" in DATABASES:
    if DATABASE_REPLICA_PIN_SECONDS < DATABASE_REPLICA_MAX_LAG + DATABASE_REPLICA_CHECK_SECONDS:
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_PIN_SECONDS must be at least DATABASE_REPLICA_MAX_LAG + "
            "DATABASE_REPLICA_CHECK_SECONDS, or a person who saved could be shown the page "
            "from before their save"
        )
    DATABASE_ROUTERS = ["opsmaturity.core.replica.ReplicaRouter"]
    MIDDLEWARE.insert(
        MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1,
        "opsmaturity.core.replica.ReplicaMiddleware",
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked-out sign-in before any password is checked.
# Then the switch that refuses every password when PASSWORD_LOGIN is off (sso/backends.py);
# then a username or an email address (accounts/backends.py), which also loads the
# signed-in person's profile with their user; last the single sign-on backend, which
# answers only the SSO callback's call.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "opsmaturity.sso.backends.PasswordSignInSwitch",
    "opsmaturity.accounts.backends.UsernameOrEmailBackend",
    "opsmaturity.sso.backends.SsoBackend",
]
FORM_RENDERER = "opsmaturity.lib.forms.FormRenderer"
CSRF_FAILURE_VIEW = "opsmaturity.core.views.csrf_failure"
# A password reset link works once, for PASSWORD_RESET_TIMEOUT seconds (3 days); at
# most one is mailed to a person every PASSWORD_RESET_MAIL_MINUTES (accounts/services.py).
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3 * 24 * 60 * 60, minimum=60)
PASSWORD_RESET_MAIL_MINUTES = env_int("PASSWORD_RESET_MAIL_MINUTES", 5, minimum=0)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = env_str("LANGUAGE_CODE", "en")
LANGUAGES = [("en", _("English")), ("ja", _("Japanese"))]
LOCALE_PATHS = [BASE_DIR / "opsmaturity" / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- HTTP security (README, "Security") ------------------------------------------
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
# No script reads either cookie: htmx gets the CSRF token from the page (base.html).
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
# Only behind a proxy that sets X-Forwarded-Proto itself: anyone else could fake HTTPS.
TRUST_X_FORWARDED_PROTO = env_bool("TRUST_X_FORWARDED_PROTO", False)
if TRUST_X_FORWARDED_PROTO:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Enforced, not report-only. No inline script or style anywhere: the pages link
# app.css and htmx from static files, and htmx is told not to inject its own
# <style> (base.html). The digest's HTML, which needs inline styles as every
# email does, is served with a policy of its own (digests/views.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Powerful browser features the app never uses, refused for it and anything it embeds.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}

# Sign-in throttling (django-axes, in the database so that every web process
# counts the same failures). Failures count per username and address together:
# someone guessing one person's password locks only that pair, not the person
# everywhere nor everyone else behind the same address.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_MINUTES = env_int("AXES_COOLOFF_MINUTES", 15, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=AXES_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "opsmaturity.core.views.locked_out"
# Behind TRUSTED_PROXY_COUNT proxies the address is read from X-Forwarded-For
# (core/security.py); a proxy that sets X-Forwarded-Proto is taken to be one.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", int(TRUST_X_FORWARDED_PROTO), minimum=0)
AXES_CLIENT_IP_CALLABLE = "opsmaturity.core.security.client_address"
# Every spelling of one email address counts as one (accounts/backends.py).
AXES_USERNAME_CALLABLE = "opsmaturity.accounts.backends.axes_username"
# The sign-in records are registered on our admin site for staff only (core/admin.py).
AXES_ENABLE_ADMIN = False

# --- Single sign-on with OpenID Connect (README, "Single sign-on") ------------------
# On when a client id and the provider are set: the issuer (its endpoints are read from
# ISSUER/.well-known/openid-configuration when first needed, then kept for an hour), or
# the endpoints one by one (they also override what discovery says). Authorization-code
# flow with PKCE and a nonce; the ID token's signature, issuer and audience are checked.
OIDC_ISSUER = env_str("OIDC_ISSUER").strip().rstrip("/")
OIDC_RP_CLIENT_ID = env_str("OIDC_CLIENT_ID").strip()
OIDC_RP_CLIENT_SECRET = env_str("OIDC_CLIENT_SECRET")
OIDC_OP_AUTHORIZATION_ENDPOINT = env_str("OIDC_AUTHORIZATION_ENDPOINT").strip()
OIDC_OP_TOKEN_ENDPOINT = env_str("OIDC_TOKEN_ENDPOINT").strip()
OIDC_OP_USER_ENDPOINT = env_str("OIDC_USERINFO_ENDPOINT").strip()
OIDC_OP_JWKS_ENDPOINT = env_str("OIDC_JWKS_ENDPOINT").strip()
_oidc_endpoints = (
    OIDC_OP_AUTHORIZATION_ENDPOINT and OIDC_OP_TOKEN_ENDPOINT and OIDC_OP_JWKS_ENDPOINT
)
if OIDC_RP_CLIENT_ID and not (OIDC_ISSUER or _oidc_endpoints):
    raise ImproperlyConfigured(
        "OIDC_CLIENT_ID is set but not the provider: set OIDC_ISSUER (or "
        "OIDC_AUTHORIZATION_ENDPOINT, OIDC_TOKEN_ENDPOINT and OIDC_JWKS_ENDPOINT)"
    )
if (OIDC_ISSUER or _oidc_endpoints) and not OIDC_RP_CLIENT_ID:
    raise ImproperlyConfigured("OIDC_ISSUER is set but not OIDC_CLIENT_ID")
OIDC_ENABLED = bool(OIDC_RP_CLIENT_ID)
OIDC_RP_SIGN_ALGO = env_str("OIDC_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = env_str("OIDC_SCOPES", "openid email profile")
# The claim that lists a person's groups (a dotted path reaches into an object, as
# Keycloak's realm_access.roles), and which group makes whom a member or manager of
# which team: "ops-billing=Billing:member,ops-billing-leads=Billing:manager".
OIDC_GROUPS_CLAIM = env_str("OIDC_GROUPS_CLAIM").strip()
OIDC_GROUP_MAP = parse_group_map(env_str("OIDC_GROUP_MAP"))
if OIDC_GROUP_MAP and not OIDC_GROUPS_CLAIM:
    raise ImproperlyConfigured("OIDC_GROUP_MAP is set but not OIDC_GROUPS_CLAIM")
OIDC_TIMEOUT = env_float("OIDC_TIMEOUT", 5.0, minimum=0.5)
OIDC_DISCOVERY_SECONDS = env_int("OIDC_DISCOVERY_SECONDS", 3600, minimum=0)
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
OIDC_AUTHENTICATION_CALLBACK_URL = "sso:callback"
# django-axes counts wrong passwords; a refused SSO sign-in is no guess of one (the
# provider throttles its own sign-in), so it neither counts nor is paused.
AXES_WHITELIST_CALLABLE = "opsmaturity.sso.backends.not_a_password_attempt"
# Password sign-in can be turned off once single sign-on works: the form is hidden and
# every password is refused, on every door (the sign-in page, the admin's).
PASSWORD_LOGIN = env_bool("PASSWORD_LOGIN", True)
if not PASSWORD_LOGIN and not OIDC_ENABLED:
    raise ImproperlyConfigured(
        "PASSWORD_LOGIN=false leaves no way to sign in: set up single sign-on first "
        "(OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET)"
    )

# --- Email -------------------------------------------------------------------
# EMAIL_URL (smtp://user:pass@host:587/?tls=true, console://, file:///path,
# locmem://) or the individual EMAIL_* settings. A laptop writes mail to files.
vars().update(email_settings_from_env(default_file_path=VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Ops Maturity <ops-maturity@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Invitations -------------------------------------------------------------
# Days an invitation link stays valid (a resend starts the days again).
INVITATION_DAYS = env_int("INVITATION_DAYS", 7, minimum=1)

# --- The method's thresholds -----------------------------------------------
OPS_STALL_DAYS = env_int("OPS_STALL_DAYS", 60, minimum=1)
OPS_STALL_WARN_DAYS = env_int("OPS_STALL_WARN_DAYS", 45, minimum=0)
if OPS_STALL_WARN_DAYS > OPS_STALL_DAYS:
    raise ImproperlyConfigured("OPS_STALL_WARN_DAYS must not be greater than OPS_STALL_DAYS")
OPS_PURPOSE_REVIEW_DAYS = env_int("OPS_PURPOSE_REVIEW_DAYS", 180, minimum=1)
OPS_MIN_PERFORMERS = env_int("OPS_MIN_PERFORMERS", 2, minimum=1)
OPS_CURRENCY = env_str("OPS_CURRENCY", "JPY")
# How long the record of each scan run (ScanRun) is kept; the flags themselves stay.
OPS_SCAN_HISTORY_DAYS = env_int("OPS_SCAN_HISTORY_DAYS", 90, minimum=1)

# --- Weekly digests ----------------------------------------------------------
# Each person's digest goes out on this weekday (0 = Monday) at this time in their
# own time zone (the installation's by default).
OPS_DIGEST_WEEKDAY = env_int("OPS_DIGEST_WEEKDAY", 0, minimum=0)
if OPS_DIGEST_WEEKDAY > 6:
    raise ImproperlyConfigured("OPS_DIGEST_WEEKDAY must be 0 (Monday) to 6 (Sunday)")
OPS_DIGEST_TIME = env_str("OPS_DIGEST_TIME", "09:00")
if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", OPS_DIGEST_TIME):
    raise ImproperlyConfigured(f"OPS_DIGEST_TIME must be HH:MM, not {OPS_DIGEST_TIME!r}")
OPS_DIGEST_MAX_ATTEMPTS = env_int("OPS_DIGEST_MAX_ATTEMPTS", 6, minimum=1)
OPS_DIGEST_RETRY_MINUTES = env_int("OPS_DIGEST_RETRY_MINUTES", 5, minimum=1)
OPS_DIGEST_UNSUBSCRIBE_DAYS = env_int("OPS_DIGEST_UNSUBSCRIBE_DAYS", 90, minimum=1)
OPS_DIGEST_DISPATCH_SECONDS = env_int("OPS_DIGEST_DISPATCH_SECONDS", 240, minimum=10)
# Owners of operations not done in a campaign are reminded in the digests of the last
# N days before its deadline.
OPS_CAMPAIGN_REMIND_DAYS = env_int("OPS_CAMPAIGN_REMIND_DAYS", 14, minimum=0)

# --- Celery ------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_DIR = VAR_DIR / "celery"
# A web request must not hang on Redis, whether it is gone or hung (accepts and
# never answers): each connect and each command is bounded, for the broker and
# for the results alike, and a lost connection is retried once, not for 20 s
# (core.broker). A publish against a hung Redis takes at most three socket
# timeouts (the command, then two reconnects). The worker waits longer (celery.py).
CELERY_BROKER_CONNECTION_TIMEOUT = env_float("CELERY_BROKER_CONNECTION_TIMEOUT", 1.0, minimum=0.1)
CELERY_REDIS_SOCKET_TIMEOUT = env_float("CELERY_REDIS_SOCKET_TIMEOUT", 0.5, minimum=0.1)
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = CELERY_BROKER_CONNECTION_TIMEOUT
BROKER_QUICK_RETRY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        "socket_timeout": CELERY_REDIS_SOCKET_TIMEOUT,
        "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
    }
    CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": BROKER_QUICK_RETRY}
else:
    # No server needed: messages are files in a folder that the web app, the
    # worker and beat share. One machine only, which is what a laptop is.
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "store_processed": False,
        "polling_interval": 0.2,
    }
    CELERY_RESULT_BACKEND = f"file://{CELERY_BROKER_DIR / 'results'}"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 3600
# A task is acknowledged only once it has finished, and handed back to the
# queue when its worker dies: every job here is safe to run twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 600, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 660, minimum=1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")


def _crontab_from_env(name, default):
    """Read a five-field cron expression ("m h dom mon dow") from the environment."""
    raw = env_str(name, default)
    fields = raw.split()
    if len(fields) != 5:
        raise ImproperlyConfigured(f"{name} must be a cron expression with five fields: {raw!r}")
    minute, hour, day_of_month, month_of_year, day_of_week = fields
    return crontab(
        minute=minute,
        hour=hour,
        day_of_month=day_of_month,
        month_of_year=month_of_year,
        day_of_week=day_of_week,
    )


# Reviewed with the code; the times can be moved from the environment (cron
# syntax, in TIME_ZONE). A run that waited in the queue past the next one is
# dropped: the next one does the same job.
CELERY_BEAT_SCHEDULE = {
    "maturity-scan": {
        "task": "opsmaturity.maturity.scan_operations",
        "schedule": _crontab_from_env("OPS_SCAN_CRON", "7 * * * *"),
        "options": {"expires": 55 * 60},
    },
    "digest-dispatch": {
        "task": "opsmaturity.digests.dispatch_digests",
        "schedule": _crontab_from_env("OPS_DIGEST_CRON", "*/5 * * * *"),
        "options": {"expires": 4 * 60},
    },
    "maturity-snapshot": {
        "task": "opsmaturity.maturity.take_snapshot",
        "schedule": _crontab_from_env("OPS_SNAPSHOT_CRON", "15 0 * * *"),
        "options": {"expires": 23 * 60 * 60},
    },
    # Each team's figures kept ahead of time (dashboard/figures.py): the teams a
    # statement touched are counted live by the dashboard until this has run.
    "dashboard-figures": {
        "task": "opsmaturity.dashboard.refresh_figures",
        "schedule": _crontab_from_env("OPS_FIGURES_CRON", "* * * * *"),
        "options": {"expires": 50},
    },
}

# --- caches ------------------------------------------------------------------------
# Per process. The dashboard keeps its rendered body for each version of the data it
# shows (dashboard/fragments.py): every key names its version, so nothing kept is ever
# stale; the seconds only bound how long an unused body takes memory (0: keep none).
OPS_DASHBOARD_CACHE_SECONDS = env_int("OPS_DASHBOARD_CACHE_SECONDS", 600, minimum=0)
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "dashboard": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "dashboard",
        "OPTIONS": {"MAX_ENTRIES": 200},
    },
}

# --- REST API (opsmaturity/api, README "API") ------------------------------------
# Personal tokens (Authorization: Bearer …) for scripts, the session for the browser
# (CSRF enforced). Every endpoint asks teams/access.py, as the pages do.
OPS_API_RATE = env_str("OPS_API_RATE", "600/minute")
OPS_API_PAGE_SIZE = env_int("OPS_API_PAGE_SIZE", 50, minimum=1)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "opsmaturity.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "opsmaturity.api.permissions.TokenScope",
    ],
    # Per token (or per person signed in), counted in the default cache: per process
    # unless CACHES points at a shared one.
    "DEFAULT_THROTTLE_CLASSES": ["opsmaturity.api.throttling.PerTokenThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api": OPS_API_RATE},
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "opsmaturity.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Ops Maturity API",
    "DESCRIPTION": "The registry of operations, their flags, teams and trends.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Endpoints grouped by resource (operations, flags, teams…) rather than all under "v1".
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"validatorUrl": None},
    "ENUM_NAME_OVERRIDES": {
        "PhaseEnum": "opsmaturity.operations.phases.Phase",
        "FlagKindEnum": "opsmaturity.maturity.models.FlagKind",
        "WebhookEventEnum": "opsmaturity.webhooks.models.Event",
    },
}

# --- Webhooks (opsmaturity/webhooks, README "Webhooks") -----------------------------
# Deliveries to loopback, private or link-local addresses are refused unless allowed
# (tests, receivers inside a private network).
OPS_WEBHOOKS_ALLOW_PRIVATE = env_bool("OPS_WEBHOOKS_ALLOW_PRIVATE", False)
OPS_WEBHOOK_TIMEOUT = env_float("OPS_WEBHOOK_TIMEOUT", 5.0, minimum=0.1)
OPS_WEBHOOK_MAX_ATTEMPTS = env_int("OPS_WEBHOOK_MAX_ATTEMPTS", 6, minimum=1)
OPS_WEBHOOK_RETRY_SECONDS = env_int("OPS_WEBHOOK_RETRY_SECONDS", 30, minimum=1)
OPS_WEBHOOK_PAUSE_AFTER = env_int("OPS_WEBHOOK_PAUSE_AFTER", 15, minimum=1)
# The delivery log keeps this many days of finished deliveries (pending ones always).
OPS_WEBHOOK_KEEP_DAYS = env_int("OPS_WEBHOOK_KEEP_DAYS", 30, minimum=1)
# The teams' chat channels get their weekly summary when the digests go out (in
# TIME_ZONE; cron counts days from Sunday, OPS_DIGEST_WEEKDAY from Monday).
CELERY_BEAT_SCHEDULE["chat-weekly-summaries"] = {
    "task": "opsmaturity.webhooks.weekly_summaries",
    "schedule": crontab(
        minute=int(OPS_DIGEST_TIME[3:]),
        hour=int(OPS_DIGEST_TIME[:2]),
        day_of_week=(OPS_DIGEST_WEEKDAY + 1) % 7,
    ),
    "options": {"expires": 60 * 60},
}
CELERY_BEAT_SCHEDULE["webhooks-prune"] = {
    "task": "opsmaturity.webhooks.prune",
    "schedule": _crontab_from_env("OPS_WEBHOOK_PRUNE_CRON", "41 3 * * *"),
    "options": {"expires": 60 * 60},
}
CELERY_BEAT_SCHEDULE["webhooks-sweep"] = {
    "task": "opsmaturity.webhooks.sweep",
    "schedule": _crontab_from_env("OPS_WEBHOOK_SWEEP_CRON", "*/5 * * * *"),
    "options": {"expires": 4 * 60},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"refusals": {"()": "opsmaturity.core.logging.RefusalsWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["refusals"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own console handler (DEBUG only) would print each record a second
        # time beside the root's: its records go to the root's handler alone.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "WARNING"},
        # django-axes logs each failed sign-in at INFO; its start-up banner is noise.
        "axes.apps": {"level": "WARNING"},
    },
}
