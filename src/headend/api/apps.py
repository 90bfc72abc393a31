from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "headend.api"
    label = "api"
    verbose_name = "API"
