"""Template filters used everywhere: money, phone numbers, status badges."""

import json
from decimal import Decimal

from django import template
from django.utils.html import format_html

from headend.core.money import format_amount
from headend.core.phones import display_phone

register = template.Library()


@register.filter
def money(amount: Decimal | None, currency: str | None = None) -> str:
    return format_amount(amount, currency)


@register.filter
def phone(e164: str) -> str:
    return display_phone(e164)


@register.simple_tag
def status_badge(obj: object) -> str:
    status = getattr(obj, "status", "") or getattr(obj, "stage", "")
    label = getattr(obj, "get_status_display", None) or getattr(obj, "get_stage_display", None)
    text = label() if callable(label) else status
    return format_html('<span class="badge badge-{}">{}</span>', status, text)


@register.filter
def get_item(mapping: dict, key: object) -> object:
    """`mapping|get_item:key` for dictionaries built by views (slots per task)."""
    return mapping.get(key) if mapping else None


@register.filter
def as_json(value: object) -> str:
    """A value as compact JSON for reading (escaped by the template like any text)."""
    return json.dumps(value, sort_keys=True, default=str)
