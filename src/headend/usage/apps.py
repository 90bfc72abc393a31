from django.apps import AppConfig


class UsageConfig(AppConfig):
    name = "headend.usage"
    label = "usage"
    verbose_name = "Usage and data caps"
