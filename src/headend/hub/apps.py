from django.apps import AppConfig


class HubConfig(AppConfig):
    name = "headend.hub"
    label = "hub"
    verbose_name = "Event hub and webhooks"

    def ready(self) -> None:
        from headend.hub import handlers  # noqa: F401  (subscribes to the outbox)
