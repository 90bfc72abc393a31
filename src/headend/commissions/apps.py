from django.apps import AppConfig


class CommissionsConfig(AppConfig):
    name = "headend.commissions"
    label = "commissions"
    verbose_name = "Commissions"
