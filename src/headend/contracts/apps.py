from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "headend.contracts"
    label = "contracts"
    verbose_name = "Contracts and signatures"
