"""What the error pages (templates/includes/error_page.html) say about a status and where "Go
back" leads."""

from http import HTTPStatus

from django import template
from django.core.exceptions import DisallowedHost
from django.utils.http import url_has_allowed_host_and_scheme

register = template.Library()


@register.filter
def status_words(status: int | str) -> str:
    """404 -> "Not found": the status as the HTTP standard names it, in sentence case."""
    try:
        phrase = HTTPStatus(int(status)).phrase
    except ValueError:
        return "Error"
    return phrase[:1] + phrase[1:].lower()


@register.simple_tag(takes_context=True)
def back_url(context: template.Context) -> str:
    """The page the browser came from (its Referer), when it is one of ours and not this one;
    "" otherwise. Our pages send a Referer only to ourselves (SECURE_REFERRER_POLICY)."""
    request = context.get("request")
    if request is None:
        return ""
    referer = request.headers.get("referer", "")
    try:
        here = request.build_absolute_uri()  # a refused Host header is the 400 being shown
    except DisallowedHost:
        return ""
    same_site = url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return referer if referer and same_site and referer != here else ""
