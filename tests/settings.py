"""Test settings: the project's settings with tasks run in-process and fast password hashing."""

import os
import tempfile

os.environ.setdefault("HEADEND_VAR_DIR", tempfile.mkdtemp(prefix="headend-test-"))
os.environ.setdefault("HEADEND_REDIS_URL", "redis://127.0.0.1:6379/15")  # the RQ backend's test

import dj_database_url

from headend.settings import *  # noqa: F403

TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# An in-memory test database on SQLite, as Django's backend has by default: pytest-django gives each
# xdist worker a database of its own by name, and leaves one in memory alone only when it sees it
# as in memory or Django's own engine (ours is Django's subclass, core/sqlite).
if DATABASES["default"]["ENGINE"] == SQLITE_ENGINE:  # noqa: F405
    DATABASES["default"].setdefault("TEST", {}).setdefault("NAME", ":memory:")  # noqa: F405
# The RADIUS tables live in PostgreSQL (as FreeRADIUS's rlm_sql reads them), on both runs of the
# suite; each run gets its own test database so concurrent runs do not collide.
os.environ.setdefault("HEADEND_TEST_RUN_ID", str(os.getpid()))
DATABASES["radius"] = dj_database_url.parse(  # noqa: F405
    os.environ.get("HEADEND_TEST_RADIUS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/headend_radius")
)
DATABASES["radius"]["TEST"] = {"NAME": f"test_headend_radius_{os.environ['HEADEND_TEST_RUN_ID']}"}  # noqa: F405
HEADEND_SECRETS = {"PROVISIONING_API": "test-provisioning-secret", "NAS": "testing123", "WIFI": "test-wifi-secret"}
LOGGING = {"version": 1, "disable_existing_loggers": False}
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
