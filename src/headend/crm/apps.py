from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "headend.crm"
    label = "crm"
    verbose_name = "Customers"

    def ready(self) -> None:
        from headend.crm import search  # noqa: F401  (accounts, contacts and locations in the staff search)
