from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "headend.support"
    label = "support"
    verbose_name = "Support"

    def ready(self) -> None:
        pass
