"""Working time as staff say it: "2 d 3 h", "45 min", counted in the provider's working days."""

import datetime as dt

from django.conf import settings


def say_working_minutes(minutes: int, minutes_per_day: int) -> str:
    """Minutes of working time in working days, hours and minutes: "2 d 3 h", "-45 min"."""
    sign, remaining = ("-" if minutes < 0 else ""), abs(minutes)
    days, remaining = divmod(remaining, minutes_per_day)
    hours, mins = divmod(remaining, 60)
    parts = [f"{value} {unit}" for value, unit in ((days, "d"), (hours, "h"), (mins, "min")) if value]
    return sign + (" ".join(parts) if parts else "0 min")


def provider_minutes_per_day() -> int:
    """The length of the provider's working day (HEADEND_WORKDAY_START to _END) in minutes."""
    start = dt.time.fromisoformat(settings.HEADEND_WORKDAY_START)
    end = dt.time.fromisoformat(settings.HEADEND_WORKDAY_END)
    return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
