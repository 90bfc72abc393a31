from django.apps import AppConfig


class NetworkConfig(AppConfig):
    name = "headend.network"
    label = "network"
    verbose_name = "Network and coverage"

    def ready(self) -> None:
        from headend.network import (
            outages,  # noqa: F401  (the worker opens and closes maintenance windows)
            panels,  # noqa: F401  (draws on the pages of the apps below)
        )
