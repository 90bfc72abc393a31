"""TMF629 customer and TMF674 geographicSite: our accounts and their service locations.

Customer = Account (`/tmf-api/customerManagement/v4/customer`).
- `engagedParty.@referredType` says the kind: `Organization` is a business account,
  `Individual` a residential one. The engaged party is the customer itself: its id is the
  customer's id (an `engagedParty.id` sent on create is ignored).
- `name` is the business's display name (residential: the person's full name, derived).
- Attributes the spec has no place for are characteristics: `legalName` and `taxId` (EIN) for
  a business, `givenName` and `familyName` for a person.
- Email and phone are `contactMedium` entries of mediumType `email` (characteristic.emailAddress)
  and `phone` (characteristic.phoneNumber).
- `status` is ours: prospect, active (from the first order), closed.
- PATCH is a JSON merge patch (RFC 7396): left out stays, `null` clears, an array given replaces
  the array. What it gives is checked as on create; the kind, `id` and `status` do not change.

GeographicSite = Location (`/tmf-api/geographicSiteManagement/v4/geographicSite`).
- `relatedParty` with role `customer` ties the site to its account.
- `place[0]` is the address by value, in TMF673 GeographicAddress names (`@type`
  "GeographicAddress"): streetNr, streetName, streetType, city, stateOrProvince, postcode,
  country (US only), `geographicSubAddress[0]` (subUnitType + subUnitNumber) for the unit, and
  `geographicLocation` as a GeoJsonPoint (`geoJson.coordinates` = [longitude, latitude]).
  The address is normalised to USPS style, so it reads back in capitals (`12 WATER ST`).
- PATCH changes `name` and, with `place` (the whole address), the address, normalised and
  checked again as on create; a site stays with its customer.
"""

from django.http import HttpResponse
from ninja import Query, Router, Status

from headend.api.auth import ApiRequest
from headend.api.errors import body_fields
from headend.api.lists import ListParams, paginate
from headend.api.schemas import ERRORS
from headend.core.permissions import require
from headend.crm import selectors as crm_selectors
from headend.crm import services as crm_services
from headend.crm.api_schemas import (
    CustomerIn,
    CustomerOut,
    CustomerPatchIn,
    GeographicSiteIn,
    GeographicSiteOut,
    GeographicSitePatchIn,
)

customer_router = Router(tags=["TMF629 customer"], by_alias=True, exclude_none=True)
site_router = Router(tags=["TMF674 geographicSite"], by_alias=True, exclude_none=True)


# TMF629 customer


@customer_router.post("/customer", response={201: CustomerOut, **ERRORS}, summary="Create a customer")
def customer_create(request: ApiRequest, payload: CustomerIn) -> Status:
    """Open an account for a business (`engagedParty.@referredType` Organization) or a person
    (Individual). Needs a sales role."""
    require(request.auth, "account.create")
    with body_fields(payload.field_paths()):
        account = crm_services.account_create(kind=payload.kind, created_by=request.auth, **payload.account_values())
    return Status(201, CustomerOut.of(request, account))


@customer_router.get("/customer", response={200: list[CustomerOut], **ERRORS}, summary="List customers")
def customer_list(
    request: ApiRequest,
    response: HttpResponse,
    page: Query[ListParams],
    status: str | None = Query(None, description="prospect, active or closed"),
) -> list[CustomerOut]:
    accounts = crm_selectors.account_list(user=request.auth, status=status or "")
    return [CustomerOut.of(request, account) for account in paginate(response, accounts, page)]


@customer_router.get("/customer/{id}", response={200: CustomerOut, **ERRORS}, summary="Retrieve a customer")
def customer_get(request: ApiRequest, id: str, fields: str | None = None) -> CustomerOut:
    return CustomerOut.of(request, crm_selectors.account_get_for(user=request.auth, account_id=id))


@customer_router.patch(
    "/customer/{id}",
    response={200: CustomerOut, **ERRORS},
    summary="Update a customer",
    openapi_extra={
        "requestBody": {
            "content": {"application/merge-patch+json": {"schema": {"$ref": "#/components/schemas/CustomerPatchIn"}}}
        }
    },
)
def customer_patch(request: ApiRequest, id: str, payload: CustomerPatchIn) -> CustomerOut:
    """Change a customer's name, characteristics or contact media as a JSON merge patch
    (application/merge-patch+json or application/json), checked as on create; 200 with the
    customer. Needs a role that manages customers (sales, support, billing)."""
    require(request.auth, "account.edit")
    account = crm_selectors.account_get_for(user=request.auth, account_id=id)
    with body_fields(payload.field_paths()):
        account = crm_services.account_update(
            account=account, updated_by=request.auth, **payload.account_values(account)
        )
    return CustomerOut.of(request, account)


# TMF674 geographicSite


SITE_FIELD_PATHS = {
    "name": "name",
    "line1": "place[0].streetName",
    "line2": "place[0].geographicSubAddress",
    "city": "place[0].city",
    "state": "place[0].stateOrProvince",
    "postal_code": "place[0].postcode",
    "latitude": "place[0].geographicLocation.geoJson.coordinates[1]",
    "longitude": "place[0].geographicLocation.geoJson.coordinates[0]",
}


@site_router.post("/geographicSite", response={201: GeographicSiteOut, **ERRORS}, summary="Create a site")
def site_create(request: ApiRequest, payload: GeographicSiteIn) -> Status:
    """Add a service address to the customer named in `relatedParty`. Needs a sales role."""
    require(request.auth, "site.create")
    customer_id, at = payload.customer()
    with body_fields({"id": at}):
        account = crm_selectors.account_get_for(user=request.auth, account_id=customer_id)
    with body_fields(SITE_FIELD_PATHS):
        location = crm_services.location_create(account=account, **payload.location_values())
    return Status(201, GeographicSiteOut.of(request, location))


@site_router.get("/geographicSite", response={200: list[GeographicSiteOut], **ERRORS}, summary="List sites")
def site_list(
    request: ApiRequest,
    response: HttpResponse,
    page: Query[ListParams],
    related_party_id: str | None = Query(None, alias="relatedParty.id", description="The customer's id."),
) -> list[GeographicSiteOut]:
    locations = crm_selectors.location_list(user=request.auth, account_id=related_party_id)
    return [GeographicSiteOut.of(request, location) for location in paginate(response, locations, page)]


@site_router.get("/geographicSite/{id}", response={200: GeographicSiteOut, **ERRORS}, summary="Retrieve a site")
def site_get(request: ApiRequest, id: str, fields: str | None = None) -> GeographicSiteOut:
    return GeographicSiteOut.of(request, crm_selectors.location_get_for(user=request.auth, location_id=id))


@site_router.patch(
    "/geographicSite/{id}",
    response={200: GeographicSiteOut, **ERRORS},
    summary="Update a site",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/merge-patch+json": {"schema": {"$ref": "#/components/schemas/GeographicSitePatchIn"}}
            }
        }
    },
)
def site_patch(request: ApiRequest, id: str, payload: GeographicSitePatchIn) -> GeographicSiteOut:
    """Rename a site or correct its address as a JSON merge patch (application/merge-patch+json
    or application/json); a new address is normalised and checked as on create. 200 with the
    site. Needs a role that manages customers (sales, support, billing)."""
    require(request.auth, "account.edit")
    location = crm_selectors.location_get_for(user=request.auth, location_id=id)
    with body_fields(SITE_FIELD_PATHS):
        location = crm_services.location_update(
            location=location, updated_by=request.auth, **payload.location_values(location)
        )
    return GeographicSiteOut.of(request, location)
