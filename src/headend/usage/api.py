"""TMF635 usage: a service's data usage per day (`/tmf-api/usageManagement/v4/usage`; GET only:
usage comes from RADIUS accounting, ingest.py).

- One Usage per service and day (the provider's day, HEADEND_TIME_ZONE): `id` is that day's
  record, `usageDate` the instant the day begins, `usageType` "data", `status` "received"
  (the day's figures grow while its sessions last).
- `usageCharacteristic`: serviceId (the TMF638 service's id), inputOctets (upload, from the
  subscriber), outputOctets (download) and totalOctets, integers of bytes.
- `relatedParty` is the customer (TMF629, role customer); `usageSpecification` is "data".
- Filters: `relatedParty.id` (a customer), `service.id` (a TMF638 service), `usageDate.gte` and
  `usageDate.lt` (a date, or a date-time read as its date where the provider is: days from and
  before), newest day first. A filter that is not a date, or a `.lt` not after the `.gte`, is a
  400 naming it.

Reads: every staff member, as the service inventory."""

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router

from headend.api import links
from headend.api.auth import ApiRequest
from headend.api.lists import ListParams, paginate
from headend.api.schemas import ERRORS, Out, RefOut, customer_ref, start_of_day
from headend.core import clock
from headend.core.errors import ValidationError
from headend.usage import selectors
from headend.usage.models import DailyUsage

router = Router(tags=["TMF635 usage"], by_alias=True, exclude_none=True)

USAGE_SPECIFICATION = "data"


class UsageCharacteristicOut(Out):
    name: str
    value_type: str = Field(serialization_alias="valueType")
    value: Any


class UsageOut(Out):
    id: str
    href: str
    type: str = Field(default="Usage", serialization_alias="@type")
    description: str
    usage_date: dt.datetime = Field(serialization_alias="usageDate")
    usage_type: str = Field(default="data", serialization_alias="usageType")
    status: str = "received"
    usage_specification: RefOut = Field(serialization_alias="usageSpecification")
    related_party: list[RefOut] = Field(serialization_alias="relatedParty")
    usage_characteristic: list[UsageCharacteristicOut] = Field(serialization_alias="usageCharacteristic")

    @classmethod
    def of(cls, request: HttpRequest, usage: DailyUsage) -> "UsageOut":
        service = usage.service
        values = [
            ("serviceId", str(service.pk), "string"),
            ("inputOctets", usage.input_octets, "integer"),
            ("outputOctets", usage.output_octets, "integer"),
            ("totalOctets", usage.total_octets, "integer"),
        ]
        return cls(
            id=str(usage.pk),
            href=links.USAGE.href(request, usage.pk),
            description=f"Data usage of {service.number} ({service.product_version.product.name}) on {usage.day}",
            usage_date=start_of_day(usage.day),
            usage_specification=RefOut(
                id=USAGE_SPECIFICATION, name="Data usage from RADIUS accounting", referred_type="UsageSpecification"
            ),
            related_party=[customer_ref(request, service.account)],
            usage_characteristic=[
                UsageCharacteristicOut(name=name, value=value, value_type=kind) for name, value, kind in values
            ],
        )


def _day(value: str | None, *, field: str) -> dt.date | None:
    """A date (2026-03-02), or a date-time read as its date where the provider is."""
    if value is None:
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        instant = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(
            "Give a date (2026-03-02) or a date-time (2026-03-02T00:00:00Z).", field=field, code="invalid_date"
        ) from None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=clock.provider_zone())
    return clock.local_date(instant)


@router.get("/usage", response={200: list[UsageOut], **ERRORS}, summary="List data usage per service and day")
def usage_list(
    request: ApiRequest,
    response: HttpResponse,
    page: Query[ListParams],
    party_id: str | None = Query(None, alias="relatedParty.id", max_length=40, description="A TMF629 customer's id."),
    service_id: str | None = Query(None, alias="service.id", max_length=40, description="A TMF638 service's id."),
    date_from: str | None = Query(None, alias="usageDate.gte", max_length=40, description="Days from this date."),
    date_until: str | None = Query(None, alias="usageDate.lt", max_length=40, description="Days before this date."),
) -> list[UsageOut]:
    day_from = _day(date_from, field="usageDate.gte")
    day_until = _day(date_until, field="usageDate.lt")
    if day_from is not None and day_until is not None and day_until <= day_from:
        raise ValidationError("usageDate.lt must be after usageDate.gte.", field="usageDate.lt", code="invalid_range")
    found = selectors.daily_usage_list(
        user=request.auth, account_id=party_id, service_id=service_id, day_from=day_from, day_until=day_until
    )
    return [UsageOut.of(request, usage) for usage in paginate(response, found, page)]


@router.get("/usage/{id}", response={200: UsageOut, **ERRORS}, summary="Retrieve one service's usage of one day")
def usage_get(request: ApiRequest, id: str, fields: str | None = None) -> UsageOut:
    return UsageOut.of(request, selectors.daily_usage_get_for(user=request.auth, usage_id=id))
