"""IP pools per region and technology, and the addresses or prefixes handed out of them.

No address is handed out twice because the database refuses it: one row per (pool, index),
whatever the workers running at the same time believe."""

from django.conf import settings
from django.db import models
from django.urls import reverse

from headend.catalog.models import ProductVersion
from headend.core import audit
from headend.ipam import prefixes


class Family(models.TextChoices):
    IPV4 = "ipv4", "IPv4"
    IPV6 = "ipv6", "IPv6"


class IPPool(models.Model):
    name = models.CharField(max_length=80, unique=True)
    # A pool with no region (or no technology) serves every region (technology); a service
    # takes the most specific active pool that matches its location's city and its plan.
    region = models.CharField(max_length=80, blank=True)
    technology = models.CharField(max_length=16, choices=ProductVersion.Technology.choices, blank=True)
    family = models.CharField(max_length=4, choices=Family.choices)
    prefix = models.CharField(max_length=49, help_text="In CIDR notation: 100.64.0.0/22, 2001:db8:100::/40.")
    allocation_length = models.PositiveSmallIntegerField(
        "allocation size",
        help_text="The prefix length of each allocation: 32 = single IPv4 addresses, 29 = IPv4 blocks of eight, "
        "56 or 64 = IPv6 prefixes delegated to the customer's router.",
    )
    gateway = models.CharField(max_length=39, blank=True, help_text="An address in the pool never handed out.")
    # Units that may be handed out (network, broadcast and gateway excluded); kept so usage is
    # one aggregate query.
    capacity = models.BigIntegerField()
    quarantine_days = models.PositiveIntegerField(
        default=30, help_text="Days a released address rests before another customer may get it."
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = audit.history()

    class Meta:
        ordering = ["family", "name"]
        verbose_name = "IP pool"
        constraints = [
            models.CheckConstraint(condition=models.Q(family__in=Family.values), name="ipam_pool_family_valid"),
            models.CheckConstraint(
                condition=models.Q(allocation_length__gte=1, allocation_length__lte=128),
                name="ipam_pool_allocation_length_valid",
            ),
            models.CheckConstraint(condition=models.Q(capacity__gte=1), name="ipam_pool_capacity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    def get_absolute_url(self) -> str:
        return reverse("ipam:pool_detail", args=[self.pk])

    @property
    def layout(self) -> prefixes.Layout:
        return prefixes.layout(prefix=self.prefix, allocation_length=self.allocation_length, gateway=self.gateway)

    @property
    def unit_name(self) -> str:
        """What one allocation is called on pages and in errors."""
        if self.family == Family.IPV4 and self.allocation_length == 32:
            return "address"
        return f"/{self.allocation_length} block"

    @property
    def unit_plural(self) -> str:
        return "addresses" if self.unit_name == "address" else f"{self.unit_name}s"


class IPAllocation(models.Model):
    class State(models.TextChoices):
        ASSIGNED = "assigned", "Assigned"
        QUARANTINED = "quarantined", "Quarantined"

    pool = models.ForeignKey(IPPool, on_delete=models.PROTECT, related_name="allocations")
    # The n-th unit of the pool's prefix (see prefixes.Layout); a BIGINT, so an IPv6 /32 in /56
    # blocks (2**24 of them) fits.
    index = models.BigIntegerField()
    address = models.CharField(max_length=49)
    # Kept when the address is released, so staff can see who had it last.
    service = models.ForeignKey(
        "inventory.Service", null=True, blank=True, on_delete=models.PROTECT, related_name="ip_allocations"
    )
    state = models.CharField(max_length=12, choices=State.choices, default=State.ASSIGNED)
    allocated_at = models.DateTimeField()
    released_at = models.DateTimeField(null=True, blank=True)
    reusable_after = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pool", "index"]
        verbose_name = "IP allocation"
        indexes = [models.Index(fields=["pool", "state", "reusable_after"], name="ipam_alloc_quarantine")]
        constraints = [
            # The guarantee itself: two workers racing for the same address, one insert fails.
            models.UniqueConstraint(fields=["pool", "index"], name="ipam_allocation_unique_index"),
            # One assigned unit per service and pool, so a re-run allocation finds the first.
            models.UniqueConstraint(
                fields=["service", "pool"],
                condition=models.Q(state="assigned"),
                name="ipam_allocation_one_per_service",
            ),
            models.CheckConstraint(condition=models.Q(index__gte=0), name="ipam_allocation_index_not_negative"),
            models.CheckConstraint(
                condition=(
                    models.Q(state="assigned", service__isnull=False, released_at__isnull=True)
                    | models.Q(state="quarantined", released_at__isnull=False, reusable_after__isnull=False)
                ),
                name="ipam_allocation_state_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.address} ({self.get_state_display().lower()})"
