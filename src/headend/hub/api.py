"""TMF hub registration (`/hub`) on each API that sends events, and on TMF688 `event/v4`.

`POST .../hub` `{"callback": "https://...", "query": "eventType=ServiceStateChangeEvent"}` ->
201 `{"id", "href", "callback", "query", "secret", "@type": "EventSubscription"}` with a
`Location` header; `GET .../hub/{id}` (without the secret); `DELETE .../hub/{id}` -> 204.
`secret` (our extension) signs every POST to the listener; it is generated unless the request
gives one (16 to 200 characters) and is returned only in the 201 answer. Registering needs the
integration role (or admin); callbacks must be public addresses (core/outbound.py). See
docs/api.md, "Events and webhooks"."""

from typing import Annotated

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Status
from pydantic import StringConstraints

from headend.api import links
from headend.api.auth import ApiRequest
from headend.api.schemas import ERRORS, In, Out, Text200
from headend.hub import envelopes, selectors, services
from headend.hub.models import Subscription

Text500 = Annotated[str, StringConstraints(max_length=500)]


class HubIn(In):
    callback: Text500 = Field(description="Where events are POSTed: callback + /listener/<eventType>.")
    query: Text500 | None = Field(
        default=None, description="eventType=<type>[,<type>...]; left out: every type this API sends."
    )
    secret: Text200 | None = Field(
        default=None, description="Extension: the HMAC-SHA256 key to sign with; generated when left out."
    )


class HubOut(Out):
    id: str
    href: str
    type: str = Field(default="EventSubscription", serialization_alias="@type")
    callback: str
    query: str | None = None
    secret: str | None = Field(default=None, description="Extension: the signing key, in the 201 answer only.")

    @classmethod
    def of(cls, request: HttpRequest, subscription: Subscription, *, secret: str | None = None) -> "HubOut":
        return cls(
            id=str(subscription.pk),
            href=links.Resource(subscription.api, "hub").href(request, subscription.pk),
            callback=subscription.callback,
            query=subscription.query or None,
            secret=secret,
        )


def hub_router(api: str) -> Router:
    """The hub routes of one API (`api` is its basePath after /tmf-api/, e.g. quoteManagement/v4)."""
    spec = envelopes.HUBS[api]
    slug = api.split("/")[0]
    router = Router(tags=[f"{spec} events hub"], by_alias=True, exclude_none=True)

    @router.post(
        "/hub",
        response={201: HubOut, **ERRORS},
        summary="Register a listener",
        operation_id=f"{slug}_registerListener",
    )
    def register(request: ApiRequest, response: HttpResponse, payload: HubIn) -> Status:
        """Events this API sends (filtered by `query`) are POSTed to the callback, signed with
        the returned `secret`. The integration role or admin (else 403); the listener receives
        what you may read. A callback on a loopback, private, link-local or other non-public
        address is 400 `callback_refused` (unless an admin allows it); one whose host does not
        resolve, 400 `callback_unresolvable`; more listeners than an account may have
        (HEADEND_HUB_MAX_SUBSCRIPTIONS, 20), 409 `too_many_subscriptions`."""
        subscription, secret = services.subscription_register(
            api=api,
            callback=payload.callback,
            query=payload.query or "",
            secret=payload.secret,
            registered_by=request.auth,
        )
        out = HubOut.of(request, subscription, secret=secret)
        response["Location"] = out.href
        return Status(201, out)

    @router.get(
        "/hub/{id}",
        response={200: HubOut, **ERRORS},
        summary="Retrieve a listener",
        operation_id=f"{slug}_retrieveListener",
    )
    def retrieve(request: ApiRequest, id: str) -> HubOut:
        return HubOut.of(request, selectors.subscription_get_for(user=request.auth, api=api, subscription_id=id))

    @router.delete(
        "/hub/{id}",
        response={204: None, **ERRORS},
        summary="Unregister a listener",
        operation_id=f"{slug}_unregisterListener",
    )
    def unregister(request: ApiRequest, id: str) -> Status:
        subscription = selectors.subscription_get_for(user=request.auth, api=api, subscription_id=id)
        services.subscription_delete(subscription=subscription, deleted_by=request.auth)
        return Status(204, None)

    return router


def hub_routers() -> list[tuple[str, Router]]:
    """(prefix, router) for every API with a hub, as the API mounts them."""
    return [(f"{api}/", hub_router(api)) for api in envelopes.HUBS]
