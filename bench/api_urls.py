"""The project's URLs plus the API read benchmark's baseline: `/bench/bare/<name>` answers the
bytes the benchmark saved in HEADEND_VAR_DIR/bench-bare/<name>.json (the body the API answered
for the same resource) with the API's content type, from a plain Django view behind the same middleware in the same
gunicorn workers. Loaded only through bench/api_settings.py."""

from functools import cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import path

from headend import urls as project

BARE_DIR = "bench-bare"
NAMES = ("quote", "list")


@cache
def _saved(name: str) -> bytes:
    return (settings.VAR_DIR / BARE_DIR / f"{name}.json").read_bytes()


def bare_view(request: HttpRequest, name: str) -> HttpResponse:
    if name not in NAMES:
        return HttpResponse(status=404)
    return HttpResponse(_saved(name), content_type="application/json; charset=utf-8")  # as the API answers


handler400 = project.handler400
handler404 = project.handler404
urlpatterns = [path("bench/bare/<slug:name>", bare_view), *project.urlpatterns]
