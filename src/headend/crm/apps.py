from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "headend.crm"
    label = "crm"
    verbose_name = "Customers"

    def ready(self) -> None:
        from headend.crm import notifications  # noqa: F401  (subscribes to outbox events)
