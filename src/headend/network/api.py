"""TMF679 productOfferingQualification: which offerings can be sold at a customer's site.

`/tmf-api/productOfferingQualification/v4/productOfferingQualification` (POST, GET, GET by id).

Request (ProductOfferingQualification_Create):
- `place[0].id`: the geographicSite to qualify at (one of the customer's sites);
- `productOfferingQualificationItem[]` (optional): `productOffering.id` to qualify, each at
  `product.place[0].id` or, when the item names no place, at `place[0].id`. Without items,
  every offering on sale to the customer is qualified at `place[0].id`;
- `relatedParty` (optional): the customer (role "customer"); every site must be theirs;
- `provideAlternative`: propose up to three fitting offerings of the same kind for an
  unqualified one (`qualificationItemResult` "alternate", `alternateProductOfferingProposal`);
  `provideOnlyAvailable`: without items, list only the qualified offerings;
  `provideUnavailabilityReason` (default true): give `eligibilityUnavailabilityReason`.

Answer: computed at once (`instantSyncQualification` true), 201 with the stored result.
- item `qualificationItemResult`: qualified, unqualified or alternate; `eligibilityUnavailabilityReason`
  `{code, label}`, codes: technology_unavailable, download_exceeds_coverage,
  upload_exceeds_coverage, customer_type, not_on_sale, coverage_unknown;
- item `state`: done, or terminatedWithError (with `terminationError`) where coverage at the
  site is unknown: nothing is qualified there rather than everything;
- `state`: done, or terminatedWithError when coverage at a site asked about is unknown;
- `qualificationResult`: qualified (every item), partiallyQualified, unqualified (none, or no items).
"""

import datetime as dt

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Status

from headend.api import links
from headend.api.auth import ApiRequest
from headend.api.errors import body_fields
from headend.api.lists import ListParams, paginate
from headend.api.schemas import (
    ERRORS,
    In,
    OfferingRefIn,
    Out,
    PlaceRefIn,
    RefOut,
    RelatedPartyIn,
    Text20,
    Text40,
    Text200,
    customer_id_in,
    customer_ref,
    offering_ref,
    site_ref,
)
from headend.catalog import selectors as catalog_selectors
from headend.core.errors import ValidationError
from headend.core.permissions import require
from headend.crm import selectors as crm_selectors
from headend.crm.models import Account, Location
from headend.network import selectors as network_selectors
from headend.network import services as network_services
from headend.network.models import Qualification, QualificationItem

QUALIFICATION = links.Resource("productOfferingQualification/v4/", "productOfferingQualification")

router = Router(tags=["TMF679 productOfferingQualification"], by_alias=True, exclude_none=True)

STATE: dict[str, str] = {Qualification.Status.DONE: "done", Qualification.Status.TERMINATED: "terminatedWithError"}
MAX_ITEMS = 200


class ReasonOut(Out):
    code: str
    label: str
    type: str = Field(default="EligibilityUnavailabilityReason", serialization_alias="@type")


class AlternateOut(Out):
    id: str
    alternate_product_offering: RefOut = Field(serialization_alias="alternateProductOffering")
    type: str = Field(default="AlternateProductOfferingProposal", serialization_alias="@type")


class TerminationErrorOut(Out):
    id: str
    value: str
    type: str = Field(default="TerminationError", serialization_alias="@type")


class NoteOut(Out):
    id: str
    text: str
    date: dt.datetime
    type: str = Field(default="Note", serialization_alias="@type")


class ItemProductOut(Out):
    type: str = Field(default="Product", serialization_alias="@type")
    place: list[RefOut]


class QualificationItemOut(Out):
    id: str
    type: str = Field(default="ProductOfferingQualificationItem", serialization_alias="@type")
    action: str = "add"
    state: str
    qualification_item_result: str = Field(serialization_alias="qualificationItemResult")
    product_offering: RefOut = Field(serialization_alias="productOffering")
    product: ItemProductOut
    eligibility_unavailability_reason: list[ReasonOut] | None = Field(
        default=None, serialization_alias="eligibilityUnavailabilityReason"
    )
    alternate_product_offering_proposal: list[AlternateOut] | None = Field(
        default=None, serialization_alias="alternateProductOfferingProposal"
    )
    termination_error: list[TerminationErrorOut] | None = Field(default=None, serialization_alias="terminationError")

    @classmethod
    def of(cls, request: HttpRequest, item: QualificationItem, *, reasons: bool) -> "QualificationItemOut":
        alternates = sorted(
            item.alternates.all(), key=lambda version: (-(version.download_mbps or 0), -(version.upload_mbps or 0))
        )
        return cls(
            id=str(item.position),
            state="done" if item.coverage_known else "terminatedWithError",
            qualification_item_result=item.result,
            product_offering=offering_ref(request, item.product_version),
            product=ItemProductOut(place=[site_ref(request, item.location)]),
            eligibility_unavailability_reason=(
                [ReasonOut(code=item.reason_code, label=item.reason)] if item.reason_code and reasons else None
            ),
            alternate_product_offering_proposal=[
                AlternateOut(id=str(index), alternate_product_offering=offering_ref(request, version))
                for index, version in enumerate(alternates, start=1)
            ]
            or None,
            termination_error=None if item.coverage_known else [TerminationErrorOut(id="1", value=item.reason)],
        )


class QualificationOut(Out):
    id: str
    href: str
    type: str = Field(default="ProductOfferingQualification", serialization_alias="@type")
    description: str | None = None
    state: str
    qualification_result: str = Field(serialization_alias="qualificationResult")
    product_offering_qualification_date: dt.datetime = Field(serialization_alias="productOfferingQualificationDate")
    effective_qualification_date: dt.datetime = Field(serialization_alias="effectiveQualificationDate")
    instant_sync_qualification: bool = Field(default=True, serialization_alias="instantSyncQualification")
    provide_alternative: bool = Field(serialization_alias="provideAlternative")
    provide_only_available: bool = Field(serialization_alias="provideOnlyAvailable")
    provide_unavailability_reason: bool = Field(serialization_alias="provideUnavailabilityReason")
    place: list[RefOut] | None = None
    related_party: list[RefOut] = Field(serialization_alias="relatedParty")
    product_offering_qualification_item: list[QualificationItemOut] = Field(
        serialization_alias="productOfferingQualificationItem"
    )
    note: list[NoteOut] | None = None

    @classmethod
    def of(cls, request: HttpRequest, qualification: Qualification) -> "QualificationOut":
        items = list(qualification.items.all())
        qualified = sum(item.result == QualificationItem.Result.QUALIFIED for item in items)
        result = (
            "qualified" if items and qualified == len(items) else "partiallyQualified" if qualified else "unqualified"
        )
        reasons = qualification.provide_unavailability_reason
        return cls(
            id=str(qualification.pk),
            href=QUALIFICATION.href(request, qualification.pk),
            description=qualification.description or None,
            state=STATE[qualification.status],
            qualification_result=result,
            product_offering_qualification_date=qualification.created_at,
            effective_qualification_date=qualification.created_at,
            provide_alternative=qualification.provide_alternative,
            provide_only_available=qualification.provide_only_available,
            provide_unavailability_reason=reasons,
            place=[site_ref(request, qualification.location)] if qualification.location else None,
            related_party=[customer_ref(request, qualification.account)],
            product_offering_qualification_item=[
                QualificationItemOut.of(request, item, reasons=reasons) for item in items
            ],
            note=(
                [NoteOut(id="1", text=qualification.note, date=qualification.created_at)]
                if qualification.note
                else None
            ),
        )


class ItemProductIn(In):
    place: list[PlaceRefIn] = Field(default_factory=list)


class QualificationItemIn(In):
    id: Text40 | None = None
    action: Text20 = "add"
    product_offering: OfferingRefIn | None = Field(default=None, alias="productOffering")
    product: ItemProductIn | None = None


class QualificationIn(In):
    """ProductOfferingQualification_Create: the site in `place`, optional items, the flags."""

    description: Text200 | None = None
    place: list[PlaceRefIn] = Field(default_factory=list)
    related_party: list[RelatedPartyIn] = Field(default_factory=list, alias="relatedParty")
    product_offering_qualification_item: list[QualificationItemIn] = Field(
        default_factory=list, alias="productOfferingQualificationItem", max_length=MAX_ITEMS
    )
    provide_alternative: bool = Field(default=False, alias="provideAlternative")
    provide_only_available: bool = Field(default=False, alias="provideOnlyAvailable")
    provide_unavailability_reason: bool = Field(default=True, alias="provideUnavailabilityReason")


def _site(request: ApiRequest, places: list[PlaceRefIn], at: str) -> Location | None:
    """The one site `places` names (None when empty); 400 on `at` for more or an unknown id."""
    if not places:
        return None
    if len(places) > 1:
        raise ValidationError("Give one place: the id of one of the customer's sites.", field=at, code="one_place")
    with body_fields({"id": f"{at}[0].id"}):
        return crm_selectors.location_get_for(user=request.auth, location_id=places[0].id)


@router.post(
    "/productOfferingQualification",
    response={201: QualificationOut, **ERRORS},
    summary="Qualify product offerings at a site",
)
def qualification_create(request: ApiRequest, payload: QualificationIn) -> Status:
    """Which offerings can be sold at a customer's site, with the reason for each that cannot.
    Needs a sales role; nothing is stored when the request names an unknown or foreign site
    or offering (400 naming the attribute)."""
    require(request.auth, "qualification.create")
    account: Account | None = None
    if payload.related_party:
        customer_id, customer_at = customer_id_in(payload.related_party)
        with body_fields({"id": customer_at}):
            account = crm_selectors.account_get_for(user=request.auth, account_id=customer_id)
    location = _site(request, payload.place, "place")
    asks = []
    paths = {"location": "place[0].id"}
    for index, item in enumerate(payload.product_offering_qualification_item):
        at = f"productOfferingQualificationItem[{index}]"
        if item.action != "add":
            raise ValidationError(
                f"Only 'add' can be qualified here, not {item.action!r}.",
                field=f"{at}.action",
                code="unsupported_action",
            )
        if item.product_offering is None:
            raise ValidationError(
                "Name the productOffering to qualify.", field=f"{at}.productOffering", code="offering_required"
            )
        with body_fields({"id": f"{at}.productOffering.id"}):
            version = catalog_selectors.version_get_for(user=request.auth, version_id=item.product_offering.id)
        site = _site(request, item.product.place if item.product else [], f"{at}.product.place") or location
        if site is None:
            raise ValidationError(
                "Name the site: place[0].id, or this item's product.place[0].id.",
                field=f"{at}.product.place",
                code="place_required",
            )
        own_place = bool(item.product and item.product.place)
        paths[f"asks[{index}].location"] = f"{at}.product.place[0].id" if own_place else "place[0].id"
        asks.append(network_services.QualificationAsk(location=site, product_version=version))
    if location is None and not asks:
        raise ValidationError("Name the site to qualify: place[0].id.", field="place", code="place_required")
    with body_fields(paths):
        qualification = network_services.qualification_create(
            created_by=request.auth,
            location=location,
            asks=asks,
            account=account,
            description=payload.description or "",
            provide_alternative=payload.provide_alternative,
            provide_only_available=payload.provide_only_available,
            provide_unavailability_reason=payload.provide_unavailability_reason,
        )
    stored = network_selectors.qualification_get_for(user=request.auth, qualification_id=qualification.pk)
    return Status(201, QualificationOut.of(request, stored))


@router.get(
    "/productOfferingQualification",
    response={200: list[QualificationOut], **ERRORS},
    summary="List qualifications",
)
def qualification_list(request: ApiRequest, response: HttpResponse, page: Query[ListParams]) -> list[QualificationOut]:
    qualifications = network_selectors.qualification_list(user=request.auth)
    return [QualificationOut.of(request, qualification) for qualification in paginate(response, qualifications, page)]


@router.get(
    "/productOfferingQualification/{id}",
    response={200: QualificationOut, **ERRORS},
    summary="Retrieve a qualification",
)
def qualification_get(request: ApiRequest, id: str, fields: str | None = None) -> QualificationOut:
    return QualificationOut.of(request, network_selectors.qualification_get_for(user=request.auth, qualification_id=id))
