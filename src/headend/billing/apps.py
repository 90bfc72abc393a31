from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "headend.billing"
    label = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        from headend.billing import (
            handlers,  # noqa: F401  (consumes the service events)
            notifications,  # noqa: F401  (emails finalised invoices)
            panels,  # noqa: F401  (the Billing section of the account page)
            preview_panels,  # noqa: F401  (the money effect on the service and quote pages)
            rating_panels,  # noqa: F401  (an invoice's call detail)
            runs,  # noqa: F401  (the worker loop's daily bill run)
            search,  # noqa: F401  (invoices in the staff search)
        )
        from headend.billing.standing import payment_standing
        from headend.crm import hooks

        hooks.payment_standing.provide(payment_standing)
