"""Records a module's tests share: built once per module on a worker, each test's own
transaction a savepoint inside the one that built them, so what a test changes is undone before
the next and the records themselves are rolled back when the module is done.

For costly worlds (the demo provider, the outage tests' network) read by many non-transactional
tests. Once built, the records stay for the rest of the module: a module uses this only if none
of its tests expects an empty database. Model instances are shared too: a test gets its own
copies (`fresh`), so a change in memory cannot reach the next test."""

import dataclasses
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any

from django.db import models, transaction

from headend.core import clock
from tests.conftest import FROZEN_AT


@contextmanager
def kept_for_the_module(django_db_blocker: Any, databases: Sequence[str] = ("default",)) -> Iterator[None]:
    """Open a transaction on each of `databases` (the clock frozen as the tests have it) for the
    records built inside; rolled back at the end."""
    with django_db_blocker.unblock(), clock.frozen(FROZEN_AT), ExitStack() as stack:
        for alias in databases:
            stack.enter_context(transaction.atomic(using=alias))
        yield
        for alias in databases:
            transaction.set_rollback(True, using=alias)


def fresh(records: Any) -> Any:
    """A copy of a dataclass (or a dict) of records, every model instance in it (alone or in a
    list) read again from the database."""

    def again(value: Any) -> Any:
        if isinstance(value, models.Model):
            return type(value).objects.get(pk=value.pk)
        if isinstance(value, list):
            return [again(item) for item in value]
        return value

    if isinstance(records, dict):
        return {name: again(value) for name, value in records.items()}
    return dataclasses.replace(
        records, **{field.name: again(getattr(records, field.name)) for field in dataclasses.fields(records)}
    )
