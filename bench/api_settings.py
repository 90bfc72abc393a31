"""The project's settings for the API read benchmark's server (bench/api_read.py): every setting
is headend.settings' own, except that the URL conf adds the bare baseline views
(bench/api_urls.py). Only that benchmark's gunicorn is started with this module; a normal run
(`make run`, headend.wsgi's default) never loads it, so the baseline views exist nowhere else."""

from headend.settings import *  # noqa: F403

ROOT_URLCONF = "bench.api_urls"
