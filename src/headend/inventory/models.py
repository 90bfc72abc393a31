"""The service inventory: one record per subscription instance at one location."""

from django.db import models
from django.urls import reverse

from headend.catalog.models import ProductVersion, Term, WorkAction
from headend.core import audit
from headend.core.models import StatusModel
from headend.crm.models import Account, Location
from headend.network.models import Element, Outage


class Service(StatusModel):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PROVISIONING = "provisioning", "Provisioning"
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        PENDING_DISCONNECT = "pending_disconnect", "Pending disconnect"
        DISCONNECTED = "disconnected", "Disconnected"

    TRANSITIONS = {
        "pending": {"provisioning", "active", "disconnected"},
        "provisioning": {"active", "disconnected"},
        "active": {"suspended", "pending_disconnect"},
        "suspended": {"active", "pending_disconnect"},
        "pending_disconnect": {"disconnected", "active"},
        "disconnected": set(),
    }
    # What staff (or the API, or the board) may ask for on a live service, done by a work order
    # from the product's template: action -> (the statuses it applies to, its verb, done).
    ACTIONS: dict[str, tuple[tuple[str, ...], str, str]] = {
        WorkAction.SUSPEND: ((Status.ACTIVE,), "suspend", "suspended"),
        WorkAction.RESTORE: ((Status.SUSPENDED,), "restore", "restored"),
        WorkAction.DELETE: ((Status.ACTIVE, Status.SUSPENDED), "disconnect", "disconnected"),
    }

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="services")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="services")
    product_version = models.ForeignKey(ProductVersion, on_delete=models.PROTECT, related_name="services")
    order_line = models.OneToOneField(
        "orders.OrderLine", null=True, blank=True, on_delete=models.PROTECT, related_name="created_service"
    )
    # An add-on (static IP block, managed Wi-Fi) rides on a base service at the same location.
    base_service = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="addons", verbose_name="rides on"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    term_months = models.PositiveSmallIntegerField(choices=Term.choices)
    quantity = models.PositiveIntegerField(default=1)
    mrc_amount = models.DecimalField("monthly recurring", max_digits=12, decimal_places=2)
    nrc_amount = models.DecimalField("one-time", max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    # Network identifiers (circuit id, RADIUS username, addresses) set by provisioning.
    circuit_id = models.CharField(max_length=40, blank=True)
    identifiers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    activated_at = models.DateTimeField(null=True, blank=True)
    billable_from = models.DateTimeField(null=True, blank=True)
    billable_until = models.DateTimeField(null=True, blank=True)
    # When the current product, price and term took effect (turn-up, then each change).
    current_since = models.DateTimeField(null=True, blank=True)
    term_start_date = models.DateField(null=True, blank=True)
    term_end_date = models.DateField(null=True, blank=True)
    status_changed_at = models.DateTimeField()
    history = audit.history()

    class Meta:
        ordering = ["account", "id"]
        indexes = [models.Index(fields=["status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["circuit_id"], condition=~models.Q(circuit_id=""), name="service_unique_circuit"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.product_version.product.name}"

    @property
    def number(self) -> str:
        return f"S-{self.pk:06d}"

    @property
    def is_billable(self) -> bool:
        return self.billable_from is not None and self.billable_until is None

    def get_absolute_url(self) -> str:
        return reverse("inventory:service_detail", args=[self.pk])


class ServiceStatusChange(models.Model):
    """Each move of a service's status, with the instant it happened (TMF638 state history)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.service_id}: {self.from_status} -> {self.to_status}"


class ServiceElement(models.Model):
    """A network element a service rides on (its PON port, its sector, its CPE): set by the
    provisioning code tasks that know it, or by hand. An outage on the element or anything above
    it in the topology impacts the service."""

    class Source(models.TextChoices):
        PROVISIONING = "provisioning", "Provisioning"
        STAFF = "staff", "Staff"
        IMPORT = "import", "Import"

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="element_bindings")
    element = models.ForeignKey(Element, on_delete=models.PROTECT, related_name="service_bindings")
    source = models.CharField(max_length=12, choices=Source.choices)
    bound_at = models.DateTimeField()

    class Meta:
        ordering = ["service", "element__path"]
        constraints = [models.UniqueConstraint(fields=["service", "element"], name="service_element_unique")]

    def __str__(self) -> str:
        return f"{self.service_id} on {self.element_id}"


class ServiceOutage(models.Model):
    """A service an outage impacted, as it was when the impact was worked out (its MRR then is the
    revenue at risk); `started_at`/`ended_at` bound the time it counted as down, which the
    service's availability is computed from."""

    outage = models.ForeignKey(Outage, on_delete=models.CASCADE, related_name="impacts")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="outages")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    mrc_amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["outage", "service"]
        constraints = [models.UniqueConstraint(fields=["outage", "service"], name="service_outage_unique")]
        indexes = [models.Index(fields=["service", "started_at"], name="service_outage_service")]

    def __str__(self) -> str:
        return f"{self.service_id} in outage {self.outage_id}"
