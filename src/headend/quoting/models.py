"""Quotes for one account on an opportunity; each line prices a product version at a location."""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.urls import reverse

from headend.catalog.models import ProductVersion, Term, WorkAction
from headend.core import audit
from headend.core.models import StatusModel
from headend.core.permissions import WORK_ROLE_CHOICES
from headend.core.user_files import RandomName
from headend.crm.models import Account, Location, Opportunity
from headend.quoting.pricing import monthly_after


class Quote(StatusModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PRESENTED = "presented", "Presented"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"
        EXPIRED = "expired", "Expired"
        SUPERSEDED = "superseded", "Superseded"

    TRANSITIONS = {
        "draft": {"presented", "expired"},
        "presented": {"accepted", "rejected", "expired", "superseded"},
        "accepted": set(),
        "rejected": {"superseded"},
        "expired": {"superseded"},
        "superseded": set(),
    }

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="quotes")
    opportunity = models.ForeignKey(Opportunity, on_delete=models.PROTECT, related_name="quotes")
    name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # Versions: a revision is a new quote row pointing at the one it revises; the old one is
    # kept read-only (superseded) for comparison.
    revision = models.PositiveIntegerField(default=1)
    previous = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_revision"
    )
    discount_percent = models.DecimalField(
        "quote discount %",
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
    )
    mrr_before_amount = models.DecimalField(
        "monthly recurring before the changes", max_digits=12, decimal_places=2, default=Decimal("0")
    )
    currency = models.CharField(max_length=3)
    mrr_amount = models.DecimalField("monthly recurring", max_digits=12, decimal_places=2, default=Decimal("0"))
    one_time_amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    # The lines' totals over their terms (monthly x months committed + one-time), and against what
    # the customer pays today for what the lines change (for new services, the same amount).
    contract_value_amount = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    contract_value_change_amount = models.DecimalField(
        "contract value change", max_digits=14, decimal_places=2, default=Decimal("0")
    )
    # Every service the customer pays for at the quote's sites, a month, when it was last priced
    # (None: priced before this was kept; the document then shows the changed services' sum).
    mrr_today_amount = models.DecimalField(
        "monthly recurring today at the quote's sites", max_digits=12, decimal_places=2, null=True, blank=True
    )
    valid_until = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    # Maker-checker: who last changed a price on the quote, and a count of its price changes
    # (an approval holds for the prices it was asked on, no other).
    priced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="prices last changed by",
    )
    price_revision = models.PositiveIntegerField(default=0)
    # Submitted for approval (a draft whose rules fired): what the approvers' inbox lists, until
    # the last approval is given, one is rejected, or an edit asks for them again.
    submitted_at = models.DateTimeField("submitted for approval at", null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    presented_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_by_name = models.CharField("accepted by (customer)", max_length=200, blank=True)
    decision_note = models.TextField(blank=True)
    history = audit.history()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.number} {self.name}".strip()

    @property
    def number(self) -> str:
        return f"Q-{self.pk:06d}"

    @property
    def mrr_change_amount(self) -> Decimal:
        return self.mrr_amount - self.mrr_before_amount

    @property
    def mrr_after_amount(self) -> Decimal | None:
        """What the customer pays a month at the quote's sites once it is done (None: not known)."""
        if self.mrr_today_amount is None:
            return None
        return monthly_after(
            today_amount=self.mrr_today_amount, mrr_before_amount=self.mrr_before_amount, mrr_amount=self.mrr_amount
        )

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def awaiting_approval(self) -> bool:
        """A draft submitted for approval, its approvers not all done yet."""
        return self.status == self.Status.DRAFT and self.submitted_at is not None

    def is_expired_on(self, day: dt.date) -> bool:
        return self.valid_until is not None and day > self.valid_until

    def get_absolute_url(self) -> str:
        return reverse("quoting:quote_detail", args=[self.pk])


class QuoteLine(models.Model):
    class Action(models.TextChoices):
        ADD = "add", "Add"
        UPGRADE = "upgrade", "Upgrade"
        DOWNGRADE = "downgrade", "Downgrade"
        RE_TERM = "re_term", "Re-term"
        RE_RATE = "re_rate", "Re-rate"
        MOVE = "move", "Move"
        REPLACE = "replace", "Replace"
        CANCEL = "cancel", "Cancel"

    # What each action becomes on the order (TMF productOrderItem.action).
    ORDER_ACTION: dict[str, str] = {
        "add": WorkAction.ADD,
        "upgrade": WorkAction.MODIFY,
        "downgrade": WorkAction.MODIFY,
        "re_term": WorkAction.MODIFY,
        "re_rate": WorkAction.MODIFY,
        "move": WorkAction.MODIFY,
        "replace": WorkAction.MODIFY,
        "cancel": WorkAction.DELETE,
    }

    # Changes that touch only the contract (term, price): no work on the network or at the site.
    COMMERCIAL_ACTIONS = ("re_term", "re_rate")

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    action = models.CharField(max_length=10, choices=Action.choices, default=Action.ADD)
    # A change line acts on a service the account already has.
    target_service = models.ForeignKey(
        "inventory.Service", null=True, blank=True, on_delete=models.PROTECT, related_name="quote_lines"
    )
    # An add-on rides on a base: a new line on this quote or a service the account has. A
    # change line carried by its base's cancel or move points at that line too.
    base_line = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="addon_lines", verbose_name="rides on"
    )
    base_service = models.ForeignKey(
        "inventory.Service", null=True, blank=True, on_delete=models.PROTECT, related_name="addon_quote_lines"
    )
    mrc_before_amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    etf_amount = models.DecimalField("early-termination fee", max_digits=12, decimal_places=2, default=Decimal("0"))
    discount_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))
    # How far below the catalog's monthly price the line is, whatever cut it (a discount, a
    # re-rate, a promotion stacked on a discount): what the discount approval rule looks at.
    price_cut_percent = models.DecimalField(
        "below catalog price %", max_digits=5, decimal_places=2, default=Decimal("0")
    )
    negotiated_mrc_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    # The line's share of the quote discount, per month (already taken off `mrc_amount`).
    quote_discount_amount = models.DecimalField(
        "share of the quote discount", max_digits=12, decimal_places=2, default=Decimal("0")
    )
    # The catalog promotion the line carries (the best one on sale when it was added; kept after
    # the promotion ends): the first `promo_months` months at `promo_mrc_amount` (None: nothing
    # off the monthly charge), and/or installation waived.
    promotion = models.ForeignKey(
        "catalog.Promotion", null=True, blank=True, on_delete=models.PROTECT, related_name="quote_lines"
    )
    promo_mrc_amount = models.DecimalField(
        "monthly charge during the promotion", max_digits=12, decimal_places=2, null=True, blank=True
    )
    promo_months = models.PositiveSmallIntegerField("months at the promotional charge", default=0)
    floor_breached = models.BooleanField(default=False)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="quote_lines")
    product_version = models.ForeignKey(ProductVersion, on_delete=models.PROTECT, related_name="quote_lines")
    term_months = models.PositiveSmallIntegerField(choices=Term.choices)
    quantity = models.PositiveIntegerField()
    mrc_unit_amount = models.DecimalField(max_digits=12, decimal_places=2)
    nrc_unit_amount = models.DecimalField(max_digits=12, decimal_places=2)
    mrc_amount = models.DecimalField(max_digits=12, decimal_places=2)
    nrc_amount = models.DecimalField(max_digits=12, decimal_places=2)
    contract_value_amount = models.DecimalField(max_digits=14, decimal_places=2)
    # Against what the customer pays today over the months the line releases (pricing's rules).
    contract_value_change_amount = models.DecimalField(
        "contract value change", max_digits=14, decimal_places=2, default=Decimal("0")
    )
    # A one-time charge per unit set outside the catalog's prices (a construction charge, priced
    # by the distance to our network), and why, in sales' words.
    nrc_set_amount = models.DecimalField(
        "one-time charge set by rule", max_digits=12, decimal_places=2, null=True, blank=True
    )
    note = models.CharField(max_length=200, blank=True)
    history = audit.history()

    class Meta:
        ordering = ["quote", "position"]
        constraints = [
            models.UniqueConstraint(fields=["quote", "position"], name="quote_line_unique_position"),
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="quote_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quote.number} #{self.position}"

    @property
    def is_change(self) -> bool:
        return self.action != self.Action.ADD

    @classmethod
    def work_action(cls, action: str, *, changes_version: bool, moves: bool) -> str | None:
        """The work-order template a line with this action becomes (add, modify, move, delete),
        or None for a re-term or re-rate that leaves the product as it is: the order applies it
        to the service at once, with no work order."""
        if action in cls.COMMERCIAL_ACTIONS and not changes_version and not moves:
            return None
        if moves:
            return WorkAction.MOVE
        return cls.ORDER_ACTION[action]

    @property
    def mrc_change_amount(self) -> Decimal:
        return self.mrc_amount - self.mrc_before_amount


class ApprovalRule(models.Model):
    """When a quote needs someone's approval before it is presented; staff edit these."""

    class Kind(models.TextChoices):
        DISCOUNT_ABOVE = (
            "discount_above",
            "A line priced below the catalog, or a quote discount, by more than the threshold (%)",
        )
        BELOW_FLOOR = "below_floor", "A line priced below its floor"
        CONTRACT_VALUE_ABOVE = "contract_value_above", "Total contract value above the threshold"
        DAYS_PAST_DUE_ABOVE = (
            "days_past_due_above",
            "Customer's oldest unpaid invoice more days past due than the threshold",
        )
        OVERDUE_BALANCE_ABOVE = "overdue_balance_above", "Customer's overdue balance above the threshold"

    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    threshold = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    approver_role = models.CharField(max_length=16, choices=WORK_ROLE_CHOICES)
    active = models.BooleanField(default=True)
    history = audit.history()

    class Meta:
        ordering = ["kind", "threshold", "id"]

    def __str__(self) -> str:
        return self.name


class QuoteApproval(models.Model):
    """An approval a quote needs because a rule fired, and its decision."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        VOID = "void", "Void (the quote changed)"

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="approvals")
    rule = models.ForeignKey(ApprovalRule, on_delete=models.PROTECT, related_name="approvals")
    approver_role = models.CharField(max_length=16, choices=WORK_ROLE_CHOICES)
    reason = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField()
    price_revision = models.PositiveIntegerField(default=0)  # the quote's prices it was asked on

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.quote} {self.rule}: {self.status}"


class SiteImportJob(models.Model):
    """A large CSV of sites checked and priced by the worker, with its progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        CHECKING = "checking", "Checking rows"
        CHECKED = "checked", "Checked: some rows are invalid"  # the file is kept for "import the valid rows"
        IMPORTING = "importing", "Pricing and saving"
        COMPLETED = "completed", "Completed"
        REFUSED = "refused", "Refused"
        FAILED = "failed", "Failed"

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="site_imports")
    file = models.FileField(upload_to=RandomName("site-imports"))  # `file_name` is the person's name for it
    file_name = models.CharField(max_length=200)
    import_valid_rows = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_checked = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    invalid_rows = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} -> {self.quote}"

    @property
    def percent(self) -> int:
        """Progress for the bar: checking is the first half, pricing and saving the second."""
        if not self.rows_total:
            return 0
        valid = max(self.rows_total - self.invalid_rows, 1)
        return min(100, int(50 * self.rows_checked / self.rows_total + 50 * self.rows_done / valid))

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.CHECKED, self.Status.COMPLETED, self.Status.REFUSED, self.Status.FAILED)

    @property
    def valid_rows(self) -> int:
        return max(self.rows_total - self.invalid_rows, 0)


class UpgradeOffer(models.Model):
    """A faster plan offered on a service because coverage grew where it runs (quoting/upgrades.py):
    the plan offered, and the opportunity and draft change quote prepared for sales.

    One open offer per service: `closed_at` is set when its opportunity is won or lost (a revised
    quote may reopen the opportunity; the runs go by its stage). A plan once offered on a service
    is not offered on it again."""

    service = models.ForeignKey("inventory.Service", on_delete=models.CASCADE, related_name="upgrade_offers")
    product_version = models.ForeignKey(
        ProductVersion, on_delete=models.PROTECT, related_name="upgrade_offers", verbose_name="plan offered"
    )
    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="upgrade_offers")
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="upgrade_offers")
    # What made the offer: a coverage file, or an area staff entered.
    coverage_import = models.ForeignKey(
        "network.CoverageImport", null=True, blank=True, on_delete=models.SET_NULL, related_name="upgrade_offers"
    )
    coverage_area = models.ForeignKey(
        "network.CoverageArea", null=True, blank=True, on_delete=models.SET_NULL, related_name="upgrade_offers"
    )
    created_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["service"],
                condition=models.Q(closed_at__isnull=True),
                name="upgrade_offer_one_open_per_service",
            ),
            models.UniqueConstraint(fields=["service", "product_version"], name="upgrade_offer_once_per_plan"),
        ]

    def __str__(self) -> str:
        return f"{self.service_id} -> {self.product_version}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class SiteSurvey(models.Model):
    """A site survey a quote needs before it is presented: the site is near our network (a build,
    with a construction charge) or where it is is not known. One per site per opportunity (a
    revised quote keeps it); fulfillment does the survey as a work order and reports the outcome,
    or a sales manager waives it with a reason."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Survey requested"
        SCHEDULED = "scheduled", "Survey scheduled"
        DONE_FEASIBLE = "done_feasible", "Surveyed: can be built"
        DONE_NOT_FEASIBLE = "done_not_feasible", "Surveyed: cannot be built"
        WAIVED = "waived", "Waived by a manager"

    class Reach(models.TextChoices):
        NEAR_NET = "near_net", "Near our network"
        UNKNOWN = "unknown", "Not on the map"

    # Present may go on: the survey found the site can be built, or a manager waived it.
    CLEARED = (Status.DONE_FEASIBLE, Status.WAIVED)
    OPEN = (Status.REQUESTED, Status.SCHEDULED)

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="site_surveys")
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="site_surveys")  # the one that asked
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="site_surveys")
    reach = models.CharField(max_length=10, choices=Reach.choices)
    distance_m = models.PositiveIntegerField("metres from our network", null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED)
    # The construction charge as estimated from the distance, and as the survey revised it.
    estimate_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    revised_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3)
    work_order_number = models.CharField(max_length=20, blank=True)  # fulfillment's, once made
    outcome_notes = models.TextField(blank=True)
    requested_at = models.DateTimeField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    waiver_reason = models.CharField(max_length=300, blank=True)
    history = audit.history()

    class Meta:
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["opportunity", "location"], name="site_survey_once_per_site"),
            models.CheckConstraint(
                condition=~models.Q(status="waived") | ~models.Q(waiver_reason=""),
                name="site_survey_waiver_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Survey of {self.location_id} for {self.quote_id}"

    @property
    def cleared(self) -> bool:
        return self.status in self.CLEARED

    @property
    def construction_amount(self) -> Decimal | None:
        """The construction charge to quote: as revised by the survey, else as estimated."""
        return self.revised_amount if self.revised_amount is not None else self.estimate_amount
