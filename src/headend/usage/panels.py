"""What usage shows on the service page (core/panels.py): the cycle's data usage as a chart of
daily bars against the cap line, its totals and percent of the cap, what the cap did, and the
days as a table (the chart's text equivalent)."""

import datetime as dt
from typing import Any

from django.http import HttpRequest

from headend.core import panels
from headend.core.permissions import is_staff_member
from headend.inventory.models import Service
from headend.usage import chart, selectors
from headend.usage.models import CapCycle


@panels.register("service.sections", template="usage/panels/service_usage.html", order=35)
def service_usage(request: HttpRequest, service: Service) -> dict[str, Any] | None:
    if not is_staff_member(request.user):
        return None
    return cycle_summary(service)


def cycle_summary(service: Service) -> dict[str, Any] | None:
    """The cycle's usage of `service` as the template shows it (staff's service page, and the
    customer's in the portal); None when there is nothing to show."""
    usage = selectors.service_cycle_usage(service=service)
    if usage.cap_octets is None and not usage.total_octets:
        return None  # unlimited and nothing counted: nothing to show
    running, rows = 0, []
    for day in usage.days:
        if day.day > usage.today:
            break
        running += day.total_octets
        rows.append(
            {
                "day": day.day,
                "download": chart.gb(day.output_octets),
                "upload": chart.gb(day.input_octets),
                "total": chart.gb(day.total_octets),
                "running": chart.gb(running),
            }
        )
    cap_cycle = usage.cap_cycle
    return {
        "usage": usage,
        "chart": chart.usage_chart([(day.day, day.total_octets) for day in usage.days], usage.cap_octets, usage.today),
        "rows": rows,
        "total": chart.gb(usage.total_octets),
        "download": chart.gb(usage.output_octets),
        "upload": chart.gb(usage.input_octets),
        "cap": chart.gb(usage.cap_octets) if usage.cap_octets else "",
        "percent": usage.percent,
        "action": service.product_version.get_data_cap_action_display(),
        "throttled": cap_cycle is not None and cap_cycle.throttle == CapCycle.Throttle.APPLIED,
        "overage_blocks": cap_cycle.overage_blocks if cap_cycle is not None else 0,
        "last_day": usage.cycle.end - dt.timedelta(days=1),
    }
