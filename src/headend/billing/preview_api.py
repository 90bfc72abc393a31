"""`GET /tmf-api/customerBillManagement/v4/billPreview` (Headend's, not TMF): what a change to a
live service would put on its next invoice, before anyone makes it (billing/preview.py).

Query: `service` (the TMF638 service id), `action` (`change`: a new monthly price, `suspend`,
`cancel`), `mrcAmount` (the new monthly price, for `change`), `revision` (true: a price revision,
from the next period unless `immediate`). The answer names the next bill date, the date the
change takes effect for billing, the service's lines on that invoice with and without the change,
and the difference (`effect`, before tax, one-time charges not included)."""

from datetime import date
from decimal import Decimal
from typing import Literal

from ninja import Field, Query, Router, Schema

from headend.api.auth import ApiRequest
from headend.api.schemas import ERRORS, Amount, MoneyOut, money
from headend.billing import preview
from headend.billing.models import InvoiceLine
from headend.core.errors import NotFound, ValidationError
from headend.core.ids import parse_id
from headend.core.permissions import require
from headend.inventory.models import Service

router = Router(tags=["Billing preview (Headend)"], by_alias=True, exclude_none=True)


class PreviewQuery(Schema):
    service: str
    action: Literal["change", "suspend", "cancel"] = "change"
    mrc_amount: Amount | None = Field(default=None, alias="mrcAmount")
    revision: bool = False
    immediate: bool = False


class PreviewLineOut(Schema):
    description: str
    amount: MoneyOut
    unit_amount: MoneyOut = Field(serialization_alias="unitAmount")
    days: int | None = None
    period_days: int | None = Field(default=None, serialization_alias="periodDays")
    start_date: date | None = Field(default=None, serialization_alias="startDate")
    end_date: date | None = Field(default=None, serialization_alias="endDate")


class PreviewOut(Schema):
    service: str
    action: str
    bill_date: date = Field(serialization_alias="billDate")
    effective_date: date = Field(serialization_alias="effectiveDate")
    effect: MoneyOut
    lines: list[PreviewLineOut]
    without_change: list[PreviewLineOut] = Field(serialization_alias="withoutChange")
    type: str = Field(default="BillPreview", serialization_alias="@type")


def _line(line: InvoiceLine, currency: str) -> PreviewLineOut:
    return PreviewLineOut(
        description=line.description,
        amount=money(line.amount, currency),
        unit_amount=money(line.unit_amount, currency),
        days=line.days if line.period_days else None,
        period_days=line.period_days or None,
        start_date=line.start_date,
        end_date=line.end_date,
    )


@router.get("/billPreview", response={200: PreviewOut, **ERRORS}, summary="Preview a change's next invoice")
def bill_preview(request: ApiRequest, query: Query[PreviewQuery]) -> PreviewOut:
    """The lines a change to a live service would put on its next invoice. Needs billing.read."""
    require(request.user, "billing.read")
    service = Service.objects.select_related("product_version__product").filter(pk=parse_id(query.service)).first()
    if service is None:
        raise NotFound(f"No service {query.service}.", field="service")
    if query.action == "change" and query.mrc_amount is None:
        raise ValidationError("A change needs the new monthly price.", field="mrcAmount", code="required")
    if query.mrc_amount is not None and query.mrc_amount < Decimal(0):
        raise ValidationError("A monthly price is not negative.", field="mrcAmount", code="negative")
    if service.status not in (Service.Status.ACTIVE, Service.Status.SUSPENDED):
        raise ValidationError(f"{service.number} is not live.", field="service", code="service_not_live")
    found = preview.preview_change(
        service=service,
        mrc_amount=query.mrc_amount if query.action == "change" else None,
        suspend=query.action == "suspend",
        cancel=query.action == "cancel",
        revision=query.revision,
        immediate=query.immediate,
    )
    if found is None:
        raise ValidationError(f"{service.number} is not billed yet.", field="service", code="not_billed")
    currency = service.currency
    return PreviewOut(
        service=str(service.pk),
        action=query.action,
        bill_date=found.bill_date,
        effective_date=found.effective,
        effect=money(found.effect, currency),
        lines=[_line(line, currency) for line in found.lines],
        without_change=[_line(line, currency) for line in found.baseline],
    )
