"""Products, their dated versions and prices per term, and work-order templates.

Quotes and services bind to the ProductVersion they were priced on, so publishing a new
version never changes a live service."""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.urls import reverse

from headend.catalog.sla_terms import check_availability_terms
from headend.core import audit
from headend.core.errors import ValidationError
from headend.core.models import StatusModel
from headend.core.permissions import WORK_ROLE_CHOICES


class BillingTiming(models.TextChoices):
    ADVANCE = "advance", "In advance"
    ARREARS = "arrears", "In arrears"


class Proration(models.TextChoices):
    DAILY = "daily", "Daily (by the days in the period)"
    NONE = "none", "None (whole periods)"


class SuspendedCharge(models.TextChoices):
    NO_CHARGE = "no_charge", "No charge"
    FULL = "full", "Full price"
    HOLD = "hold", "Hold rate"


class TaxCategory(models.TextChoices):
    """What a charge is for tax purposes (tax rates name the categories they apply to)."""

    INTERNET = "internet", "Internet access"
    VOICE = "voice", "Voice"
    EQUIPMENT = "equipment", "Equipment"
    OTHER = "other", "Other services"


class Product(models.Model):
    class Kind(models.TextChoices):
        INTERNET = "internet", "Internet access"
        ADDON = "addon", "Add-on"
        VOICE = "voice", "Voice"
        # A build to a site near the network: a one-time charge priced by distance (quoting), its
        # "survey" template the site survey, its "add" template the build itself.
        CONSTRUCTION = "construction", "Construction"

    class Delivery(models.TextChoices):
        """How the product reaches the site: over the provider's own network (coverage decides
        where it is sold), or bought from a wholesale partner (sold off and near the network)."""

        ON_NET = "on_net", "Our network"
        WHOLESALE = "wholesale", "Wholesale partner"

    class CustomerType(models.TextChoices):
        RESIDENTIAL = "residential", "Residential"
        BUSINESS = "business", "Business"
        ANY = "any", "Residential and business"

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    customer_type = models.CharField(max_length=12, choices=CustomerType.choices)
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.ON_NET)
    # Add-ons are sold on top of one of these base products.
    addon_of = models.ManyToManyField("self", symmetrical=False, blank=True, related_name="addons")
    # How billing charges it (billing/policies.py reads these; a billing account may override
    # proration).
    billing_timing = models.CharField(
        "recurring charges", max_length=8, choices=BillingTiming.choices, default=BillingTiming.ADVANCE
    )
    proration = models.CharField(max_length=8, choices=Proration.choices, default=Proration.DAILY)
    while_suspended = models.CharField(
        "while suspended", max_length=10, choices=SuspendedCharge.choices, default=SuspendedCharge.NO_CHARGE
    )
    hold_mrc_amount = models.DecimalField(
        "hold rate (monthly)",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Charged per month while the service is suspended, when the policy is the hold rate.",
    )
    tax_category = models.CharField(max_length=10, choices=TaxCategory.choices, default=TaxCategory.INTERNET)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalog:product_detail", args=[self.pk])


class EtfKind(models.TextChoices):
    """How an early-termination fee is worked out (the values quoting/pricing.py knows)."""

    NONE = "none", "None"
    PERCENT_OF_REMAINING = "percent_of_remaining", "Percent of the remaining monthly charges"
    FLAT = "flat", "Flat amount"
    PER_REMAINING_MONTH = "per_remaining_month", "Amount per remaining month"


class DataCapAction(models.TextChoices):
    NOTIFY = "notify", "Notify the customer only"
    OVERAGE = "overage", "Bill overage per block"
    THROTTLE = "throttle", "Throttle until the next cycle"


class ProductVersion(StatusModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"

    TRANSITIONS = {"draft": {"published"}, "published": {"retired"}, "retired": set()}

    class Technology(models.TextChoices):
        FIBER = "fiber", "Fiber (FTTP)"
        CABLE = "cable", "Cable (DOCSIS)"
        FIXED_WIRELESS = "fixed_wireless", "Fixed wireless"
        DSL = "dsl", "DSL"
        NONE = "", "Not access-specific"

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    effective_from = models.DateField()
    # Characteristics.
    download_mbps = models.PositiveIntegerField(null=True, blank=True)
    upload_mbps = models.PositiveIntegerField(null=True, blank=True)
    technology = models.CharField(max_length=16, choices=Technology.choices, blank=True)
    static_ips = models.PositiveIntegerField(default=0)
    notes = models.TextField(blank=True)
    # Pricing rules (all optional; quoting/pricing.py applies them). The lowest monthly charge
    # per unit a discount may reach without approval; none = no floor.
    floor_mrc_amount = models.DecimalField(
        "floor (monthly per unit)", max_digits=12, decimal_places=2, null=True, blank=True
    )
    # Early-termination fee when a service on this version is cancelled inside its term.
    etf_kind = models.CharField("early-termination fee", max_length=20, choices=EtfKind.choices, default=EtfKind.NONE)
    etf_percent = models.DecimalField("ETF percent", max_digits=5, decimal_places=2, null=True, blank=True)
    etf_amount = models.DecimalField("ETF amount", max_digits=12, decimal_places=2, null=True, blank=True)
    etf_cap_amount = models.DecimalField("ETF cap", max_digits=12, decimal_places=2, null=True, blank=True)
    # The terms' "capped at six months": the fee counts at most this many of the months left.
    etf_cap_months = models.PositiveSmallIntegerField("ETF cap (months)", null=True, blank=True)
    etf_on_downgrade = models.BooleanField("ETF also on a downgrade inside the term", default=False)
    etf_on_replace = models.BooleanField("ETF also on a replacement inside the term", default=False)
    move_fee_amount = models.DecimalField("move fee (one-time)", max_digits=12, decimal_places=2, default=Decimal(0))
    installation_waivable = models.BooleanField("installation may be waived without approval", default=False)
    # The FCC broadband consumer label (portal/labels.py): what the plan typically delivers, its
    # data policy, fees the provider adds each month, and the label's unique identifier.
    typical_download_mbps = models.PositiveIntegerField("typical download speed (Mbps)", null=True, blank=True)
    typical_upload_mbps = models.PositiveIntegerField("typical upload speed (Mbps)", null=True, blank=True)
    typical_latency_ms = models.PositiveIntegerField("typical latency (ms)", null=True, blank=True)
    data_cap_gb = models.PositiveIntegerField(
        "data included (GB a month)", null=True, blank=True, help_text="Empty: unlimited."
    )
    data_policy = models.TextField(blank=True, help_text="What happens at the cap, or that there is none.")
    # What the usage app does when a service passes data_cap_gb in a cycle (usage/caps.py).
    data_cap_action = models.CharField(
        "at the cap", max_length=10, choices=DataCapAction.choices, default=DataCapAction.NOTIFY
    )
    data_overage_block_gb = models.PositiveIntegerField("overage block (GB)", null=True, blank=True)
    data_overage_block_amount = models.DecimalField(
        "price per overage block", max_digits=12, decimal_places=2, null=True, blank=True
    )
    # Voice plans: minutes a month included before calls are charged from the rate deck.
    voice_included_minutes = models.PositiveIntegerField("included minutes a month", null=True, blank=True)
    monthly_fees = models.JSONField(
        "provider monthly fees",
        default=list,
        blank=True,
        help_text='Fees added every month, as [{"name": "Router rental", "amount": "10.00"}]; empty: none.',
    )
    fcc_label_id = models.CharField(
        "FCC label identifier",
        max_length=26,
        blank=True,
        help_text='"F", the provider\'s FRN and up to 15 letters or digits; empty: generated from the FRN and version.',
    )
    # What one unit costs the provider a month (backhaul, wholesale, licences): a case shows the
    # customer's profit as MRR minus this. Empty: not known.
    monthly_cost_amount = models.DecimalField(
        "cost (monthly per unit)", max_digits=12, decimal_places=2, null=True, blank=True
    )
    # The availability the contract promises and the credits owed below it (support/sla_credits.py),
    # as [{"below": "99.9", "credit_percent": "10"}, ...]; empty target: no promise.
    availability_target = models.DecimalField(
        "availability promised (%)", max_digits=6, decimal_places=3, null=True, blank=True
    )
    availability_credits = models.JSONField(
        "availability credits",
        default=list,
        blank=True,
        help_text="Credit as a percent of the month's charge when availability falls below a level, as "
        '[{"below": "99.9", "credit_percent": "10"}, {"below": "99.5", "credit_percent": "25"}].',
    )
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    history = audit.history()

    class Meta:
        ordering = ["product__name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["product", "version"], name="product_version_unique"),
            models.CheckConstraint(
                condition=models.Q(floor_mrc_amount__isnull=True) | models.Q(floor_mrc_amount__gte=0),
                name="version_floor_not_negative",
                violation_error_message="The floor cannot be negative.",
            ),
            models.CheckConstraint(
                condition=models.Q(move_fee_amount__gte=0),
                name="version_move_fee_not_negative",
                violation_error_message="The move fee cannot be negative.",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(etf_kind="none")
                    | models.Q(etf_kind="percent_of_remaining", etf_percent__gt=0, etf_percent__lte=100)
                    | models.Q(etf_kind__in=["flat", "per_remaining_month"], etf_amount__gte=0)
                ),
                name="version_etf_rule_complete",
                violation_error_message=(
                    "An ETF of a percent of the remaining charges needs a percent above 0 and at most 100; "
                    "a flat or per-month ETF needs an amount that is not negative."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(etf_cap_amount__isnull=True) | models.Q(etf_cap_amount__gte=0),
                name="version_etf_cap_not_negative",
                violation_error_message="The ETF cap cannot be negative.",
            ),
            models.CheckConstraint(
                condition=models.Q(monthly_cost_amount__isnull=True) | models.Q(monthly_cost_amount__gte=0),
                name="version_cost_not_negative",
                violation_error_message="The monthly cost cannot be negative.",
            ),
            models.CheckConstraint(
                condition=models.Q(availability_target__isnull=True)
                | models.Q(availability_target__gt=0, availability_target__lte=100),
                name="version_availability_target_percent",
                violation_error_message="The availability promised is a percent above 0 and at most 100.",
            ),
            models.UniqueConstraint(
                fields=["fcc_label_id"],
                condition=~models.Q(fcc_label_id=""),
                name="version_fcc_label_id_unique",
                violation_error_message="Another plan's label has this identifier.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.name} v{self.version}"

    def clean(self) -> None:
        """The credit table's rules (catalog/sla_terms.py), for the admin as for version_create;
        the table is stored normalised, highest level first."""
        try:
            _, self.availability_credits = check_availability_terms(
                target=self.availability_target, credits=self.availability_credits
            )
        except ValidationError as exc:
            field = (exc.field or "availability_credits").split("[")[0]
            raise DjangoValidationError({field: exc.message}) from exc

    def is_sellable_on(self, day: dt.date) -> bool:
        return self.status == self.Status.PUBLISHED and self.effective_from <= day

    @property
    def speed_label(self) -> str:
        if not self.download_mbps:
            return ""

        def fmt(mbps: int) -> str:
            return f"{mbps // 1000} Gbps" if mbps >= 1000 and mbps % 1000 == 0 else f"{mbps} Mbps"

        up = self.upload_mbps or self.download_mbps
        return fmt(self.download_mbps) if up == self.download_mbps else f"{fmt(self.download_mbps)} / {fmt(up)}"

    @property
    def sales_name(self) -> str:
        """The name sales and customers read (the picker, quote lines, the PDF): the product and
        its speed, without the catalog's version number (`__str__` keeps it for staff records)."""
        speed = self.speed_label
        if not speed or speed in self.product.name:  # "Dedicated Internet 1 Gbps" says it already
            return self.product.name
        return f"{self.product.name} · {speed}"


class Term(models.IntegerChoices):
    MONTH_TO_MONTH = 0, "Month-to-month"
    MONTHS_12 = 12, "12 months"
    MONTHS_24 = 24, "24 months"
    MONTHS_36 = 36, "36 months"


class Price(models.Model):
    """What a version costs on one contract term: monthly recurring and one-time."""

    version = models.ForeignKey(ProductVersion, on_delete=models.CASCADE, related_name="prices")
    term_months = models.PositiveSmallIntegerField(choices=Term.choices)
    mrc_amount = models.DecimalField("monthly recurring", max_digits=12, decimal_places=2)
    nrc_amount = models.DecimalField("one-time", max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    history = audit.history()

    class Meta:
        ordering = ["version", "term_months"]
        constraints = [
            models.UniqueConstraint(fields=["version", "term_months"], name="price_unique_term"),
            models.CheckConstraint(condition=models.Q(mrc_amount__gte=0, nrc_amount__gte=0), name="price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.version} {self.get_term_months_display()}"


class PriceTier(models.Model):
    """A volume tier of a per-unit product on one term: a line whose whole quantity falls in
    `min_quantity`..`max_quantity` pays this monthly price for every unit (volume, not graduated,
    pricing). A quantity outside every tier pays the term's list price."""

    version = models.ForeignKey(ProductVersion, on_delete=models.CASCADE, related_name="tiers")
    term_months = models.PositiveSmallIntegerField(choices=Term.choices)
    min_quantity = models.PositiveIntegerField()
    max_quantity = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: and above.")
    mrc_amount = models.DecimalField("monthly per unit", max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    history = audit.history()

    class Meta:
        ordering = ["version", "term_months", "min_quantity"]
        constraints = [
            models.UniqueConstraint(fields=["version", "term_months", "min_quantity"], name="price_tier_unique_start"),
            models.CheckConstraint(
                condition=models.Q(min_quantity__gte=1)
                & (models.Q(max_quantity__isnull=True) | models.Q(max_quantity__gte=models.F("min_quantity"))),
                name="price_tier_range",
                violation_error_message="A tier runs from 1 or more up to a quantity not below its start.",
            ),
            models.CheckConstraint(
                condition=models.Q(mrc_amount__gte=0),
                name="price_tier_not_negative",
                violation_error_message="A tier price cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        upto = f"-{self.max_quantity}" if self.max_quantity is not None else "+"
        return f"{self.version} {self.get_term_months_display()} {self.min_quantity}{upto}"


class MrcOffKind(models.TextChoices):
    NONE = "none", "No monthly discount"
    PERCENT = "percent", "Percent off the monthly charge"
    AMOUNT = "amount", "Amount off the monthly charge per unit"


class Promotion(models.Model):
    """A time-boxed offer on a product (or one of its versions): some months at a lower monthly
    charge, installation waived, or both, on the terms it names (none named: every term)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="promotions")
    version = models.ForeignKey(
        ProductVersion,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="promotions",
        help_text="Empty: every version of the product.",
    )
    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True, help_text="Last day it can be quoted; empty: open-ended.")
    mrc_off_kind = models.CharField(max_length=8, choices=MrcOffKind.choices, default=MrcOffKind.NONE)
    mrc_off_value = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal(0))
    mrc_off_months = models.PositiveSmallIntegerField(default=0)
    waives_installation = models.BooleanField(default=False)
    # Contract terms (months) it applies to; empty: every term.
    terms = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()
    history = audit.history()

    class Meta:
        ordering = ["product", "-valid_from", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=models.F("valid_from")),
                name="promotion_dates_in_order",
                violation_error_message="A promotion cannot end before it starts.",
            ),
            models.CheckConstraint(
                condition=models.Q(mrc_off_kind="none")
                | models.Q(mrc_off_kind="percent", mrc_off_value__gt=0, mrc_off_value__lte=100, mrc_off_months__gte=1)
                | models.Q(mrc_off_kind="amount", mrc_off_value__gt=0, mrc_off_months__gte=1),
                name="promotion_mrc_off_complete",
                violation_error_message=(
                    "A monthly discount needs a value above 0 (a percent at most 100) and at least one month."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def state_on(self, day: dt.date) -> str:
        """ "upcoming", "current" or "ended" on `day`."""
        if day < self.valid_from:
            return "upcoming"
        return "current" if self.valid_to is None or day <= self.valid_to else "ended"

    @property
    def offer_label(self) -> str:
        """ "First 3 months 50% off; installation waived"."""
        parts = []
        months = f"first {self.mrc_off_months} month{'s' if self.mrc_off_months != 1 else ''}"
        if self.mrc_off_kind == MrcOffKind.PERCENT:
            parts.append(f"{months} {self.mrc_off_value.normalize():f}% off")
        elif self.mrc_off_kind == MrcOffKind.AMOUNT:
            parts.append(f"{months} {self.mrc_off_value} off per unit")
        if self.waives_installation:
            parts.append("installation waived")
        return "; ".join(parts).capitalize()


class ProductRelation(models.Model):
    """Where a customer on `product` can go: an upgrade or downgrade path, or the product that
    replaces it (`target` replaces `product`). Add-ons are `Product.addon_of`."""

    class Kind(models.TextChoices):
        UPGRADE = "upgrade", "Upgrade to"
        DOWNGRADE = "downgrade", "Downgrade to"
        REPLACED_BY = "replaced_by", "Replaced by"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="relations")
    target = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="relations_in")
    kind = models.CharField(max_length=12, choices=Kind.choices)

    class Meta:
        ordering = ["product", "kind", "target__name"]
        constraints = [
            models.UniqueConstraint(fields=["product", "target"], name="product_relation_unique"),
            models.CheckConstraint(
                condition=~models.Q(product=models.F("target")),
                name="product_relation_not_self",
                violation_error_message="A product cannot relate to itself.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} {self.get_kind_display().lower()} {self.target}"


class Skill(models.Model):
    """What a template's task requires and a technician has: splicing, tower climbing, voice
    porting. The catalog's, as the templates name them; fulfillment's technicians have them."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)

    class Meta:
        ordering = ["name"]
        db_table = "fulfillment_skill"  # where it was made, before templates moved to the catalog

    def __str__(self) -> str:
        return self.name


class WorkAction(models.TextChoices):
    """What work does to a service, one vocabulary from the quote line to the work order: a quote
    line's action (upgrade, re-term, move...) becomes an order line's add, modify or delete (the
    TMF item actions, `OrderLine.Action`), and the order line the work of its template, where a
    modify that changes the location is a move. Suspend and restore are asked for on a live
    service, outside any order. The templates (here) and the work orders (fulfillment) take it."""

    ADD = "add", "Add"
    MODIFY = "modify", "Modify"
    MOVE = "move", "Move"
    DELETE = "delete", "Disconnect"
    SUSPEND = "suspend", "Suspend"
    RESTORE = "restore", "Restore"
    # A site survey before a build (the construction product's template), bound to a location.
    SURVEY = "survey", "Site survey"


class WorkOrderTemplate(models.Model):
    """The work that an order line for this product and action turns into."""

    Action = WorkAction

    # What a sellable product needs before it is published: every change a quote can make to
    # its services must become work (an add-on is suspended and restored with its base).
    REQUIRED_ACTIONS = (WorkAction.ADD, WorkAction.MODIFY, WorkAction.MOVE, WorkAction.DELETE)
    REQUIRED_ACTIONS_NETWORK = (WorkAction.SUSPEND, WorkAction.RESTORE)

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="templates")
    action = models.CharField(max_length=8, choices=WorkAction.choices)
    name = models.CharField(max_length=120)
    history = audit.history()

    class Meta:
        ordering = ["product", "action"]
        constraints = [
            models.UniqueConstraint(fields=["product", "action"], name="template_unique_action"),
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def required_actions(cls, product: Product) -> tuple[str, ...]:
        """The actions `product` needs a template for: base services are also suspended and
        restored on the network; an add-on follows its base; a construction charge is a build
        (add) after its site survey."""
        if product.kind == Product.Kind.CONSTRUCTION:
            return (WorkAction.ADD, WorkAction.SURVEY)
        if product.kind == Product.Kind.ADDON:
            return cls.REQUIRED_ACTIONS
        return cls.REQUIRED_ACTIONS + cls.REQUIRED_ACTIONS_NETWORK


class TemplateTask(models.Model):
    class Kind(models.TextChoices):
        MANUAL = "manual", "Manual"
        CODE = "code", "Code (run by the worker)"
        MILESTONE = "milestone", "Milestone"
        APPROVAL = "approval", "Approval"

    template = models.ForeignKey(WorkOrderTemplate, on_delete=models.CASCADE, related_name="tasks")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.MANUAL)
    role = models.CharField(max_length=16, choices=WORK_ROLE_CHOICES, blank=True)
    skill = models.ForeignKey(
        Skill,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="required skill",
    )
    planned_minutes = models.PositiveIntegerField(default=60)
    code_action = models.CharField(max_length=60, blank=True)
    # What the code action is told (a pool, an HTTP call, the RADIUS auth type); secrets by name only.
    code_params = models.JSONField(default=dict, blank=True)
    # The task whose completion turns the service up (for a cancel: disconnects it).
    turns_up = models.BooleanField(default=False)
    # Items the technician ticks before completing the task ("Light level at ONT within range").
    checklist = models.JSONField(default=list, blank=True)
    # What the technician brings for this task ("ONT", "2 m patch cord"), shown on the work order.
    equipment = models.JSONField(default=list, blank=True)
    # The customer is booked for this task (an installation): it starts at the appointment.
    needs_appointment = models.BooleanField(default=False)
    # What to do to reverse this task when its order is cancelled after it was done.
    undo = models.CharField("undo when cancelled", max_length=120, blank=True)
    history = audit.history()
    depends_on: "models.ManyToManyField[TemplateTask, TemplateDependency]" = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="successors",
        through="TemplateDependency",
        through_fields=("task", "predecessor"),
    )

    class Meta:
        ordering = ["template", "position"]
        constraints = [
            models.UniqueConstraint(fields=["template", "position"], name="template_task_unique_position"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"


class TemplateDependency(models.Model):
    """Finish-to-start: `task` starts `lag_minutes` of working time after `predecessor` finishes."""

    task = models.ForeignKey(TemplateTask, on_delete=models.CASCADE, related_name="dependencies")
    predecessor = models.ForeignKey(TemplateTask, on_delete=models.CASCADE, related_name="dependents")
    lag_minutes = models.PositiveIntegerField(default=0)
    history = audit.history()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["task", "predecessor"], name="template_dependency_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor_id} -> {self.task_id} (+{self.lag_minutes} min)"
