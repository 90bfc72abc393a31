from django.apps import AppConfig


class WebConfig(AppConfig):
    """The top of the stack: the site's URLs and home page, the TMF API's mount of every app's
    router, and the demo provider. Every other app is below it."""

    name = "headend.web"
    label = "web"
    verbose_name = "Web"

    def ready(self) -> None:
        # The account page's activity timeline; who is a technician and the sidebar's counts.
        from headend.web import navigation, panels  # noqa: F401
