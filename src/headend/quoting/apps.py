from django.apps import AppConfig


class QuotingConfig(AppConfig):
    name = "headend.quoting"
    label = "quoting"
    verbose_name = "Quotes"
