from django.apps import AppConfig


class QuotingConfig(AppConfig):
    name = "headend.quoting"
    label = "quoting"
    verbose_name = "Quotes"

    def ready(self) -> None:
        from headend.quoting import (
            catalog_preview,  # noqa: F401  (the catalog's preview quote of a draft version)
            panels,  # noqa: F401  (draws on the pages of the apps below)
            search,  # noqa: F401  (quotes in the staff search)
            upgrades,  # noqa: F401  (offers faster plans where coverage grew)
        )
