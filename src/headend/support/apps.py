from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "headend.support"
    label = "support"
    verbose_name = "Support"

    def ready(self) -> None:
        from headend.support import (
            notifications,  # noqa: F401  (emails replies and acknowledgements to customers)
            outage_response,  # noqa: F401  (impact, parent case, notices of outages)
            panels,  # noqa: F401  (outage banners on the account and service pages)
            search,  # noqa: F401  (cases in the staff search)
            sla_credits,  # noqa: F401  (proposes SLA credits on "outage.ended")
        )
