"""Error answers a person reads: every error status gets a page in base.html's frame that says
what happened in words and leads home (templates/4xx.html, 500.html, http_error.html). The TMF
API answers in its own Error JSON instead (api/errors.py)."""

from collections.abc import Callable
from http import HTTPStatus

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import requires_csrf_token

from headend.api.errors import error_body

API_PREFIX = "/tmf-api/"


@requires_csrf_token
def page_not_found_view(request: HttpRequest, exception: Exception) -> HttpResponse:
    """settings.handler404: our NotFound's words when a view gave some ("No such quote."), not
    Django's class names ("Resolver404") for an address that matches no page."""
    message = exception.args[0] if isinstance(exception, Http404) and exception.args else ""
    return render(request, "404.html", {"message": message if isinstance(message, str) else ""}, status=404)


def wants_page(request: HttpRequest) -> bool:
    """A browser opening an address (it asks for HTML), not a program or an htmx swap."""
    return "text/html" in request.headers.get("accept", "") and not request.headers.get("hx-request")


class ErrorPageMiddleware:
    """An error answer with no body becomes a page. Django's require_POST answers a form-only
    address opened directly (a bookmark, a reload after a redirect) with an empty 405, which a
    browser shows as a blank page; it gets the styled 405 page, its Allow header kept. Any other
    empty error status gets the page that names it. Answers that have a body, those for programs
    and htmx, and the TMF API's (a 405 there becomes the API's Error JSON) are left as they are."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        status = response.status_code
        if status < 400 or response.streaming:
            return response
        if request.path.startswith(API_PREFIX):
            return self.api_answer(response) if status == 405 else response
        if getattr(response, "content", b"") or not wants_page(request):
            return response
        context = {"status": status, "allow": response.get("Allow", "")}
        page = render(request, "405.html" if status == 405 else "http_error.html", context, status=status)
        if "Allow" in response:
            page["Allow"] = response["Allow"]
        return page

    @staticmethod
    def api_answer(response: HttpResponseBase) -> HttpResponseBase:
        """ninja's 405 is a line of text: the API answers every error as a TMF Error body."""
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        allowed = response.get("Allow", "")
        reason = f"{HTTPStatus(405).phrase}: this resource accepts {allowed}." if allowed else "Method not allowed."
        answer = JsonResponse(error_body(status=405, code="method_not_allowed", reason=reason), status=405)
        if allowed:
            answer["Allow"] = allowed
        return answer


def csrf_failure_view(request: HttpRequest, reason: str = "") -> HttpResponse:
    """settings.CSRF_FAILURE_VIEW: a form sent after its page went stale (a login since, a
    session that ended) is refused; the page says what to do instead of Django's developer text."""
    context = {
        "exception": "This form's page is out of date, so what it sent was not saved.",
        "detail": "Reload the page (or log in again) and send the form once more.",
    }
    return render(request, "403.html", context, status=403)
