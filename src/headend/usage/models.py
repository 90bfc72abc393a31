"""What usage keeps in Headend's database: how far the ingest has read FreeRADIUS's radacct, the
totals last seen of each accounting session (so an interim update adds only what is new), the
bytes each service moved per day, and what each service's cap did in each cycle.

Octets follow RADIUS: input is what the NAS received from the subscriber (upload), output what
it sent them (download). Both count against a data cap."""

from django.db import models


class IngestCursor(models.Model):
    """How far the ingest has read a source (one row, "radacct"): the last update time and
    radacct id it has done. Each batch of the ingest locks this row, so two ingests take turns."""

    name = models.CharField(max_length=40, unique=True)
    updated_until = models.DateTimeField(null=True, blank=True)
    last_radacct_id = models.BigIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    rows_read = models.BigIntegerField(default=0)
    sessions_counted = models.BigIntegerField(default=0)
    # The provider's day the marks of long-stopped sessions were last forgotten (once a day).
    pruned_on = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} until {self.updated_until}"


class SessionMark(models.Model):
    """One accounting session (its radacct row, whose id never changes) as far as usage has
    counted it: the totals and the instant of the last update read; the next update adds only
    its difference. Keyed by the radacct id alone, so a batch writes it cheaply."""

    radacct_id = models.BigIntegerField(primary_key=True)
    # Null: no subscriber held the username when the session was read (its bytes are not counted).
    service = models.ForeignKey(
        "inventory.Service",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,  # services are never deleted; no index or constraint to keep
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    input_octets = models.BigIntegerField()
    output_octets = models.BigIntegerField()
    # radacct's acctupdatetime of those totals, in microseconds since the epoch (as read).
    seen_until_us = models.BigIntegerField()
    stopped = models.BooleanField(default=False)
    # No index but the key: a run writes a million marks by COPY; the daily prune scans them.

    def __str__(self) -> str:
        return f"radacct {self.radacct_id}"


class DailyUsage(models.Model):
    """The bytes a service moved on one day where the provider is (HEADEND_TIME_ZONE)."""

    # The unique (service, day) index serves the key; no constraint trigger for each of the
    # hundreds of thousands of rows an ingest writes (services are never deleted).
    service = models.ForeignKey(
        "inventory.Service",
        on_delete=models.DO_NOTHING,
        related_name="daily_usage",
        db_constraint=False,
        db_index=False,
    )
    day = models.DateField()
    input_octets = models.BigIntegerField(default=0)
    output_octets = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["service", "day"]
        constraints = [models.UniqueConstraint(fields=["service", "day"], name="usage_daily_unique")]
        indexes = [models.Index(fields=["day"])]

    def __str__(self) -> str:
        return f"{self.service_id} {self.day}"

    @property
    def total_octets(self) -> int:
        return self.input_octets + self.output_octets


class CapCycle(models.Model):
    """A service's data cap in one cycle: the usage last counted, the customer's 80 % and 100 %
    notices, the overage blocks billed and the throttle (asked, applied on the network, lifted).
    One row per service and cycle, so each notice and each block happens once."""

    class Throttle(models.TextChoices):
        NONE = "", "Not throttled"
        PENDING = "pending", "To throttle"
        APPLIED = "applied", "Throttled"
        LIFTED = "lifted", "Lifted"

    service = models.ForeignKey("inventory.Service", on_delete=models.CASCADE, related_name="cap_cycles")
    cycle_start = models.DateField()
    cycle_end = models.DateField(help_text="First day of the next cycle.")
    cap_octets = models.BigIntegerField()
    used_octets = models.BigIntegerField(default=0)
    action = models.CharField(max_length=10)
    notified_80_at = models.DateTimeField(null=True, blank=True)
    notified_100_at = models.DateTimeField(null=True, blank=True)
    overage_blocks = models.PositiveIntegerField(default=0)
    throttle = models.CharField(max_length=10, choices=Throttle.choices, default=Throttle.NONE, blank=True)
    throttled_at = models.DateTimeField(null=True, blank=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    throttle_attempts = models.PositiveIntegerField(default=0)
    throttle_error = models.TextField(blank=True)
    # What the network was told (CoA requests and answers), for staff.
    throttle_log = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["service", "-cycle_start"]
        constraints = [models.UniqueConstraint(fields=["service", "cycle_start"], name="usage_cap_cycle_unique")]
        indexes = [
            models.Index(fields=["throttle"], condition=~models.Q(throttle=""), name="usage_cap_throttle"),
        ]

    def __str__(self) -> str:
        return f"{self.service_id} {self.cycle_start}"

    @property
    def percent(self) -> int:
        return int(self.used_octets * 100 // self.cap_octets) if self.cap_octets else 0
