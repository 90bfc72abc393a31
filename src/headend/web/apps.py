from django.apps import AppConfig


class WebConfig(AppConfig):
    """The top of the stack: the site's URLs and home page, the TMF API's mount of every app's
    router, and the demo provider. Every other app is below it."""

    name = "headend.web"
    label = "web"
    verbose_name = "Web"

    def ready(self) -> None:
        from headend.web import panels  # noqa: F401  (the account page's activity timeline)
