from django.contrib.staticfiles.apps import StaticFilesConfig


class StaticFiles(StaticFilesConfig):
    """Django's static files, less what no page uses: django-ninja ships ReDoc beside Swagger UI,
    and our API docs are Swagger UI's. `collectstatic` would copy ReDoc's 4 MB and compress its
    bundle at every start (about 4 s of CPU of each `make run`'s start-up)."""

    ignore_patterns = [*StaticFilesConfig.ignore_patterns, "redoc.standalone.js*"]
