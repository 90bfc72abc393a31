from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "headend.inventory"
    label = "inventory"
    verbose_name = "Service inventory"

    def ready(self) -> None:
        from headend.inventory import (
            notifications,  # noqa: F401  (emails the customer on events)
            panels,  # noqa: F401  (draws on the pages of the apps below)
            selectors,
        )
        from headend.network.hooks import ElementServices, element_services

        # The topology (network, below) counts the services bound below its elements.
        element_services.provide(
            ElementServices(counts_below=selectors.service_counts_below, bound_count=selectors.element_bound_count)
        )
