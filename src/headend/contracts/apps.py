from django.apps import AppConfig


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
