"""Set-based writes the ORM has no words for."""

from typing import cast

from django.db import connection, models


def insert_from_select(
    model: type[models.Model], columns: list[str], rows: models.QuerySet, constants: dict[str, object]
) -> int:
    """INSERT INTO `model`'s table (columns, *constants) SELECT the values of `rows` and the
    constants, in one statement whatever the number of rows, skipping rows a unique constraint
    already holds (so running it again inserts nothing); returns how many were inserted. `rows`
    is a `.values_list()` whose fields line up with `columns`."""
    select, params = rows.order_by().query.sql_with_params()
    fields = {name: cast(models.Field, model._meta.get_field(name)) for name in [*columns, *constants]}
    names = [connection.ops.quote_name(field.column) for field in fields.values()]
    values = [fields[name].get_db_prep_value(value, connection) for name, value in constants.items()]
    placeholders = "".join(", %s" for _ in constants)
    # "WHERE true": SQLite reads an ON CONFLICT after INSERT ... SELECT only with a WHERE.
    sql = (
        f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({', '.join(names)}) "  # noqa: S608
        f"SELECT chosen.*{placeholders} FROM ({select}) chosen WHERE true ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, *params])  # the constants come first in the text
        return max(cursor.rowcount, 0)
