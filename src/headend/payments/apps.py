from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "headend.payments"
    label = "payments"
    verbose_name = "Payments and collections"

    def ready(self) -> None:
        from headend.payments import (
            handlers,  # noqa: F401  (credit pays new invoices)
        )
