from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "headend.api"
    label = "api"
    verbose_name = "API"

    def ready(self) -> None:
        from headend.api.services import TOKEN_PREFIX
        from headend.core import redact

        # An API token is masked wherever it is written, not only after "Bearer".
        redact.hide(rf"(?P<secret>{TOKEN_PREFIX}[A-Za-z0-9_-]+)")
