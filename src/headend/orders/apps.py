from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "headend.orders"
    label = "orders"
    verbose_name = "Orders"
