from django.apps import AppConfig


class FulfillmentConfig(AppConfig):
    name = "headend.fulfillment"
    label = "fulfillment"
    verbose_name = "Fulfillment"

    def ready(self) -> None:
        from headend.fulfillment import code_actions, handlers  # noqa: F401  (registers)
