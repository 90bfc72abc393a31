from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "headend.inventory"
    label = "inventory"
    verbose_name = "Service inventory"
