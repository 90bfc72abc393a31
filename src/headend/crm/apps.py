from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "headend.crm"
    label = "crm"
    verbose_name = "Customers"
