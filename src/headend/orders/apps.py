from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "headend.orders"
    label = "orders"
    verbose_name = "Orders"

    def ready(self) -> None:
        from headend.orders import selectors, services
        from headend.quoting.hooks import QuoteOrders, quote_orders

        # An accepted quote becomes its order (and work) in quote_accept's transaction.
        quote_orders.provide(
            QuoteOrders(create_order=services.order_create_from_quote, change_in_flight=selectors.change_in_flight)
        )
        from headend.orders import (
            panels,  # noqa: F401  (draws on the pages of the apps below)
            search,  # noqa: F401  (orders in the staff search)
        )
