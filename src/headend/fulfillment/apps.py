from django.apps import AppConfig


class FulfillmentConfig(AppConfig):
    name = "headend.fulfillment"
    label = "fulfillment"
    verbose_name = "Fulfillment"

    def ready(self) -> None:
        from headend.fulfillment import boards, code_actions, handlers, services, surveys  # noqa: F401  (registers)
        from headend.inventory.hooks import ServiceWork, service_work
        from headend.orders.hooks import OrderWork, order_work

        # Orders and inventory, below, have their work done here inside their own transactions.
        order_work.provide(
            OrderWork(
                create_many=services.work_orders_create,
                forecast=services.order_forecast,
                cancel=services.order_work_cancel,
            )
        )
        service_work.provide(
            ServiceWork(
                request_action=services.service_action_request,
                open_work=boards.open_work_by_service,
                services_in_work=boards.service_ids_in_work,
                assignees=boards.board_assignees,
            )
        )
        from headend.fulfillment import (
            notifications,  # noqa: F401  (emails the customer on events)
            panels,  # noqa: F401  (draws on the pages of the apps below)
        )
