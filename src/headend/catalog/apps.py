from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "headend.catalog"
    label = "catalog"
    verbose_name = "Product catalog"
