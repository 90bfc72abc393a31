"""Settings from the environment, with defaults that are safe on a laptop and in production.

HEADEND_* variables and DATABASE_URL configure everything; nothing here needs editing to deploy.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from whitenoise.compress import Compressor


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("HEADEND_VAR_DIR", Path.cwd() / "var")).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in var/."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        # Processes started together (scripts/run collects static files while it migrates) race
        # here: the key is written whole to a file of this process, then linked into place, so a
        # reader never sees a half-written key and the first link wins.
        draft = VAR_DIR / f"secret_key.{os.getpid()}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "http://127.0.0.1:8000,http://localhost:8000")

# Served over HTTPS (behind a TLS proxy that sets X-Forwarded-Proto): secure cookies, HSTS.
HTTPS = env_bool("HEADEND_HTTPS")
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# A form sent from a stale page: a 403 page that says to reload (web/errors.py).
CSRF_FAILURE_VIEW = "headend.web.errors.csrf_failure_view"
SESSION_COOKIE_HTTPONLY = True
# Content-Security-Policy on every response (django-csp), enforced: scripts and styles only from
# our static files, no inline script, an inline <style> only with the request's nonce (the quote
# document on screen), nothing from other sites, no framing. Files people uploaded go out with
# their own stricter policy (core/user_files.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# A staff or portal session lasts HEADEND_SESSION_HOURS from login (a new session key at every
# login: django.contrib.auth.login cycles it).
SESSION_COOKIE_AGE = int(float(os.environ.get("HEADEND_SESSION_HOURS", "12")) * 3600)
# The API's docs (/tmf-api/docs) and OpenAPI document: staff (a session or a bearer token) only,
# unless HEADEND_API_DOCS_PUBLIC=1.
HEADEND_API_DOCS_PUBLIC = env_bool("HEADEND_API_DOCS_PUBLIC")
# API tokens: the expiry offered by default when staff create one (days; 0 = never).
HEADEND_API_TOKEN_DAYS = int(os.environ.get("HEADEND_API_TOKEN_DAYS", "90"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "headend.core.static_files.StaticFiles",  # django.contrib.staticfiles, less what no page uses
    "django.contrib.humanize",
    "csp",
    "ninja",
    "django_htmx",
    "template_partials",
    "simple_history",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "django_rq",
    "django_tasks_rq",
    "headend.core",
    "headend.crm",
    "headend.catalog",
    "headend.quoting",
    "headend.orders",
    "headend.inventory",
    "headend.fulfillment",
    "headend.network",
    "headend.contracts",
    "headend.provisioning",
    "headend.ipam",
    "headend.hub",
    "headend.usage",
    "headend.billing",
    "headend.payments",
    "headend.commissions",
    "headend.support",
    "headend.portal",
    "headend.api",
    "headend.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "headend.core.middleware.ProviderTimeZoneMiddleware",
    "headend.core.middleware.DomainErrorMiddleware",
    # An error status with no body (require_POST's 405) is a page for a browser (web/errors.py).
    "headend.web.errors.ErrorPageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "headend.urls"
WSGI_APPLICATION = "headend.wsgi.application"

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
                "headend.core.context_processors.navigation",
            ],
            "builtins": ["headend.core.templatetags.headend", "template_partials.templatetags.partials"],
        },
    }
]

DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'headend.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
SQLITE = "django.db.backends.sqlite3"
SQLITE_ENGINE = "headend.core.sqlite"  # Django's SQLite backend, converting placeholders faster
if DATABASES["default"]["ENGINE"] == SQLITE:
    DATABASES["default"]["ENGINE"] = SQLITE_ENGINE
    # WAL lets the web server and the worker read while one writes; IMMEDIATE takes the
    # write lock at BEGIN so two writers queue on the busy timeout instead of failing.
    # Connections are kept between requests as on PostgreSQL: opening one (the file, the
    # pragmas, Django's SQL functions) cost more than a whole authenticated API read.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# FreeRADIUS reads subscribers from its own SQL database (rlm_sql), kept apart from Headend's:
# provisioning writes its tables (radcheck, radreply, radusergroup, radgroupreply) through this alias.
RADIUS_DATABASE_URL = os.environ.get("HEADEND_RADIUS_DATABASE_URL", f"sqlite:///{VAR_DIR / 'radius.sqlite3'}")
DATABASES["radius"] = dj_database_url.parse(RADIUS_DATABASE_URL, conn_max_age=60)
if DATABASES["radius"]["ENGINE"] == SQLITE:
    DATABASES["radius"]["ENGINE"] = SQLITE_ENGINE
    DATABASES["radius"]["OPTIONS"] = {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
else:
    DATABASES["radius"]["CONN_HEALTH_CHECKS"] = True
DATABASE_ROUTERS = ["headend.provisioning.routers.RadiusRouter"]  # no Django tables in FreeRADIUS's DB
if test_name := os.environ.get("HEADEND_TEST_DATABASE_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": test_name}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Customers in the portal: their own credentials (portal_email), never a Django user.
    "headend.portal.auth.PortalBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Failed logins: five failures for one username from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("HEADEND_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "headend.portal.auth.axes_username"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

LANGUAGE_CODE = "en-us"
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
# Dates the provider's staff and customers see (billing periods, due dates) are in this zone.
HEADEND_TIME_ZONE = os.environ.get("HEADEND_TIME_ZONE", "America/New_York")
HEADEND_CURRENCY = os.environ.get("HEADEND_CURRENCY", "USD")
HEADEND_PROVIDER_NAME = os.environ.get("HEADEND_PROVIDER_NAME", "Headend Fiber")
# The logo on quote documents: a static file (SVG), inlined into the PDF.
HEADEND_PROVIDER_LOGO = os.environ.get("HEADEND_PROVIDER_LOGO", "contracts/logo.svg")
HEADEND_QUOTE_VALID_DAYS = int(os.environ.get("HEADEND_QUOTE_VALID_DAYS", "30"))
# Reach (network/reach.py): a site without coverage whose nearest covered cell centre is within
# this many metres is near our network (a build away); past it, off our network. A build is
# quoted at a rate per metre of that distance, never below the minimum (amounts as strings).
HEADEND_NEAR_NET_METRES = int(os.environ.get("HEADEND_NEAR_NET_METRES", "1000"))
HEADEND_CONSTRUCTION_RATE_PER_METRE = os.environ.get("HEADEND_CONSTRUCTION_RATE_PER_METRE", "30.00")
HEADEND_CONSTRUCTION_MINIMUM = os.environ.get("HEADEND_CONSTRUCTION_MINIMUM", "2500.00")
# The address customers reach this site at (links in emails: quote signing). Unset: the address
# staff used when they presented the quote (scheme, host and port of their request).
HEADEND_SITE_URL = os.environ.get("HEADEND_SITE_URL", "")
# The business calendar work is scheduled on (holidays are kept in the database).
# Sign-ups and "not yet" leads one network address may make in an hour (portal/signup.py).
HEADEND_SIGNUPS_PER_HOUR = int(os.environ.get("HEADEND_SIGNUPS_PER_HOUR", "10"))
HEADEND_WORKDAY_START = os.environ.get("HEADEND_WORKDAY_START", "08:00")
HEADEND_WORKDAY_END = os.environ.get("HEADEND_WORKDAY_END", "17:00")
HEADEND_WORKDAYS = os.environ.get("HEADEND_WORKDAYS", "01234")  # 0 = Monday
# The provider's delivery target (an SLA), in working days from an order: a work order is
# committed to finish by then (or by its baseline plan, if later), and is late only when its
# forecast passes that plus HEADEND_LATE_GRACE_MINUTES of working time.
HEADEND_DELIVERY_TARGET_WORKING_DAYS = int(os.environ.get("HEADEND_DELIVERY_TARGET_WORKING_DAYS", "20"))
HEADEND_LATE_GRACE_MINUTES = int(os.environ.get("HEADEND_LATE_GRACE_MINUTES", "240"))

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "headend.core.static_files.Storage"},
}
# Pages link only the hashed names ({% static %}), so collectstatic keeps only those; source
# maps (10 MB of the API docs' bundles, fetched only by a browser's developer tools) are served
# as they are instead of compressed twice at brotli's slowest setting.
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")
MEDIA_ROOT = VAR_DIR / "media"
# The most bytes a person may upload, per kind of file (core/user_files.py).
HEADEND_UPLOAD_MAX_BYTES = {
    "attachment": int(os.environ.get("HEADEND_ATTACHMENT_MAX_MB", "10")) * 1024 * 1024,
    "site_import": int(os.environ.get("HEADEND_SITE_IMPORT_MAX_MB", "20")) * 1024 * 1024,
    "coverage_import": int(os.environ.get("HEADEND_COVERAGE_IMPORT_MAX_MB", "25")) * 1024 * 1024,
}

TASKS = {
    "default": {
        "BACKEND": os.environ.get("HEADEND_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
# Many workers on many machines: HEADEND_TASK_BACKEND=django_tasks_rq.RQBackend and a Redis.
HEADEND_REDIS_URL = os.environ.get("HEADEND_REDIS_URL", "redis://127.0.0.1:6379/0")
RQ_QUEUES = {"default": {"URL": HEADEND_REDIS_URL, "DEFAULT_TIMEOUT": 300}}

# Code tasks (provisioning): attempts before a task fails, and the first back-off delay, which
# doubles per attempt (30 s, 60 s, 120 s ...) up to HEADEND_CODE_TASK_MAX_DELAY seconds.
HEADEND_CODE_TASK_MAX_ATTEMPTS = int(os.environ.get("HEADEND_CODE_TASK_MAX_ATTEMPTS", "6"))
HEADEND_CODE_TASK_BACKOFF = int(os.environ.get("HEADEND_CODE_TASK_BACKOFF", "30"))
HEADEND_CODE_TASK_MAX_DELAY = int(os.environ.get("HEADEND_CODE_TASK_MAX_DELAY", "3600"))
# A worker holds a code task this long; past it (the worker died) another may run it again.
HEADEND_CODE_TASK_LEASE = int(os.environ.get("HEADEND_CODE_TASK_LEASE", "300"))
# Queue a relay of the outbox when each transaction that emitted events commits; off when the
# worker loop (`relay_outbox --follow`, which relays every second) runs, saving a task per commit.
HEADEND_RELAY_ON_COMMIT = env_bool("HEADEND_RELAY_ON_COMMIT", default=True)

# Billing: the bill day of new customers' billing accounts, billing accounts per bill-run task,
# the tax engine (billing/taxes.py), and the time of day (provider's zone, "02:00") at which the
# worker loop starts the daily bill run (empty: none; run `manage.py run_billing` from cron).
HEADEND_BILLING_BILL_DAY = int(os.environ.get("HEADEND_BILLING_BILL_DAY", "1"))
HEADEND_BILLING_CHUNK = int(os.environ.get("HEADEND_BILLING_CHUNK", "200"))
HEADEND_TAX_ENGINE = os.environ.get("HEADEND_TAX_ENGINE", "headend.billing.taxes.TableTaxEngine")
HEADEND_BILLING_RUN_AT = os.environ.get("HEADEND_BILLING_RUN_AT", "")
# The worker loop's daily dunning pass from this hour (HH:MM; empty: run `manage.py run_dunning` from cron).
HEADEND_DUNNING_RUN_AT = os.environ.get("HEADEND_DUNNING_RUN_AT", "")
# The worker loop's daily autopay run from this hour (HH:MM; empty: `manage.py run_autopay` from cron).
HEADEND_AUTOPAY_RUN_AT = os.environ.get("HEADEND_AUTOPAY_RUN_AT", "")
# Payments: the gateway adapter ("" : manual payments only) and its settings.
HEADEND_PAYMENT_GATEWAY = os.environ.get("HEADEND_PAYMENT_GATEWAY", "")
HEADEND_STRIPE_API_KEY = os.environ.get("HEADEND_STRIPE_API_KEY", "")
HEADEND_STRIPE_API_BASE = os.environ.get("HEADEND_STRIPE_API_BASE", "https://api.stripe.com")
HEADEND_STRIPE_WEBHOOK_SECRET = os.environ.get("HEADEND_STRIPE_WEBHOOK_SECRET", "")
# Autopay retries: days after the due date of each further attempt after a failure.
HEADEND_AUTOPAY_RETRY_DAYS = [int(day) for day in os.environ.get("HEADEND_AUTOPAY_RETRY_DAYS", "3,7").split(",") if day]
# The FCC broadband label: the provider's FCC Registration Number (in each plan's unique
# identifier) and the policies a label links to ("Name=https://...;Name=https://...").
HEADEND_FCC_FRN = os.environ.get("HEADEND_FCC_FRN", "")
HEADEND_BROADBAND_POLICIES = dict(
    item.split("=", 1) for item in os.environ.get("HEADEND_BROADBAND_POLICIES", "").split(";") if "=" in item
)
# Which biller is the book of record: "headend" (the built-in engine) or an external one
# ("lago"), whose invoices and payments Headend shows read-only.
HEADEND_BILLER = os.environ.get("HEADEND_BILLER", "headend")
HEADEND_LAGO_API_URL = os.environ.get("HEADEND_LAGO_API_URL", "")
HEADEND_LAGO_API_KEY = os.environ.get("HEADEND_LAGO_API_KEY", "")
HEADEND_LAGO_WEBHOOK_SECRET = os.environ.get("HEADEND_LAGO_WEBHOOK_SECRET", "")

# Monitoring (network/outages.py): the label an alert names its network element by (a
# comma-separated list is tried in order: "element,device"), and how Prometheus Alertmanager's
# webhook (/network/alerts/alertmanager/) authenticates, as its http_config sends it: a bearer
# token, or HTTP basic. None of them set: the receiver is off.
HEADEND_ALERT_ELEMENT_LABEL = os.environ.get("HEADEND_ALERT_ELEMENT_LABEL", "element")
HEADEND_ALERTMANAGER_TOKEN = os.environ.get("HEADEND_ALERTMANAGER_TOKEN", "")
HEADEND_ALERTMANAGER_USERNAME = os.environ.get("HEADEND_ALERTMANAGER_USERNAME", "")
HEADEND_ALERTMANAGER_PASSWORD = os.environ.get("HEADEND_ALERTMANAGER_PASSWORD", "")
# Outage notices by text message: the adapter (support/sms.py); the default only logs them.
HEADEND_SMS_BACKEND = os.environ.get("HEADEND_SMS_BACKEND", "headend.support.sms.LoggingSms")
# Support email in (support/inbound.py): the bearer token mail services' JSON webhook
# (/support/inbound-email/) must send (unset: the webhook is off, 503), and the largest message
# read from the mailbox or the webhook (bigger ones are refused and recorded).
HEADEND_INBOUND_EMAIL_TOKEN = os.environ.get("HEADEND_INBOUND_EMAIL_TOKEN", "")
HEADEND_INBOUND_EMAIL_MAX_MB = int(os.environ.get("HEADEND_INBOUND_EMAIL_MAX_MB", "25"))

# Secrets that templates and adapters refer to by name, never store: HEADEND_SECRET_<NAME>=value.
HEADEND_SECRETS = {
    key.removeprefix("HEADEND_SECRET_"): value for key, value in os.environ.items() if key.startswith("HEADEND_SECRET_")
}

# RADIUS: which reply attributes carry a plan's rate limit (mikrotik: Mikrotik-Rate-Limit;
# wispr: WISPr-Bandwidth-Max-Up/Down), the group suspended subscribers are moved to, and how
# long (seconds) to wait for a NAS to answer a CoA or Disconnect-Request.
HEADEND_RADIUS_VENDOR = os.environ.get("HEADEND_RADIUS_VENDOR", "mikrotik")
HEADEND_RADIUS_WALLED_GARDEN_GROUP = os.environ.get("HEADEND_RADIUS_WALLED_GARDEN_GROUP", "walled-garden")
HEADEND_RADIUS_COA_TIMEOUT = float(os.environ.get("HEADEND_RADIUS_COA_TIMEOUT", "2"))
HEADEND_RADIUS_COA_RETRIES = int(os.environ.get("HEADEND_RADIUS_COA_RETRIES", "2"))
# GenieACS's northbound interface (TR-069 CPE configuration).
HEADEND_GENIEACS_URL = os.environ.get("HEADEND_GENIEACS_URL", "http://127.0.0.1:7557")
# Outgoing HTTP (REST actions, ACS, webhooks): seconds before a call is given up as timed out.
HEADEND_HTTP_TIMEOUT = float(os.environ.get("HEADEND_HTTP_TIMEOUT", "10"))
# Outgoing HTTP goes only to public addresses (core/outbound.py) unless a host name, address or
# CIDR network is listed here, and reads at most this many bytes of an answer.
HEADEND_OUTBOUND_ALLOW = env_list("HEADEND_OUTBOUND_ALLOW", "")
HEADEND_OUTBOUND_MAX_BYTES = int(os.environ.get("HEADEND_OUTBOUND_MAX_BYTES", str(1024 * 1024)))
# Geocoding (crm/geocoding.py): the geocoders asked in order, the first that places an address
# wins. address_points: the provider's own address list (offline, the default); census: the U.S.
# Census Bureau geocoder; nominatim: an OpenStreetMap Nominatim (HEADEND_NOMINATIM_URL). The
# online ones are off unless listed; their calls go through core/outbound.py.
HEADEND_GEOCODERS = env_list("HEADEND_GEOCODERS", "address_points")
HEADEND_CENSUS_GEOCODER_URL = os.environ.get("HEADEND_CENSUS_GEOCODER_URL", "https://geocoding.geo.census.gov")
HEADEND_NOMINATIM_URL = os.environ.get("HEADEND_NOMINATIM_URL", "")
HEADEND_GEOCODER_TIMEOUT = float(os.environ.get("HEADEND_GEOCODER_TIMEOUT", "5"))
# The map where staff pin a location: the provider's region as "min_lat,min_lon,max_lat,max_lon"
# (unset: the box around its coverage, with a margin), and a tile server's URL template
# (unset: no tiles, only the provider's own coverage is drawn).
HEADEND_SERVICE_REGION = os.environ.get("HEADEND_SERVICE_REGION", "")
HEADEND_MAP_TILE_URL = os.environ.get("HEADEND_MAP_TILE_URL", "")
HEADEND_MAP_TILE_ATTRIBUTION = os.environ.get("HEADEND_MAP_TILE_ATTRIBUTION", "")
# TMF hub listeners one user (all their API tokens together) may have registered at once.
HEADEND_HUB_MAX_SUBSCRIPTIONS = int(os.environ.get("HEADEND_HUB_MAX_SUBSCRIPTIONS", "20"))
# Webhook deliveries: tries before a delivery is failed (a person may redeliver it), and the wait
# after a failed try: HEADEND_WEBHOOK_BACKOFF seconds, doubling per try up to HEADEND_WEBHOOK_MAX_DELAY.
HEADEND_WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("HEADEND_WEBHOOK_MAX_ATTEMPTS", "10"))
HEADEND_WEBHOOK_BACKOFF = int(os.environ.get("HEADEND_WEBHOOK_BACKOFF", "30"))
HEADEND_WEBHOOK_MAX_DELAY = int(os.environ.get("HEADEND_WEBHOOK_MAX_DELAY", "3600"))

# Email to customers (appointments, services live): printed to the console unless configured,
# with signing links' tokens masked (the console is a log).
EMAIL_BACKEND = os.environ.get("HEADEND_EMAIL_BACKEND", "headend.core.redact.ConsoleEmailBackend")
if EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend":
    EMAIL_BACKEND = "headend.core.redact.ConsoleEmailBackend"
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "service@headend-fiber.example")

# The audit pages (admin "History") show changes; nothing is reverted from them.
SIMPLE_HISTORY_REVERT_DISABLED = True

# Every handler masks secrets (signing-link tokens, API tokens: core/redact.py). Django's own
# handlers are replaced: "django" logs through the root's, runserver's request lines through one
# that masks (gunicorn's access log masks with its --logger-class, scripts/run).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "headend.core.redact.RedactFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]},
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server", "filters": ["redact"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("HEADEND_LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": [], "level": "INFO"},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# Usage (issue 20): the worker reads FreeRADIUS's radacct every HEADEND_USAGE_INGEST_EVERY seconds
# (0: off, run `manage.py ingest_usage` from cron), going back HEADEND_USAGE_LOOKBACK_MINUTES for
# sessions updated late; a plan that throttles at its cap moves the subscriber to this RADIUS group,
# whose reply is this rate down and up.
HEADEND_USAGE_INGEST_EVERY = int(os.environ.get("HEADEND_USAGE_INGEST_EVERY", "300"))
HEADEND_USAGE_LOOKBACK_MINUTES = int(os.environ.get("HEADEND_USAGE_LOOKBACK_MINUTES", "60"))
HEADEND_USAGE_THROTTLED_GROUP = os.environ.get("HEADEND_USAGE_THROTTLED_GROUP", "throttled")
HEADEND_USAGE_THROTTLE_MBPS = int(os.environ.get("HEADEND_USAGE_THROTTLE_MBPS", "1"))

# Commissions (issue 20): the time of the provider's day ("04:00") after which the worker loop
# accrues last month's recurring commissions, once a day (empty, like the bill run's: run
# `manage.py accrue_commissions` from cron). Booking and turn-up commissions follow their events.
HEADEND_COMMISSIONS_RUN_AT = os.environ.get("HEADEND_COMMISSIONS_RUN_AT", "")
