"""Set-based writes the ORM has no words for."""

from collections.abc import Iterator, Sequence
from typing import Any, cast

from django.db import connection, connections, models, router, transaction
from django.utils import timezone
from psycopg.adapt import Transformer
from simple_history.utils import get_history_manager_for_model

CHUNK = 1000  # rows an UPDATE ... FROM (VALUES ...) sets, or an INSERT ... VALUES adds, at once
MAX_PARAMETERS = 30000  # below SQLite's 32,766 parameters a statement


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


def update_columns(
    model: type[models.Model], rows: Sequence[Any], fields: Sequence[str], *, history: bool = False
) -> None:
    """UPDATE these columns of these rows to the values the instances hold, in one statement per
    `CHUNK` rows whatever their number (UPDATE ... FROM (VALUES ...)): an executemany is a
    statement a row, which PostgreSQL parses and plans each time, and `bulk_update`'s CASE
    expressions cost about a millisecond a row to build; with `history`, a history row each as
    `save(update_fields=...)` writes it, copied from the rows just written (`history_insert`).
    A row given twice takes the values of its last copy, as saving each in turn would."""
    if not rows:
        return
    db = connections[router.db_for_write(model)]
    concrete = [cast(models.Field, model._meta.get_field(name)) for name in fields]
    pk = cast(models.Field, model._meta.pk)
    values = {
        row.pk: [row.pk, *(field.get_db_prep_save(getattr(row, field.attname), db) for field in concrete)]
        for row in rows
    }
    quote = db.ops.quote_name
    table = quote(model._meta.db_table)
    # A VALUES list's columns are column1, column2... on both databases; PostgreSQL types each
    # column from its values, so it is cast to the column's type (a column of NULLs is text).
    casts = [_cast(field, db) for field in concrete]
    sets = ", ".join(
        f"{quote(field.column)} = new.column{n}{cast}"
        for n, (field, cast) in enumerate(zip(concrete, casts, strict=True), 2)
    )
    with transaction.atomic(using=db.alias, savepoint=False), db.cursor() as cursor:
        for listed, params in _values(db, list(values.values())):
            # Only model metadata (table and column names, quoted, and column types) is
            # formatted in, with the values as the database driver quotes them (`_values`).
            cursor.execute(
                f"UPDATE {table} SET {sets} FROM (VALUES {listed}) AS new "  # noqa: S608
                f"WHERE {table}.{quote(pk.column)} = new.column1",
                params,
            )
    if history:
        history_insert(model, rows)


def insert_rows(model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
    """INSERT these rows (each its values for `fields`, in order) in one statement per `CHUNK`
    rows, without a model instance per row: `bulk_create` builds one and, on PostgreSQL, an
    array per column, which for rows nobody reads back (outbox events) cost more than writing
    them. Each value goes through its field's preparation (`get_db_prep_save`), so a column is
    stored as a save would store it; a column not named is NULL (Django's defaults are Python's,
    not the database's). Returns how many rows were written."""
    if not rows:
        return 0
    db = connections[router.db_for_write(model)]
    concrete = [cast(models.Field, model._meta.get_field(name)) for name in fields]
    quote = db.ops.quote_name
    prepared = [[field.get_db_prep_save(value, db) for field, value in zip(concrete, row, strict=True)] for row in rows]
    columns = ", ".join(quote(field.column) for field in concrete)
    with transaction.atomic(using=db.alias, savepoint=False), db.cursor() as cursor:
        for listed, params in _values(db, prepared):
            # Only model metadata (table and column names, quoted) is formatted in, with the
            # values as the database driver quotes them (`_values`).
            cursor.execute(f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES {listed}", params)  # noqa: S608
    return len(rows)


def _cast(field: models.Field, db: Any) -> str:
    """The cast of a VALUES column to `field`'s type on PostgreSQL (nothing on SQLite). A text
    column's is to its type without a length: a cast to varchar(n) would cut a longer value short
    where the assignment to the column refuses it, as a save does."""
    if db.vendor != "postgresql":
        return ""
    if isinstance(field, models.CharField):
        return f"::{db.ops.cast_char_field_without_max_length}"
    return f"::{field.cast_db_type(db)}"  # type: ignore[attr-defined]


def _values(db: Any, rows: list[list[Any]]) -> Iterator[tuple[str, list[Any] | None]]:
    """A VALUES list of these rows (values prepared for the database) per `CHUNK` rows, with its
    parameters. On PostgreSQL the values are written into the text as psycopg's client-side
    binding writes every query's (Django's way with psycopg 3), by psycopg's own quoting: given
    as parameters, a statement of thousands of them is split at each placeholder in Python,
    about 3 us apiece (psycopg caches that only for short statements), the fifth of a code-task
    worker's time. SQLite binds them (its parser is C)."""
    width = len(rows[0])
    chunk = max(1, min(CHUNK, MAX_PARAMETERS // width))
    if db.vendor == "postgresql":
        db.ensure_connection()
        literal = Transformer.from_context(db.connection).as_literal
        for start in range(0, len(rows), chunk):
            with db.wrap_database_errors:  # a value psycopg refuses (a NUL in text) is Django's DataError
                listed = ", ".join(
                    "(" + b", ".join(literal(value) for value in row).decode() + ")"
                    for row in rows[start : start + chunk]
                )
            yield listed, None
        return
    per_row = "(" + ", ".join(["%s"] * width) + ")"
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        yield ", ".join([per_row] * len(part)), [value for row in part for value in row]


def create_with_history(model: type[models.Model], rows: Sequence[Any]) -> list[Any]:
    """`bulk_create` these rows, then their history rows ("+", created) copied from them in SQL
    (`history_insert`): what django-simple-history's `bulk_create_with_history` records, without
    building and inserting a history instance per row (a third of a 10,000-site quote's import).
    The rows come back with their ids."""
    if not rows:
        return []
    with transaction.atomic(using=router.db_for_write(model), savepoint=False):
        created = model._default_manager.bulk_create(rows)
        assert all(row.pk is not None for row in created), "the database returns the new ids"
        history_insert(model, created, history_type="+")
    return created


def history_insert(model: type[models.Model], rows: Sequence[Any], *, history_type: str = "~") -> None:
    """The history rows (django-simple-history's) of these rows as the database holds them now,
    in one INSERT ... SELECT per 500 rows: what `save()` records, naming the user `core.audit`
    names for the first row (the one the worker acts for, or the request's), without building a
    history instance per row."""
    if not rows:
        return
    historical = get_history_manager_for_model(model).model
    db = connections[router.db_for_write(model)]
    quote = db.ops.quote_name
    tracked = [quote(field.column) for field in historical.tracked_fields]
    user = historical.get_default_history_user(rows[0])
    user_id = getattr(user, "pk", None)
    pk = quote(cast(models.Field, model._meta.pk).column)
    keys = [row.pk for row in rows]
    now = db.ops.adapt_datetimefield_value(timezone.now())
    with db.cursor() as cursor:
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            # Only model metadata (table and column names, quoted) is formatted in.
            cursor.execute(
                f"INSERT INTO {quote(historical._meta.db_table)} ({', '.join(tracked)}, history_date, "  # noqa: S608
                "history_change_reason, history_type, history_user_id) "
                f"SELECT {', '.join(tracked)}, %s, NULL, %s, %s FROM {quote(model._meta.db_table)} "
                f"WHERE {pk} IN ({', '.join(['%s'] * len(chunk))}) ORDER BY {pk}",
                [now, history_type, user_id, *chunk],
            )
