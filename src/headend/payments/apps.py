from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "headend.payments"
    label = "payments"
    verbose_name = "Payments and collections"

    def ready(self) -> None:
        from headend.payments import (
            autopay,  # noqa: F401  (the worker loop's daily autopay)
            dunning_handlers,  # noqa: F401  (payment restores dunning's suspensions)
            handlers,  # noqa: F401  (credit pays new invoices)
            panels,  # noqa: F401  (the payment standing on the account page, the billing account and invoice pages)
            search,  # noqa: F401  (payments in the staff search)
        )
