"""Template tags of the support pages and of the navigation: SLA badges, the breached-case
count beside "Support", and links to pages that may not exist yet."""

from typing import Any

from django import template
from django.urls import NoReverseMatch
from django.utils.html import format_html

from headend.core.permissions import may
from headend.support import selectors

register = template.Library()

SLA_LABELS = {"breached": "Breached", "warning": "Warning", "paused": "Paused", "met": "Met", "running": "On track"}


@register.simple_tag
def sla_badge(clock: Any, short: bool = False) -> str:
    """A clock (selectors.ClockView, or a case's CaseClocks: the clock that counts) as a badge
    with its time left: "Breached · late by 2 h", "Warning · 40 min left"; `short`: the state only."""
    if isinstance(clock, selectors.CaseClocks):
        clock = clock.active
    if clock is None:
        return format_html('<span class="badge">{}</span>', "No SLA")
    label = SLA_LABELS.get(clock.state, clock.state)
    if short or (clock.state in ("met", "breached") and clock.minutes_left >= 0):
        return format_html('<span class="badge sla sla-{}">{}</span>', clock.state, label)
    return format_html('<span class="badge sla sla-{}">{} · {}</span>', clock.state, label, clock.text)


@register.simple_tag(takes_context=True)
def breached_case_count(context: template.Context) -> int:
    """Open cases past their SLA, for those who work cases (0 for everyone else); read once a request."""
    request = context.get("request")
    user = context.get("user")
    if request is None or not may(user, "case.work"):
        return 0
    cached = getattr(request, "_breached_case_count", None)
    if cached is None:
        cached = selectors.breached_count(user=user)
        request._breached_case_count = cached
    return cached


@register.filter
def page_url(obj: Any) -> str:
    """The object's page, or "" while the app that shows it has no such page."""
    try:
        return obj.get_absolute_url()
    except (NoReverseMatch, AttributeError):
        return ""
