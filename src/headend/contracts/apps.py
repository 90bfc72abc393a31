from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "headend.contracts"
    label = "contracts"
    verbose_name = "Contracts and signatures"

    def ready(self) -> None:
        from headend.contracts import handlers  # noqa: F401  (subscribes to outbox events)
