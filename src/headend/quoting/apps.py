from django.apps import AppConfig


class QuotingConfig(AppConfig):
    name = "headend.quoting"
    label = "quoting"
    verbose_name = "Quotes"

    def ready(self) -> None:
        from headend.quoting import (
            panels,  # noqa: F401  (draws on the pages of the apps below)
            upgrades,  # noqa: F401  (offers faster plans where coverage grew)
        )
