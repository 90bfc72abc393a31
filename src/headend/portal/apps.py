from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "headend.portal"
    label = "portal"
    verbose_name = "Customer portal"

    def ready(self) -> None:
        from headend.core import redact

        # A verification or reset link's token opens the customer's account: never in a log.
        redact.hide(r"/portal/(?:verify|password)/(?P<secret>[^/?#\s\"'<>]+)")
