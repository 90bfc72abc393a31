from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from headend.core.clock import provider_zone
from headend.core.errors import DomainError, Forbidden, NotFound


class ProviderTimeZoneMiddleware:
    """Show instants in the provider's time zone; the database keeps UTC."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with timezone.override(provider_zone()):
            return self.get_response(request)


class DomainErrorMiddleware:
    """A domain error that escapes a staff view becomes its HTTP answer (404, 403, 409, 400),
    never a 500. Views that show forms catch errors themselves and put them on the field."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DomainError):
            return None
        if isinstance(exception, NotFound):
            raise Http404(exception.message) from exception
        if isinstance(exception, Forbidden):
            raise PermissionDenied(exception.message) from exception
        response = render(request, "error.html", {"error": exception}, status=exception.status)
        return response
