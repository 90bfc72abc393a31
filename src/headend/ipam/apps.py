from django.apps import AppConfig


class IpamConfig(AppConfig):
    name = "headend.ipam"
    label = "ipam"
    verbose_name = "IP address management"

    def ready(self) -> None:
        from headend.ipam import (
            actions,  # noqa: F401  (registers the code actions)
            panels,  # noqa: F401  (draws on the pages of the apps below)
        )
