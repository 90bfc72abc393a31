from django.apps import AppConfig


class NetworkConfig(AppConfig):
    name = "headend.network"
    label = "network"
    verbose_name = "Network and coverage"
