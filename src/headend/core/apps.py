from typing import Any

from django.apps import AppConfig
from django.apps import apps as global_apps
from django.core.signals import request_finished
from django.db import router
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate
from django.urls import register_converter


class CoreConfig(AppConfig):
    name = "headend.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.db.models.fields.tuple_lookups import TupleIn

        from headend.core.connections import close_left_in_transaction, tuple_in_on_sqlite, utc_timestamps_in_c
        from headend.core.converters import IdConverter

        # Once, before any URLconf is read: `<id:account_id>` in every app's urls.py.
        register_converter(IdConverter, "id")
        post_migrate.connect(role_groups_kept, sender=self)
        # After Django's own handler, which closes connections past their age or left outside autocommit.
        request_finished.connect(close_left_in_transaction, dispatch_uid="headend.close_left_in_transaction")
        connection_created.connect(utc_timestamps_in_c, dispatch_uid="headend.utc_timestamps_in_c")
        TupleIn.as_sqlite = tuple_in_on_sqlite  # a prefetch over 1,000 rows (core/connections.py)


def role_groups_kept(sender: AppConfig, using: str, apps: Any = None, **kwargs: Any) -> None:
    """After `migrate` and after `flush` (which empties every table): a group per staff role."""
    from headend.core.permissions import Role

    Group = (apps or global_apps).get_model("auth", "Group")
    if router.allow_migrate_model(using, Group):
        for role in Role:
            Group.objects.using(using).get_or_create(name=role.value)
