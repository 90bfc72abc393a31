"""The audit trail: a history row (django-simple-history) for every change to a model that moves
money or changes what the network does, naming the user who made it.

A web or API request names its user (simple-history's middleware). The worker has no request:
it changes services, tasks and quote lines on someone's behalf, so the job runs inside
`acting_for(user)`, the user who asked for the work (who accepted the quote, requested the
suspension, uploaded the CSV), and its history rows name that user."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from simple_history.manager import HistoryDescriptor
from simple_history.models import HistoricalRecords

_acting_for: ContextVar[Any] = ContextVar("headend_acting_for", default=None)


def history_user(*, request: Any = None, **kwargs: Any) -> Any:
    """The user a history row names: who made the request (simple-history passes only a logged-in
    one); outside a request, the user the worker acts for; None for the system's own steps."""
    if request is not None:
        return request.user
    return _acting_for.get()


def current_user() -> Any:
    """Who the change being made now is for: the signed-in user of the request under way (the
    middleware's), else the user the worker acts for; None for the system's own steps."""
    request = getattr(HistoricalRecords.context, "request", None)
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return user
    return _acting_for.get()


@contextmanager
def acting_for(user: Any) -> Iterator[None]:
    """History written inside names `user` (None: the system) unless a request names its own."""
    token = _acting_for.set(user if getattr(user, "pk", None) is not None else None)
    try:
        yield
    finally:
        _acting_for.reset(token)


class _History(HistoryDescriptor):
    """`Model.history` with its manager class made once: simple-history's descriptor builds a new
    one (`from_queryset`, which inspects every queryset method) on each access, and every saved
    row reaches it to write its history row."""

    def __init__(self, model: Any, manager: Any, queryset: Any) -> None:
        super().__init__(model, manager=manager, queryset=queryset)
        self.combined = manager.from_queryset(queryset)

    def __get__(self, instance: Any, owner: Any) -> Any:
        return self.combined(self.model, instance)


class AuditRecords(HistoricalRecords):
    """simple-history's records naming `history_user`, with two differences for audit:

    - a save that writes only untracked columns (a login's `last_login`) is no change to audit;
    - a many-to-many change made from the other side (`group.user_set.add(user)`) is recorded
      on each row of the audited model it changed, as it is when made from this side."""

    def __init__(self, **options: Any) -> None:
        options.setdefault("get_user", history_user)
        super().__init__(**options)

    def finalize(self, sender: Any, **kwargs: Any) -> None:
        super().finalize(sender, **kwargs)
        descriptor = sender.__dict__.get(self.manager_name)
        if type(descriptor) is HistoryDescriptor:
            setattr(
                sender,
                self.manager_name,
                _History(descriptor.model, descriptor.manager_class, descriptor.queryset_class),
            )

    def post_save(self, instance: Any, created: bool, using: Any = None, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        if not created and update_fields and set(update_fields) <= set(self.excluded_fields):
            return
        super().post_save(instance, created, using=using, **kwargs)

    def m2m_changed(self, instance: Any, action: str, attr: str, pk_set: Any, reverse: bool, **kwargs: Any) -> None:
        if not reverse:
            super().m2m_changed(instance, action, attr, pk_set, reverse, **kwargs)
            return
        if action == "pre_clear":
            # Which rows lose their link is known only before the clear.
            linked = self.cls._default_manager.filter(**{attr: instance})
            instance._audit_cleared = list(linked.values_list("pk", flat=True))
            return
        if action not in ("post_add", "post_remove", "post_clear"):
            return
        pks = pk_set if action != "post_clear" else getattr(instance, "_audit_cleared", [])
        for changed in self.cls._default_manager.filter(pk__in=pks or []):
            super().m2m_changed(changed, action, attr, pk_set, False, **kwargs)


def history(**options: Any) -> HistoricalRecords:
    """`history = audit.history()` on a model: its audit trail (options as HistoricalRecords')."""
    return AuditRecords(**options)
