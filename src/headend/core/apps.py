from django.apps import AppConfig
from django.urls import register_converter


class CoreConfig(AppConfig):
    name = "headend.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from headend.core.converters import IdConverter

        # Once, before any URLconf is read: `<id:account_id>` in every app's urls.py.
        register_converter(IdConverter, "id")
