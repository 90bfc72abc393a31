from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "headend.core"
    label = "core"
    verbose_name = "Core"
