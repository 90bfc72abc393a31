"""Usage: data sessions from RADIUS accounting turned into usage per service per day, data caps
(overage, throttle, notify) and the TMF635 usage API."""

from django.apps import AppConfig


class UsageConfig(AppConfig):
    name = "headend.usage"
    label = "usage"
    verbose_name = "Usage and data caps"

    def ready(self) -> None:
        from headend.usage import (
            notifications,  # noqa: F401  (emails the 80 % and 100 % notices)
            panels,  # noqa: F401  (the usage chart on the service page)
            runs,  # noqa: F401  (the worker loop's usage pass)
        )
