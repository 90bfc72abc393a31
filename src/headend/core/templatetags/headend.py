"""Template filters used everywhere: money, phone numbers, status badges."""

import json
from decimal import Decimal

from django import template
from django.utils.html import format_html

from headend.core.durations import provider_minutes_per_day, say_working_minutes
from headend.core.money import format_amount
from headend.core.numbers import revision_letter
from headend.core.permissions import may as _may
from headend.core.phones import display_phone

register = template.Library()


@register.simple_tag(takes_context=True)
def may(context: template.Context, use_case: str, named: str = "") -> bool:
    """`{% may "task.work" named=task.role as can_work %}`: core/permissions' answer for the
    user, for rules decided on the record (`can.quote.edit` does for the others)."""
    return _may(context.get("user"), use_case, named=named or "")


@register.filter
def working_duration(minutes: int | str | None) -> str:
    """`{{ task.planned_minutes|working_duration }}`: minutes of working time in the provider's
    working days, hours and minutes ("2 d 3 h", "45 min"); holidays play no part in a length."""
    if minutes is None or minutes == "":
        return ""
    return say_working_minutes(int(minutes), provider_minutes_per_day())


@register.filter
def money(amount: Decimal | None, currency: str | None = None) -> str:
    return format_amount(amount, currency)


@register.filter
def revision(number: int) -> str:
    """A quote's revision as customers read it: "A", "B", ... (core.numbers.revision_letter)."""
    return revision_letter(number)


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


@register.filter
def event_label(name: str) -> str:
    """An outbox event's name as people read it: `quote.approval_approved` → "Approval approved"."""
    what = name.split(".", 1)[-1].replace("_", " ").strip()
    return what[:1].upper() + what[1:]


@register.filter
def person(user: object) -> str:
    """A user's full name, else their username; "the system" for nobody."""
    if user is None:
        return "the system"
    full_name = getattr(user, "get_full_name", lambda: "")()
    return full_name or str(getattr(user, "username", user))
