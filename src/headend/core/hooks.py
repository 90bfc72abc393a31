"""Hooks: what a lower app needs done by an app above it, in the same transaction.

An app imports only apps below it (the layers contract in pyproject.toml). When a use case must
have work done above (an accepted quote becomes an order at once; an order's lines become work
orders), the lower app declares a `Hook` with the shape of what it needs and the higher app
provides it in its `AppConfig.ready()`. What may happen later goes through outbox events
(`headend.core.events`) instead."""

from typing import Generic, TypeVar

from django.core.exceptions import ImproperlyConfigured

T = TypeVar("T")


class Hook(Generic[T]):
    """One implementation of `T`, provided at start-up by the app named `provided_by`."""

    def __init__(self, name: str, *, provided_by: str) -> None:
        self.name, self.provided_by = name, provided_by
        self._provider: T | None = None

    def provide(self, provider: T) -> None:
        """Called from the providing app's `AppConfig.ready()`; a second call replaces the first."""
        self._provider = provider

    def __call__(self) -> T:
        if self._provider is None:
            raise ImproperlyConfigured(f"Nothing provides {self.name}: is {self.provided_by} in INSTALLED_APPS?")
        return self._provider
