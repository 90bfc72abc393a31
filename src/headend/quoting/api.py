"""TMF648 quote: create with its items, read, and drive its lifecycle with PATCH `state`.

`/tmf-api/quoteManagement/v4/quote`. docs/api.md ("Quote (TMF648)") is the reference; in short:

State (ours -> TMF Quote.state): draft -> inProgress, presented -> approved,
accepted -> accepted, rejected -> rejected, expired -> cancelled, superseded (an older version,
replaced by a revision) -> cancelled. PATCH `{"state": ...}` moves it: approved presents the
draft to the customer (409 `approvals_pending` / `approval_rejected` while an authorization is
open), accepted accepts it (the order is created), rejected and cancelled close it. Any other
move is a 409.

A quote item (`quoteItem[i]`) adds a service or changes one the customer has:
- `action` "add": `quantity` (default 1), `productOffering.id` (a product version),
  `product.place[0].id` (one of the customer's geographic sites), the term in
  `product.productTerm[0].duration` (`{"amount": 12, "units": "month"}`; 0 = month-to-month;
  TMF648 QuoteItem has no term of its own, the product's ProductTerm carries it).
- `action` "modify" or "delete": `product.id` names the TMF638 service it changes (the
  product instance: our inventory has no TMF637 product of its own, and the productOrder's
  `product` names the same service). Our finer change is the product characteristic
  `changeType`: upgrade, downgrade, re_term, re_rate, move, replace (modify) or cancel (delete,
  the default there). upgrade/downgrade/replace name the target in `productOffering.id`; move
  names the new site in `product.place[0].id`; re_term takes its term in `productTerm` (also
  optional on upgrade, downgrade, replace, re_rate); re_rate takes the negotiated monthly price
  in `quoteItemPrice[0].price.dutyFreeAmount` (priceType "recurring").
- A percent discount on an add item: `quoteItemPrice[].priceAlteration[].price.percentage`.
Items are numbered 1, 2, ... in the order given; the customer is the `relatedParty` with role
"customer". Creation is all or nothing: one bad item and nothing is written; the error names
the item's attribute (`quoteItem[2].product.id`).

Prices (`quoteItem[].quoteItemPrice`, `quoteTotalPrice`), by name: "Monthly recurring charge"
(the new monthly charge), "Current monthly charge" (change items: before the change),
"One-time charge", "Early-termination fee" (change items, oneTime), "Total contract value"
(priceType "total"), and on the quote "Monthly recurring charge change" when it changes
services. The quote's one-time charge includes the early-termination fees. An item's monthly
charge lists as `priceAlteration`s its discount, its share of the quote discount (an amount) and
its catalog promotion (the amount off for `applicationDuration` months; installation waived as
100% off the oneTime price); the quote's monthly total lists the quote discount (percentage).

`version` is the quote's version ("1", "2", ...); `relatedEntity` (an extension: TMF648 v4 has
no attribute for it) refers to the order (role "productOrder") and the previous and next
versions (roles "previousVersion", "nextVersion"). `authorization` lists the approvals the
quote needs, with `id`, `approverRole`, `reason` and `comment` as extensions.

Not TMF: `POST .../quote/{id}/revise` makes the next version (201), and
`POST .../quote/{id}/authorization/{authorization_id}` with `{"state": "approved"|"rejected",
"comment": ...}` decides an authorization (the approver's role is needed).
"""

from collections.abc import Callable
from typing import Any

from django.db import models, transaction
from django.http import HttpResponse
from ninja import Query, Router, Status

from headend.api import links
from headend.api.auth import ApiRequest
from headend.api.errors import body_fields
from headend.api.lists import ListParams, counted, matching, paginate
from headend.api.renderers import dumps
from headend.api.representations import Representations, grouped, row_of, source_fields
from headend.api.schemas import (
    ERRORS,
    base_named,
    customer_id_in,
)
from headend.catalog import selectors as catalog_selectors
from headend.catalog.models import ProductVersion
from headend.core.errors import Conflict, NotFound
from headend.core.ids import parse_id
from headend.core.permissions import require, user_roles
from headend.core.prepared import Prepared, Read
from headend.crm import selectors as crm_selectors
from headend.inventory import selectors as inventory_selectors
from headend.quoting import selectors as quoting_selectors
from headend.quoting import services as quoting_services
from headend.quoting.api_schemas import (
    NEW_TERM_ALLOWED,
    QUOTE_STATE,
    TO_ANOTHER_OFFERING,
    AuthorizationDecisionIn,
    QuoteIn,
    QuoteItemIn,
    QuoteOut,
    QuoteState,
    QuoteUpdateIn,
)
from headend.quoting.models import Quote, QuoteApproval, QuoteLine

router = Router(tags=["TMF648 quote"], by_alias=True, exclude_none=True)


STATE_CHANGES: dict[str, Callable[[Quote, Any], Quote]] = {
    "approved": lambda quote, by: quoting_services.quote_present(quote=quote, presented_by=by),
    "accepted": lambda quote, by: quoting_services.quote_accept(quote=quote, accepted_by=by),
    "rejected": lambda quote, by: quoting_services.quote_reject(quote=quote, rejected_by=by),
    "cancelled": lambda quote, by: quoting_services.quote_expire(quote=quote),
}


# Where the use cases' quote-level fields are in the body.
QUOTE_FIELDS = {"status": "state", "approvals": "authorization"}


# What QuoteOut reads of a quote and of each of its items, and nothing more: the columns of five
# tables joined to a quote and to each item would otherwise be read, converted and (for a
# sorted list) compared on every request. A field QuoteOut starts to read must be named here, or
# it costs a statement per quote or item (tests/api/test_statement_budgets.py fails).
QUOTE_READS = (
    "account__name",
    "order__id",
    "previous__id",
    "next_revision__id",
    "name",
    "revision",
    "status",
    "currency",
    "created_at",
    "presented_at",
    "valid_until",
    "decided_at",
    "discount_percent",
    "mrr_amount",
    "mrr_before_amount",
    "one_time_amount",
    "contract_value_amount",
    "contract_value_change_amount",
)
ITEM_READS = (
    "quote",
    "position",
    "action",
    "quantity",
    "term_months",
    "target_service_id",
    "base_service_id",
    "base_line_id",
    "location__name",
    "location__line1",
    "location__line2",
    "location__city",
    "location__state",
    "location__postal_code",
    "product_version__version",
    "product_version__product__name",
    "promotion__name",
    "promotion__code",
    "promotion__waives_installation",
    "mrc_amount",
    "mrc_before_amount",
    "nrc_amount",
    "etf_amount",
    "discount_percent",
    "quote_discount_amount",
    "promo_months",
    "promo_mrc_amount",
    "contract_value_amount",
    "contract_value_change_amount",
)
AUTHORIZATION_READS = (
    "quote",
    "rule__name",
    "approver_role",
    "reason",
    "status",
    "decided_by__username",
    "decided_by__first_name",
    "decided_by__last_name",
    "decided_at",
    "comment",
    "created_at",
)


# Where _readable puts each quote's items and authorizations: plain lists (a prefetch into the
# related managers would build a filtered queryset per quote, a cost that grows with the page).
ITEMS, AUTHORIZATIONS = "items_read", "authorizations_read"


def _readable(quotes: models.QuerySet[Quote]) -> models.QuerySet[Quote]:
    """`quotes` with everything QuoteOut reads: the customer, the order and the adjacent versions
    joined, the items and the authorizations in one statement each, whatever the number of quotes."""
    items = QuoteLine.objects.select_related("location", "product_version__product", "promotion")
    approvals = QuoteApproval.objects.select_related("rule", "decided_by").only(*AUTHORIZATION_READS)
    return (
        quotes.select_related(None)
        .select_related("account", "order", "previous", "next_revision")
        .only(*QUOTE_READS)
        .prefetch_related(
            models.Prefetch("lines", queryset=items.only(*ITEM_READS).order_by("position"), to_attr=ITEMS),
            models.Prefetch("approvals", queryset=approvals.order_by("created_at", "id"), to_attr=AUTHORIZATIONS),
        )
    )


def _out(request: ApiRequest, quote: Quote) -> QuoteOut:
    """A quote loaded by _readable, as the API shows it."""
    return QuoteOut.of(request, quote, items=getattr(quote, ITEMS), approvals=getattr(quote, AUTHORIZATIONS))


# What a quote's body is built from, row by row (api/representations.py): the columns above, the
# ids of the rows they come from, and the ids that order items and authorizations as _readable does.
QUOTE_SOURCE = source_fields(Quote, QUOTE_READS)
ITEM_SOURCE = source_fields(QuoteLine, ITEM_READS)
AUTHORIZATION_SOURCE = source_fields(QuoteApproval, AUTHORIZATION_READS)
ITEM_QUOTE, AUTHORIZATION_QUOTE = ITEM_SOURCE.index("quote"), AUTHORIZATION_SOURCE.index("quote")
BODIES = Representations()
# Those rows are read by SQL compiled once per process (core/prepared.py): compiling these wide
# statements each time cost Django twenty times what running them does.
ROWS = Prepared()


def _item_rows(ids: list[Any]) -> models.QuerySet[QuoteLine, tuple[Any, ...]]:
    return QuoteLine.objects.filter(quote__in=ids).order_by("quote", "position").values_list(*ITEM_SOURCE)


def _authorization_rows(ids: list[Any]) -> models.QuerySet[QuoteApproval, tuple[Any, ...]]:
    approvals = QuoteApproval.objects.filter(quote__in=ids).order_by("quote", "created_at", "id")
    return approvals.values_list(*AUTHORIZATION_SOURCE)


def _source_rows(ids: list[Any]) -> tuple[Read, Read]:
    """The ITEM_SOURCE and AUTHORIZATION_SOURCE rows of the quotes `ids`, in _readable's order."""
    items = ROWS.read(("items", len(ids)), lambda: _item_rows(ids), ids)
    return items, ROWS.read(("authorizations", len(ids)), lambda: _authorization_rows(ids), ids)


def _bodies(
    request: ApiRequest,
    rows: list[tuple[Any, ...]],
    item_rows: list[tuple[Any, ...]],
    approval_rows: list[tuple[Any, ...]],
) -> tuple[list[bytes], bool]:
    """The bodies of the quotes whose QUOTE_SOURCE rows (as the database returns them) are `rows`,
    in their order, their items and authorizations being `item_rows` and `approval_rows` (_source_rows):
    kept ones while their rows are unchanged, the others built from the models (and kept). With
    them, whether every body is kept under these very rows (none built from other rows, none deleted)."""
    ids = [row[0] for row in rows]
    items, authorizations = grouped(item_rows, ITEM_QUOTE), grouped(approval_rows, AUTHORIZATION_QUOTE)
    sources = {row[0]: (row, tuple(items.get(row[0], ())), tuple(authorizations.get(row[0], ()))) for row in rows}
    bodies = BODIES.get_many(request, sources)
    kept = len(bodies)
    missing = [pk for pk in ids if pk not in bodies]
    if missing:
        read = _converted([sources[pk] for pk in missing])
        for quote in _readable(Quote.objects.filter(pk__in=missing)):
            body = dumps(_out(request, quote).model_dump(by_alias=True, exclude_none=True)).encode()
            built = (
                row_of(quote, QUOTE_SOURCE),
                tuple(row_of(item, ITEM_SOURCE) for item in getattr(quote, ITEMS)),
                tuple(row_of(approval, AUTHORIZATION_SOURCE) for approval in getattr(quote, AUTHORIZATIONS)),
            )
            # kept under the rows read above only if the instances were built from those very
            # rows: a write between the two reads cannot leave a body kept under rows it is not of
            if read.get(quote.pk) == built:
                BODIES.keep(request, quote.pk, sources[quote.pk], body)
                kept += 1
            bodies[quote.pk] = body
    return [bodies[pk] for pk in ids if pk in bodies], kept == len(ids)  # one deleted meanwhile is left out


def _converted(sources: list[tuple[Any, ...]]) -> dict[Any, tuple[Any, ...]]:
    """The quotes' rows read for `_bodies`, by quote id, with Python's values as row_of gives them."""
    quotes = ROWS.converted(Quote.objects.values_list(*QUOTE_SOURCE), [quote for quote, _, _ in sources])
    items = ROWS.converted(QuoteLine.objects.values_list(*ITEM_SOURCE), [row for _, rows, _ in sources for row in rows])
    approvals = QuoteApproval.objects.values_list(*AUTHORIZATION_SOURCE)
    authorizations = ROWS.converted(approvals, [row for _, _, rows in sources for row in rows])
    by_quote, by_authorization = grouped(items, ITEM_QUOTE), grouped(authorizations, AUTHORIZATION_QUOTE)
    return {
        quote[0]: (quote, tuple(by_quote.get(quote[0], ())), tuple(by_authorization.get(quote[0], ())))
        for quote in quotes
    }


def _json(body: bytes) -> HttpResponse:
    return HttpResponse(body, content_type="application/json; charset=utf-8")


def _visible(request: ApiRequest, quote_id: Any) -> models.QuerySet[Quote]:
    """The quote `quote_id` if `request.auth` may see it (else no quote)."""
    return quoting_selectors.quote_list(user=request.auth).filter(pk=parse_id(quote_id)).order_by()


def _quote_out(request: ApiRequest, quote_id: Any) -> QuoteOut:
    """The quote as the API shows it, if `request.auth` may see it (NotFound otherwise)."""
    quote = next(iter(_readable(_visible(request, quote_id))), None)
    if quote is None:
        raise NotFound("No such quote.", field="id")
    return _out(request, quote)


# --- Use of the body ---------------------------------------------------------------------------


def _rides_on(request: ApiRequest, item: QuoteItemIn, at: str, earlier: dict[str, QuoteLine]) -> tuple[Any, str]:
    def find_service(service_id: str, where: str) -> Any:
        with body_fields({"id": where}):
            return inventory_selectors.service_get_for(user=request.auth, service_id=service_id)

    return base_named(
        at=at,
        item_relations=item.quote_item_relationship,
        item_key="quoteItemRelationship",
        product_relations=item.product.product_relationship,
        earlier=earlier,
        find_service=find_service,
    )


def _add_item(
    request: ApiRequest, quote: Quote, item: QuoteItemIn, at: str, earlier: dict[str, QuoteLine] | None = None
) -> QuoteLine:
    item.check_no_price(at)
    rides_on, rides_on_at = _rides_on(request, item, at, earlier or {})
    with body_fields({"id": f"{at}.productOffering.id"}):
        version = catalog_selectors.version_get_for(user=request.auth, version_id=item.offering_id(at))
    with body_fields({"id": f"{at}.product.place[0].id"}):
        location = crm_selectors.location_get_for(user=request.auth, location_id=item.site_id(at))
    paths = {
        "quantity": f"{at}.quantity",
        "location": f"{at}.product.place[0].id",
        "product_version": f"{at}.productOffering.id",
        "term_months": f"{at}.product.productTerm[0].duration.amount",
        "rides_on": rides_on_at,
    }
    with body_fields(paths):
        return quoting_services.quote_line_add(
            quote=quote,
            location=location,
            product_version=version,
            term_months=item.term_months(at),
            quantity=item.quantity,
            rides_on=rides_on,
            added_by=request.auth,
        )


def _change_item(
    request: ApiRequest, quote: Quote, item: QuoteItemIn, at: str, change: str, change_at: str
) -> QuoteLine:
    with body_fields({"id": f"{at}.product.id"}):
        service = inventory_selectors.service_get_for(user=request.auth, service_id=item.service_id(at))
    version: ProductVersion | None = None
    if change in TO_ANOTHER_OFFERING:
        with body_fields({"id": f"{at}.productOffering.id", "product_version": f"{at}.productOffering.id"}):
            version = catalog_selectors.version_get_for(user=request.auth, version_id=item.offering_id(at))
    location = None
    if change == QuoteLine.Action.MOVE:
        with body_fields({"id": f"{at}.product.place[0].id"}):
            location = crm_selectors.location_get_for(user=request.auth, location_id=item.site_id(at))
    term_months = None
    if change == QuoteLine.Action.RE_TERM or (change in NEW_TERM_ALLOWED and item.product.product_term):
        term_months = item.term_months(at)
    negotiated, negotiated_at = None, f"{at}.quoteItemPrice"
    if change == QuoteLine.Action.RE_RATE:
        negotiated, negotiated_at = item.negotiated_price(at, quote.currency)
    else:
        item.check_no_price(at)
    paths = {
        "service": f"{at}.product.id",
        "action": change_at,
        "product_version": f"{at}.productOffering.id",
        "location": f"{at}.product.place[0].id",
        "term_months": item.term_path(at),
        "negotiated_mrc_amount": negotiated_at,
        "quantity": f"{at}.quantity",
    }
    with body_fields(paths):
        return quoting_services.quote_line_change(
            quote=quote,
            service=service,
            action=change,
            product_version=version,
            term_months=term_months,
            negotiated_mrc_amount=negotiated,
            location=location,
            added_by=request.auth,
        )


# --- Routes ------------------------------------------------------------------------------------


@router.post("/quote", response={201: QuoteOut, **ERRORS}, summary="Create a quote")
def quote_create(request: ApiRequest, payload: QuoteIn) -> Status:
    """A draft quote with its items (adds and changes to the customer's services), priced from
    the catalog, all or nothing. Needs a sales role."""
    require(request.auth, "quote.edit")
    customer_id, customer_at = customer_id_in(payload.related_party)
    with transaction.atomic():
        with body_fields({"id": customer_at}):
            account = crm_selectors.account_get_for(user=request.auth, account_id=customer_id)
        quote = quoting_services.quote_create(account=account, created_by=request.auth, name=payload.description or "")
        earlier: dict[str, QuoteLine] = {}
        for index, item in enumerate(payload.quote_item):
            at = f"quoteItem[{index}]"
            change, change_at = item.change_type(at)
            discount = item.discount_percent(at)
            if change == QuoteLine.Action.ADD:
                line = _add_item(request, quote, item, at, earlier)
            else:
                line = _change_item(request, quote, item, at, change, change_at)
            if item.id:
                earlier[item.id] = line
            if discount is not None:
                percent, percent_at = discount
                with body_fields({"discount_percent": percent_at, "discount": percent_at}):
                    quoting_services.quote_line_discount(line=line, percent=percent, discounted_by=request.auth)
    return Status(201, _quote_out(request, quote.pk))


@router.get("/quote", response={200: list[QuoteOut], **ERRORS}, summary="List quotes")
def quote_list(
    request: ApiRequest,
    response: HttpResponse,
    page: Query[ListParams],
    state: QuoteState | None = None,
    related_party_id: str | None = Query(None, alias="relatedParty.id", description="The customer's id."),
) -> list[QuoteOut] | HttpResponse:
    account = None if related_party_id in (None, "") else parse_id(related_party_id)
    statuses = matching(QUOTE_STATE, state)

    def listed() -> models.QuerySet[Quote]:
        return quoting_selectors.quote_list(user=request.auth, account_id=account, statuses=statuses)

    if page.fields:  # a selection of attributes: built and selected as it is rendered
        return [_out(request, quote) for quote in paginate(response, _readable(listed()), page)]

    def counting() -> models.QuerySet[Quote, tuple[Any, ...]]:
        """The quotes' rows and, in each, how many match in all."""
        return listed().annotate(total=models.Window(models.Count("*"))).values_list(*QUOTE_SOURCE, "total")

    # Compiled once for each set of filters (and roles: the selector scopes by the user's)
    shape = ("page", user_roles(request.auth), account is not None, None if statuses is None else len(statuses))
    values = [*([account] if account is not None else []), *(statuses or ())]
    read = ROWS.read_page(shape, counting, values, offset=page.offset, limit=page.limit)
    # The page's body is kept whole under its rows, with their total, and its quotes' items and
    # authorizations: a client polling the page is answered by comparing three signatures (the
    # ids its items are read by are those the kept page was built of, when its rows are unchanged).
    kept_as = ("page", shape, tuple(values), page.offset, page.limit)
    kept = BODIES.peek(request, kept_as)
    if kept is not None and kept[0][0] == read.signature:
        ids, total = kept[0][1], kept[0][2]
    else:
        ids, total = tuple(row[0] for row in read.rows), read.rows[0][-1] if read.rows else None
    items, approvals = _source_rows(list(ids))
    source = (read.signature, ids, total, items.signature, approvals.signature)
    if kept is not None and kept[0] == source:
        return counted(_json(kept[1]), total, len(ids))
    rows = read.rows
    if not rows:
        return counted(_json(b"[]"), listed().count() if page.offset else 0, 0)
    bodies, complete = _bodies(request, [row[:-1] for row in rows], items.rows, approvals.rows)
    listed_body = b"[" + b", ".join(bodies) + b"]"
    if complete:
        BODIES.keep(request, kept_as, source, listed_body)
    return counted(_json(listed_body), rows[0][-1], len(bodies))


@router.get("/quote/{id}", response={200: QuoteOut, **ERRORS}, summary="Retrieve a quote")
def quote_get(request: ApiRequest, id: str, fields: str | None = None) -> QuoteOut | HttpResponse:
    if fields:
        return _quote_out(request, id)
    pk = parse_id(id)
    read = ROWS.read(
        ("quote", user_roles(request.auth)), lambda: _visible(request, pk).values_list(*QUOTE_SOURCE), [pk]
    )
    if not read.rows:
        raise NotFound("No such quote.", field="id")
    # Kept whole as a page is: under the signatures of its rows, its items' and its authorizations'
    # (unchanged, none of them is parsed and looked up again).
    items, approvals = _source_rows([pk])
    kept_as, source = ("quote", pk), (read.signature, items.signature, approvals.signature)
    body = BODIES.get(request, kept_as, source)
    if body is None:
        bodies, complete = _bodies(request, read.rows, items.rows, approvals.rows)
        if not bodies:  # deleted meanwhile
            raise NotFound("No such quote.", field="id")
        body = bodies[0]
        if complete:
            BODIES.keep(request, kept_as, source, body)
    return _json(body)


@router.patch(
    "/quote/{id}",
    response={200: QuoteOut, **ERRORS},
    summary="Change a quote's state",
    openapi_extra={
        "requestBody": {
            "content": {"application/merge-patch+json": {"schema": {"$ref": "#/components/schemas/QuoteUpdateIn"}}}
        }
    },
)
def quote_patch(request: ApiRequest, id: str, payload: QuoteUpdateIn) -> QuoteOut:
    """`{"state": "approved"}` presents a draft (409 `approvals_pending` or `approval_rejected`
    while an authorization is open), `accepted` accepts it (creating the order), `rejected` and
    `cancelled` close it. Body as application/json or application/merge-patch+json. Needs a
    sales role."""
    require(request.auth, "quote.edit")
    quote = quoting_selectors.quote_get_for(user=request.auth, quote_id=id)
    current = QUOTE_STATE[quote.status]
    if payload.state != current:
        change = STATE_CHANGES.get(payload.state)
        if change is None:
            raise Conflict(
                f"A quote cannot be set to {payload.state}; it is {current}.", field="state", code="invalid_transition"
            )
        with body_fields(QUOTE_FIELDS):
            change(quote, request.auth)
    return _quote_out(request, quote.pk)


@router.post(
    "/quote/{id}/revise",
    response={201: QuoteOut, **ERRORS},
    summary="Revise a quote (not TMF): make its next version",
)
def quote_revise(request: ApiRequest, response: HttpResponse, id: str) -> Status:
    """A new draft version of a presented, rejected or expired quote, with its items; the old
    version becomes read-only and shows as `cancelled`. Answers 201 with the new version and a
    `Location` header. 409 `invalid_transition` for a draft or an accepted quote. Needs a sales
    role."""
    require(request.auth, "quote.edit")
    quote = quoting_selectors.quote_get_for(user=request.auth, quote_id=id)
    with body_fields(QUOTE_FIELDS):
        revision = quoting_services.quote_revise(quote=quote, revised_by=request.auth)
    response["Location"] = links.QUOTE.href(request, revision.pk)
    return Status(201, _quote_out(request, revision.pk))


@router.post(
    "/quote/{id}/authorization/{authorization_id}",
    response={200: QuoteOut, **ERRORS},
    summary="Approve or reject an authorization (not TMF)",
)
def quote_authorize(request: ApiRequest, id: str, authorization_id: str, payload: AuthorizationDecisionIn) -> QuoteOut:
    """`{"state": "approved"}` or `{"state": "rejected", "comment": "why"}` (a rejection needs
    a comment) on one of the quote's `authorization` entries; answers with the quote. 403
    `role_required` unless you hold the authorization's `approverRole`; 409 when it is already
    decided or void (the quote changed since)."""
    quote = quoting_selectors.quote_get_for(user=request.auth, quote_id=id)
    approval = quoting_selectors.approval_get(quote=quote, approval_id=authorization_id)
    with body_fields({"status": "state", "comment": "comment"}):
        quoting_services.quote_approval_decide(
            approval=approval,
            approve=payload.state == "approved",
            comment=payload.comment,
            decided_by=request.auth,
        )
    return _quote_out(request, quote.pk)
