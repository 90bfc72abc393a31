"""The TMF629 customer's and TMF674 geographicSite's bodies: what the routes answer
(`CustomerOut`, `GeographicSiteOut`) and read (`CustomerIn`, `CustomerPatchIn`,
`GeographicSiteIn`, `GeographicSitePatchIn`), and our accounts and locations in TMF's words.
api.py's docstring is the mapping in short; docs/api.md the reference."""

from decimal import Decimal
from typing import Literal, TypedDict

from django.http import HttpRequest
from ninja import Field

from headend.api import links
from headend.api.schemas import (
    CharacteristicOut,
    Id,
    In,
    Out,
    RefOut,
    RelatedPartyIn,
    Text20,
    Text40,
    Text100,
    Text200,
    TimePeriodOut,
    characteristics,
    customer_id_in,
    customer_ref,
)
from headend.core.errors import ValidationError
from headend.crm.addresses import street_parts
from headend.crm.models import Account, Location

PARTY_KINDS: dict[str, str] = {"Organization": Account.Kind.BUSINESS, "Individual": Account.Kind.RESIDENTIAL}
CHARACTERISTICS: dict[str, dict[str, str]] = {  # characteristic name -> account field, by kind
    Account.Kind.BUSINESS: {"legalName": "legal_name", "taxId": "tax_id"},
    Account.Kind.RESIDENTIAL: {"givenName": "first_name", "familyName": "last_name"},
}
MEDIA = {  # mediumType -> (account field, characteristic attribute, its Python name)
    "email": ("email", "emailAddress", "email_address"),
    "phone": ("phone", "phoneNumber", "phone_number"),
}


# TMF629 customer


class MediumCharacteristicOut(Out):
    contact_type: str | None = Field(default=None, serialization_alias="contactType")
    email_address: str | None = Field(default=None, serialization_alias="emailAddress")
    phone_number: str | None = Field(default=None, serialization_alias="phoneNumber")


class ContactMediumOut(Out):
    medium_type: str = Field(serialization_alias="mediumType")
    characteristic: MediumCharacteristicOut


class CustomerOut(Out):
    id: str
    href: str
    type: str = Field(default="Customer", serialization_alias="@type")
    name: str
    status: str
    engaged_party: RefOut = Field(serialization_alias="engagedParty")
    contact_medium: list[ContactMediumOut] = Field(serialization_alias="contactMedium")
    characteristic: list[CharacteristicOut]
    valid_for: TimePeriodOut = Field(serialization_alias="validFor")

    @classmethod
    def of(cls, request: HttpRequest, account: Account) -> "CustomerOut":
        business = account.kind == Account.Kind.BUSINESS
        media = [
            ContactMediumOut(
                medium_type=medium, characteristic=MediumCharacteristicOut(contact_type=medium, **{attribute: value})
            )
            for medium, (field, _, attribute) in MEDIA.items()
            if (value := getattr(account, field))
        ]
        names = CHARACTERISTICS[account.kind]
        return cls(
            id=str(account.pk),
            href=links.CUSTOMER.href(request, account.pk),
            name=account.name,
            status=account.status,
            engaged_party=RefOut(
                id=str(account.pk),
                name=account.legal_name if business else f"{account.first_name} {account.last_name}",
                referred_type="Organization" if business else "Individual",
            ),
            contact_medium=media,
            characteristic=characteristics((name, getattr(account, field), "string") for name, field in names.items()),
            valid_for=TimePeriodOut(start_date_time=account.created_at),
        )


class EngagedPartyIn(In):
    id: Id | None = None
    name: Text200 | None = None
    referred_type: Literal["Organization", "Individual"] = Field(alias="@referredType")


class CharacteristicIn(In):
    name: Text40
    value: Text200
    value_type: Text40 | None = Field(default=None, alias="valueType")


class MediumCharacteristicIn(In):
    email_address: Text200 | None = Field(default=None, alias="emailAddress")
    phone_number: Text40 | None = Field(default=None, alias="phoneNumber")


class ContactMediumIn(In):
    medium_type: Text20 = Field(alias="mediumType")
    characteristic: MediumCharacteristicIn


class CustomerIn(In):
    """Customer_Create: `name`, `engagedParty.@referredType`, characteristics, contact media."""

    name: Text200
    engaged_party: EngagedPartyIn = Field(alias="engagedParty")
    characteristic: list[CharacteristicIn] = Field(default_factory=list)
    contact_medium: list[ContactMediumIn] = Field(default_factory=list, alias="contactMedium")

    @property
    def kind(self) -> str:
        return PARTY_KINDS[self.engaged_party.referred_type]

    def account_values(self) -> dict[str, str]:
        """Keyword arguments for `account_create`; ValidationError names the attribute at fault."""
        return {
            "name": self.name,
            **characteristic_values(self.kind, self.characteristic),
            **medium_values(self.contact_medium),
        }

    def field_paths(self) -> dict[str, str]:
        """Where the account's fields are in this body, for the errors `account_create` raises."""
        return customer_field_paths(self.contact_medium)


def characteristic_values(kind: str, given: list[CharacteristicIn]) -> dict[str, str]:
    """The account fields a customer's characteristics give, by the customer's kind."""
    values: dict[str, str] = {}
    known = CHARACTERISTICS[kind]
    for index, characteristic in enumerate(given):
        if characteristic.name not in known:
            raise ValidationError(
                f"Unknown characteristic {characteristic.name!r} for this kind of customer; known: {', '.join(known)}.",
                field=f"characteristic[{index}].name",
                code="unknown_characteristic",
            )
        if known[characteristic.name] in values:
            raise ValidationError(
                f"{characteristic.name} is given twice.", field=f"characteristic[{index}]", code="duplicate"
            )
        values[known[characteristic.name]] = characteristic.value
    return values


def medium_values(given: list[ContactMediumIn]) -> dict[str, str]:
    """The account's email and phone from contact media (one of each at most)."""
    values: dict[str, str] = {}
    for index, medium in enumerate(given):
        if medium.medium_type not in MEDIA:
            raise ValidationError(
                f"Unknown mediumType {medium.medium_type!r}; a customer has an 'email' and a 'phone'.",
                field=f"contactMedium[{index}].mediumType",
                code="unknown_medium",
            )
        field, attribute, python_name = MEDIA[medium.medium_type]
        if field in values:
            raise ValidationError(f"Give one {medium.medium_type}.", field=f"contactMedium[{index}]", code="duplicate")
        values[field] = getattr(medium.characteristic, python_name) or ""
        if not values[field]:
            raise ValidationError(
                f"Give the {attribute}.",
                field=f"contactMedium[{index}].characteristic.{attribute}",
                code="required",
            )
    return values


def customer_field_paths(contact_medium: list[ContactMediumIn]) -> dict[str, str]:
    """Where an account's fields are in a customer body, for the errors the use cases raise."""
    paths = {"kind": "engagedParty.@referredType", "name": "name"}
    for names in CHARACTERISTICS.values():
        paths.update({field: f"characteristic.{name}" for name, field in names.items()})
    paths["parent"] = "characteristic.taxId"  # residential customers have neither
    for index, medium in enumerate(contact_medium):
        if medium.medium_type in MEDIA:
            field, attribute, _ = MEDIA[medium.medium_type]
            paths[field] = f"contactMedium[{index}].characteristic.{attribute}"
    return paths


class EngagedPartyPatchIn(In):
    id: Id | None = None
    name: Text200 | None = None
    referred_type: Literal["Organization", "Individual"] | None = Field(default=None, alias="@referredType")


class CustomerPatchIn(In):
    """Customer_Update as a JSON merge patch (RFC 7396): what is left out stays, `null` clears,
    an array given replaces the whole array. Attributes are checked as on create."""

    id: Id | None = None
    type: Text40 | None = Field(default=None, alias="@type")
    name: Text200 | None = None
    status: Text20 | None = None
    engaged_party: EngagedPartyPatchIn | None = Field(default=None, alias="engagedParty")
    characteristic: list[CharacteristicIn] | None = None
    contact_medium: list[ContactMediumIn] | None = Field(default=None, alias="contactMedium")

    def check_unchanged(self, account: Account) -> None:
        """What a patch cannot change: the id, the resource type, the kind of customer, its status."""
        given = self.model_fields_set
        if "id" in given and self.id != str(account.pk):
            raise ValidationError("The id of a customer cannot change.", field="id", code="immutable")
        if "type" in given and self.type != "Customer":
            raise ValidationError("This resource is a Customer.", field="@type", code="immutable")
        party = self.engaged_party
        if party is not None and "referred_type" in party.model_fields_set:
            kind = PARTY_KINDS.get(party.referred_type or "")
            if kind != account.kind:
                raise ValidationError(
                    "A customer stays an Organization or an Individual; open a new customer instead.",
                    field="engagedParty.@referredType",
                    code="immutable",
                )
        if "status" in given and self.status != account.status:
            raise ValidationError(
                "The status follows the customer's orders (prospect, then active); it cannot be set.",
                field="status",
                code="read_only",
            )

    def account_values(self, account: Account) -> dict[str, str]:
        """Keyword arguments for `account_update`: only what the patch gives, the rest stays."""
        self.check_unchanged(account)
        given = self.model_fields_set
        values: dict[str, str] = {}
        if "name" in given and account.kind == Account.Kind.BUSINESS:  # a person's name is derived
            values["name"] = self.name or ""  # cleared: the legal name
        if "characteristic" in given:
            values |= dict.fromkeys(CHARACTERISTICS[account.kind].values(), "")
            values |= characteristic_values(account.kind, self.characteristic or [])
        if "contact_medium" in given:
            values |= dict.fromkeys((field for field, _, _ in MEDIA.values()), "")
            values |= medium_values(self.contact_medium or [])
        return values

    def field_paths(self) -> dict[str, str]:
        return customer_field_paths(self.contact_medium or [])


# TMF674 geographicSite


class GeoJsonPointOut(Out):
    type: str = "Point"
    coordinates: list[Decimal]


class GeographicLocationOut(Out):
    type: str = Field(default="GeoJsonPoint", serialization_alias="@type")
    geo_json: GeoJsonPointOut = Field(serialization_alias="geoJson")


class SubAddressOut(Out):
    type: str = Field(default="GeographicSubAddress", serialization_alias="@type")
    sub_unit_type: str | None = Field(default=None, serialization_alias="subUnitType")
    sub_unit_number: str | None = Field(default=None, serialization_alias="subUnitNumber")


class GeographicAddressOut(Out):
    """A place by value: a TMF673 GeographicAddress."""

    id: str
    type: str = Field(default="GeographicAddress", serialization_alias="@type")
    street_nr: str | None = Field(default=None, serialization_alias="streetNr")
    street_name: str = Field(serialization_alias="streetName")
    street_type: str | None = Field(default=None, serialization_alias="streetType")
    street_suffix: str | None = Field(default=None, serialization_alias="streetSuffix")
    city: str
    state_or_province: str = Field(serialization_alias="stateOrProvince")
    postcode: str
    country: str
    geographic_sub_address: list[SubAddressOut] | None = Field(default=None, serialization_alias="geographicSubAddress")
    geographic_location: GeographicLocationOut | None = Field(default=None, serialization_alias="geographicLocation")

    @classmethod
    def of(cls, location: Location) -> "GeographicAddressOut":
        street = street_parts(location.line1)
        unit = None
        if location.line2:
            unit_type, _, unit_number = location.line2.partition(" ")
            unit = (
                [SubAddressOut(sub_unit_type=unit_type, sub_unit_number=unit_number)]
                if unit_number
                else [SubAddressOut(sub_unit_number=unit_type)]
            )
        point = None
        if location.latitude is not None and location.longitude is not None:
            point = GeographicLocationOut(geo_json=GeoJsonPointOut(coordinates=[location.longitude, location.latitude]))
        return cls(
            id=str(location.pk),
            street_nr=street.number or None,
            street_name=street.name,
            street_type=street.street_type or None,
            street_suffix=street.suffix or None,
            city=location.city,
            state_or_province=location.state,
            postcode=location.postal_code,
            country=location.country,
            geographic_sub_address=unit,
            geographic_location=point,
        )


class GeographicSiteOut(Out):
    id: str
    href: str
    type: str = Field(default="GeographicSite", serialization_alias="@type")
    name: str | None = None
    description: str
    place: list[GeographicAddressOut]
    related_party: list[RefOut] = Field(serialization_alias="relatedParty")

    @classmethod
    def of(cls, request: HttpRequest, location: Location) -> "GeographicSiteOut":
        return cls(
            id=str(location.pk),
            href=links.GEOGRAPHIC_SITE.href(request, location.pk),
            name=location.name or None,
            description=location.one_line,
            place=[GeographicAddressOut.of(location)],
            related_party=[customer_ref(request, location.account)],
        )


class GeoJsonPointIn(In):
    type: Literal["Point"]
    coordinates: list[Decimal] = Field(min_length=2, max_length=2, description="[longitude, latitude]")


class GeographicLocationIn(In):
    type: Literal["GeoJsonPoint"] | None = Field(default=None, alias="@type")
    geo_json: GeoJsonPointIn = Field(alias="geoJson")


class SubAddressIn(In):
    sub_unit_type: Text20 | None = Field(default=None, alias="subUnitType")
    sub_unit_number: Text40 | None = Field(default=None, alias="subUnitNumber")
    name: Text100 | None = None


class GeographicAddressIn(In):
    street_nr: Text20 | None = Field(default=None, alias="streetNr")
    street_name: Text100 | None = Field(default=None, alias="streetName")
    street_type: Text20 | None = Field(default=None, alias="streetType")
    street_suffix: Text20 | None = Field(default=None, alias="streetSuffix")
    city: Text100 | None = None
    state_or_province: Text40 | None = Field(default=None, alias="stateOrProvince")
    postcode: Text20 | None = None
    country: Text40 | None = None
    geographic_sub_address: list[SubAddressIn] = Field(default_factory=list, alias="geographicSubAddress")
    geographic_location: GeographicLocationIn | None = Field(default=None, alias="geographicLocation")


class AddressValues(TypedDict):
    """The address keyword arguments of `location_create` and `location_update` a place gives."""

    line1: str
    line2: str
    city: str
    state: str
    postal_code: str
    latitude: Decimal | None
    longitude: Decimal | None


class LocationValues(AddressValues):
    """The keyword arguments of `location_create` a site request gives."""

    name: str


def address_values(place: list[GeographicAddressIn]) -> AddressValues:
    """A site's address from its one place; ValidationError names the attribute at fault."""
    if len(place) != 1:
        raise ValidationError("Give the site's address as exactly one place.", field="place", code="one_place")
    address = place[0]
    if (address.country or "US").upper() not in ("US", "USA"):
        raise ValidationError("Service addresses are in the US.", field="place[0].country", code="invalid_address")
    if len(address.geographic_sub_address) > 1:
        raise ValidationError("Give at most one unit.", field="place[0].geographicSubAddress", code="one_unit")
    unit = ""
    if address.geographic_sub_address:
        sub = address.geographic_sub_address[0]
        unit = " ".join(filter(None, [sub.sub_unit_type, sub.sub_unit_number])) or (sub.name or "")
    latitude = longitude = None
    if address.geographic_location is not None:
        longitude, latitude = address.geographic_location.geo_json.coordinates
    street = [address.street_nr, address.street_name, address.street_type, address.street_suffix]
    return {
        "line1": " ".join(filter(None, street)),
        "line2": unit,
        "city": address.city or "",
        "state": address.state_or_province or "",
        "postal_code": address.postcode or "",
        "latitude": latitude,
        "longitude": longitude,
    }


class GeographicSiteIn(In):
    """GeographicSite_Create: `name`, the customer in `relatedParty`, the address in `place[0]`."""

    name: Text100 | None = None
    related_party: list[RelatedPartyIn] = Field(default_factory=list, alias="relatedParty")
    place: list[GeographicAddressIn] = Field(default_factory=list)

    def customer(self) -> tuple[str, str]:
        return customer_id_in(self.related_party)

    def location_values(self) -> LocationValues:
        """Keyword arguments for `location_create`; ValidationError names the attribute at fault."""
        return {"name": self.name or "", **address_values(self.place)}


class GeographicSitePatchIn(In):
    """GeographicSite_Update as a JSON merge patch (RFC 7396): what is left out stays, `null`
    clears; `place`, an array, is replaced whole, so it gives the whole address, checked and
    normalised as on create."""

    id: Id | None = None
    type: Text40 | None = Field(default=None, alias="@type")
    name: Text100 | None = None
    related_party: list[RelatedPartyIn] | None = Field(default=None, alias="relatedParty")
    place: list[GeographicAddressIn] | None = None

    def check_unchanged(self, location: Location) -> None:
        """What a patch cannot change: the id, the resource type, the customer the site is of."""
        given = self.model_fields_set
        if "id" in given and self.id != str(location.pk):
            raise ValidationError("The id of a site cannot change.", field="id", code="immutable")
        if "type" in given and self.type != "GeographicSite":
            raise ValidationError("This resource is a GeographicSite.", field="@type", code="immutable")
        if "related_party" in given:
            customer_id, at = customer_id_in(self.related_party or [])
            if customer_id != str(location.account_id):
                raise ValidationError(
                    "A site stays with its customer; add the address to the other customer instead.",
                    field=at,
                    code="immutable",
                )

    def location_values(self, location: Location) -> LocationValues:
        """Keyword arguments for `location_update`: the site as it is, with what the patch gives."""
        self.check_unchanged(location)
        given = self.model_fields_set
        values: LocationValues = {
            "name": location.name,
            "line1": location.line1,
            "line2": location.line2,
            "city": location.city,
            "state": location.state,
            "postal_code": location.postal_code,
            "latitude": location.latitude,
            "longitude": location.longitude,
        }
        if "name" in given:
            values["name"] = self.name or ""
        if "place" in given:
            values.update(address_values(self.place or []))
        return values
