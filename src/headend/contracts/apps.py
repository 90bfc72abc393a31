from typing import Any

from django.apps import AppConfig
from django.apps import apps as global_apps
from django.db import router
from django.db.models.signals import post_migrate


class ContractsConfig(AppConfig):
    name = "headend.contracts"
    label = "contracts"
    verbose_name = "Contracts and signatures"

    def ready(self) -> None:
        from headend.contracts import (
            handlers,  # noqa: F401  (subscribes to outbox events)
            panels,  # noqa: F401  (draws on the pages of the apps below)
        )
        from headend.core import redact

        # A signing link's token is the key to the customer's quote: never in a log.
        redact.hide(r"/sign/[0-9]+/(?P<secret>[^/?#\s\"'<>]+)")
        post_migrate.connect(standard_terms_kept, sender=self)


def standard_terms_kept(sender: AppConfig, using: str, apps: Any = None, **kwargs: Any) -> None:
    """After `migrate` and after `flush` (which empties every table): terms to present quotes under."""
    from headend.contracts import standard_terms

    TermsVersion = (apps or global_apps).get_model("contracts", "TermsVersion")
    if router.allow_migrate_model(using, TermsVersion):
        standard_terms.ensure(TermsVersion, using)
