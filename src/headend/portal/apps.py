from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "headend.portal"
    label = "portal"
    verbose_name = "Customer portal"
