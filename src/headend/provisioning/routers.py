"""Keep Django's own tables out of FreeRADIUS's database: the "radius" alias holds only the
rlm_sql tables, created by `manage.py radius_schema` (or FreeRADIUS's schema.sql), never by
migrations."""

from typing import Any

RADIUS_ALIAS = "radius"


class RadiusRouter:
    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool | None:
        return False if db == RADIUS_ALIAS else None
