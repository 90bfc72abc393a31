"""Reads of quotes."""

from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import models

from headend.core import permissions
from headend.core.errors import NotFound
from headend.core.ids import parse_id
from headend.crm.selectors import account_scope
from headend.inventory.models import Service
from headend.quoting.models import Quote, QuoteApproval, QuoteLine, SiteImportJob

# The quotes list's status filter: the statuses, and drafts submitted for approval.
AWAITING_APPROVAL = "awaiting_approval"
STATUS_FILTERS = [Quote.Status.choices[0], (AWAITING_APPROVAL, "Awaiting approval"), *Quote.Status.choices[1:]]


def quote_list(
    *,
    user: Any,
    account_id: Any = None,
    status: str = "",
    query: str = "",
    statuses: Collection[str] | None = None,
    detailed: bool = False,
) -> models.QuerySet[Quote]:
    """Quotes `user` may see; `statuses` keeps those in any of several (an empty one matches none);
    `detailed` also loads each quote's lines and order."""
    quotes = Quote.objects.filter(account__in=account_scope(user=user)).select_related("account", "opportunity")
    if account_id not in (None, ""):
        quotes = quotes.filter(account_id=parse_id(account_id))
    if status == AWAITING_APPROVAL:
        quotes = quotes.filter(status=Quote.Status.DRAFT, submitted_at__isnull=False)
    elif status:
        quotes = quotes.filter(status=status)
    if statuses is not None:
        quotes = quotes.filter(status__in=list(statuses))
    if detailed:
        quotes = quotes.select_related("order").prefetch_related(
            models.Prefetch(
                "lines",
                queryset=QuoteLine.objects.select_related(
                    "location", "product_version__product", "base_line", "promotion"
                ).order_by("position"),
            )
        )
    if query:
        digits = "".join(ch for ch in query if ch.isdigit())
        q = models.Q(name__icontains=query) | models.Q(account__name__icontains=query)
        if digits:
            q |= models.Q(pk=int(digits))
        quotes = quotes.filter(q)
    return quotes.order_by("-created_at", "-id")


def quote_get_for(*, user: Any, quote_id: Any, with_lines: bool = True) -> Quote:
    """The quote if `user` may see it; NotFound otherwise, so foreign ids reveal nothing.
    `with_lines=False` leaves its lines unread (a page that shows a few of 10,000 lines)."""
    quotes = Quote.objects.filter(pk=parse_id(quote_id), account__in=account_scope(user=user)).select_related(
        "account", "opportunity", "created_by", "decided_by"
    )
    if with_lines:
        quotes = quotes.prefetch_related(
            models.Prefetch(
                "lines",
                queryset=QuoteLine.objects.select_related(
                    "location", "product_version__product", "base_line", "promotion"
                ).order_by("position"),
            )
        )
    quote = quotes.first()
    if quote is None:
        raise NotFound("No such quote.", field="id")
    return quote


def quote_line_get_for(*, user: Any, line_id: Any) -> QuoteLine:
    line = (
        QuoteLine.objects.filter(pk=parse_id(line_id), quote__account__in=account_scope(user=user))
        .select_related("quote")
        .first()
    )
    if line is None:
        raise NotFound("No such quote line.", field="id")
    return line


def approval_list(*, quote: Quote) -> list[QuoteApproval]:
    return list(quote.approvals.select_related("rule", "decided_by").order_by("-created_at", "-pk"))


@dataclass(frozen=True)
class ApprovalPanel:
    """What the quote page's approvals panel shows: the approvals on the quote as it stands
    (void ones left out) and the step they leave sales at."""

    approvals: list[QuoteApproval]
    waiting: int  # not decided yet
    rejected: bool
    awaiting: bool  # submitted, in the approvers' inbox
    has_lines: bool

    @property
    def step(self) -> str:
        """submit, awaiting, rejected, or ready (nothing waits: the quote may be presented)."""
        if self.rejected:
            return "rejected"
        if self.awaiting:
            return "awaiting"
        return "submit" if self.waiting else "ready"


def approval_panel(*, quote: Quote) -> ApprovalPanel:
    current = [
        approval
        for approval in quote.approvals.select_related("rule", "decided_by").order_by("created_at", "pk")
        if approval.status != QuoteApproval.Status.VOID
    ]
    return ApprovalPanel(
        approvals=current,
        waiting=sum(1 for approval in current if approval.status == QuoteApproval.Status.PENDING),
        rejected=any(approval.status == QuoteApproval.Status.REJECTED for approval in current),
        awaiting=quote.awaiting_approval,
        has_lines=quote.lines.exists(),
    )


def approval_inbox(*, user: Any) -> models.QuerySet[QuoteApproval]:
    """The approvals waiting for `user`, oldest submission first: pending, on quotes submitted for
    approval that `user` may see, for a role `user` holds (an admin: every role), and not on a
    quote `user` made or last priced (maker-checker: another approver decides those)."""
    roles = permissions.user_roles(user)
    approvals = QuoteApproval.objects.filter(
        status=QuoteApproval.Status.PENDING,
        quote__status=Quote.Status.DRAFT,
        quote__submitted_at__isnull=False,
        quote__account__in=account_scope(user=user),
    )
    if permissions.Role.ADMIN not in roles:
        approvals = approvals.filter(approver_role__in=list(roles))
    user_id = getattr(user, "pk", None)
    if user_id is not None:
        approvals = approvals.exclude(quote__created_by_id=user_id).exclude(quote__priced_by_id=user_id)
    return approvals.select_related("quote__account", "quote__submitted_by", "rule").order_by(
        "quote__submitted_at", "created_at", "pk"
    )


def approval_get(*, quote: Quote, approval_id: Any) -> QuoteApproval:
    approval = quote.approvals.filter(pk=parse_id(approval_id)).first()
    if approval is None:
        raise NotFound("No such approval.", field="id")
    return approval


def quote_versions(*, quote: Quote) -> list[Quote]:
    """Every version of the quote (the chain of revisions), oldest first."""
    first = quote
    while first.previous_id is not None:
        first = Quote.objects.get(pk=first.previous_id)
    versions = [first]
    while (following := Quote.objects.filter(previous_id=versions[-1].pk).first()) is not None:
        versions.append(following)
    return versions


@dataclass(frozen=True)
class CompareRow:
    key: str
    old: QuoteLine | None
    new: QuoteLine | None

    @property
    def change(self) -> str:
        if self.old is None:
            return "added"
        if self.new is None:
            return "removed"
        same = all(
            getattr(self.old, field) == getattr(self.new, field)
            for field in (
                "product_version_id",
                "term_months",
                "quantity",
                "mrc_amount",
                "nrc_amount",
                "contract_value_amount",
                "discount_percent",
                "action",
            )
        )
        return "unchanged" if same else "changed"


def quote_compare(*, old: Quote, new: Quote) -> list[CompareRow]:
    """Lines of two versions matched by site, action, the service changed and the product."""

    def key(line: QuoteLine) -> str:
        return f"{line.location_id}:{line.action}:{line.target_service_id}:{line.product_version.product_id}"

    def lines(quote: Quote) -> dict[str, list[QuoteLine]]:
        grouped: dict[str, list[QuoteLine]] = {}
        for line in quote.lines.select_related("location", "product_version__product").order_by("position"):
            grouped.setdefault(key(line), []).append(line)
        return grouped

    before, after = lines(old), lines(new)
    rows = []
    for k in list(dict.fromkeys([*before, *after])):
        old_lines, new_lines = before.get(k, []), after.get(k, [])
        for index in range(max(len(old_lines), len(new_lines))):
            rows.append(
                CompareRow(
                    key=k,
                    old=old_lines[index] if index < len(old_lines) else None,
                    new=new_lines[index] if index < len(new_lines) else None,
                )
            )
    return rows


# The services a customer pays for today: running, suspended, or running until a disconnect date.
PAID_TODAY = (Service.Status.ACTIVE, Service.Status.SUSPENDED, Service.Status.PENDING_DISCONNECT)


def quote_mrr_today(*, quote: Quote) -> Decimal:
    """What the customer pays a month today for every service at the quote's sites: the sites of
    its lines and the sites the services it moves are at now, whether the quote changes those
    services or not."""
    lines = QuoteLine.objects.filter(quote_id=quote.pk)
    sites = models.Q(location_id__in=lines.values("location_id")) | models.Q(
        location_id__in=lines.exclude(target_service=None).values("target_service__location_id")
    )
    total = (
        Service.objects.filter(account_id=quote.account_id, status__in=PAID_TODAY)
        .filter(sites)
        .aggregate(total=models.Sum("mrc_amount"))["total"]
    )
    return total if total is not None else Decimal("0.00")


def site_import_job_get(*, quote: Quote, job_id: Any) -> SiteImportJob:
    job = quote.site_imports.filter(pk=parse_id(job_id)).first()
    if job is None:
        raise NotFound("No such import.", field="id")
    return job


@dataclass(frozen=True)
class LinePage:
    """One page of a quote's lines: `page` pages the line ids, `lines` are this page's lines in
    order, `sites` each site's monthly and one-time sums over all its (matching) lines."""

    page: Page
    lines: list[QuoteLine]
    sites: dict[int, dict[str, Any]]
    continued: bool  # the first site on the page began on the page before


def _line_search(query: str) -> models.Q:
    q = models.Q(product_version__product__name__icontains=query)
    for field in ("name", "line1", "line2", "city", "state", "postal_code"):
        q |= models.Q(**{f"location__{field}__icontains": query})
    actions = [value for value, label in QuoteLine.Action.choices if query.lower() in label.lower()]
    if actions:
        q |= models.Q(action__in=actions)
    return q


def quote_line_page(
    *, quote: Quote, query: str = "", page: Any = 1, per_page: int = 100, line_id: int | None = None
) -> LinePage:
    """A page of the quote's lines matching `query` (site name or address, product, action),
    each site's lines together, sites in the order of their first line; `line_id` picks the
    page that line is on. Reads ids first, then only the page's lines."""
    lines = quote.lines.all()
    if query:
        lines = lines.filter(_line_search(query))
    rows = list(lines.order_by("position").values_list("pk", "location_id", "position"))
    first: dict[int, int] = {}
    for _, location_id, position in rows:
        first.setdefault(location_id, position)
    ordered = sorted(rows, key=lambda row: (first[row[1]], row[2]))
    ids = [pk for pk, _, _ in ordered]
    if line_id in ids:
        page = ids.index(line_id) // per_page + 1
    paged = Paginator(ids, per_page).get_page(page)
    by_id = QuoteLine.objects.select_related(
        "location", "product_version__product", "target_service", "base_line", "promotion"
    ).in_bulk(list(paged.object_list))
    shown = [by_id[pk] for pk in paged.object_list if pk in by_id]
    sums = (
        lines.filter(location_id__in={line.location_id for line in shown})
        .values("location_id")
        .annotate(mrc=models.Sum("mrc_amount"), nrc=models.Sum("nrc_amount"), count=models.Count("pk"))
    )
    start = paged.start_index() - 1
    continued = bool(shown) and start > 0 and ordered[start - 1][1] == shown[0].location_id
    return LinePage(page=paged, lines=shown, sites={row["location_id"]: row for row in sums}, continued=continued)
