"""Coverage (where we can serve, with which technology and speeds) and the qualifications
answered from it.

Coverage comes from three sources, all upserted, never duplicated:
- `FccAvailability`: rows of an FCC Broadband Data Collection availability file, one per
  (provider, FCC location, FCC technology code), matched to a location by its H3 res-8 cell;
- `AddressCoverage`: a provider's address list, matched by the normalised address key;
- `CoverageArea` / `AreaCell`: coverage staff enter as H3 cells or a polygon.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse

from headend.catalog.models import ProductVersion

Technology = ProductVersion.Technology
TECHNOLOGY_CHOICES = [(value, label) for value, label in Technology.choices if value]


class CoverageImport(models.Model):
    """One coverage file, as it was read: counts move per batch, so staff watch it progress."""

    class Kind(models.TextChoices):
        FCC = "fcc", "FCC BDC availability"
        ADDRESSES = "addresses", "Address list"

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        REFUSED = "refused", "Refused"  # nothing read: wrong header, not a CSV file
        FAILED = "failed", "Failed"  # stopped part-way by an error; the batches before it are kept

    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    file_name = models.CharField(max_length=255)
    # FCC files list every provider; when set, only this provider's rows are imported.
    provider_id = models.PositiveIntegerField("only provider ID", null=True, blank=True)
    rows_read = models.PositiveIntegerField(default=0)
    rows_imported = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    rows_skipped = models.PositiveIntegerField(default=0)
    skipped_reasons = models.JSONField(default=dict, blank=True)  # reason -> rows
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.file_name}"

    def get_absolute_url(self) -> str:
        return reverse("network:import_detail", args=[self.pk])

    @property
    def rejected_rows_not_kept(self) -> int:
        return max(0, self.rows_rejected - self.rejected_rows.count())


class RejectedRow(models.Model):
    """A row an import refused: its line in the file (the header is line 1) and why."""

    coverage_import = models.ForeignKey(CoverageImport, on_delete=models.CASCADE, related_name="rejected_rows")
    line = models.PositiveIntegerField()
    reason = models.CharField(max_length=300)

    class Meta:
        ordering = ["coverage_import", "line", "id"]

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class FccAvailability(models.Model):
    """One row of an FCC BDC fixed availability file: a provider offers a technology at a
    Fabric location. The Fabric's addresses are licensed, so the location is kept by its FCC id
    and matched to ours through its H3 resolution-8 cell."""

    class Market(models.TextChoices):
        RESIDENTIAL = "R", "Residential"
        BUSINESS = "B", "Business"
        BOTH = "X", "Residential and business"

    provider_id = models.PositiveIntegerField()
    frn = models.CharField("FRN", max_length=10, blank=True)
    brand_name = models.CharField(max_length=200, blank=True)
    location_id = models.BigIntegerField("FCC location ID")
    technology_code = models.PositiveSmallIntegerField("FCC technology code")
    technology = models.CharField(max_length=16, choices=TECHNOLOGY_CHOICES)
    # Mbps, exact to 1 kbps: the FCC's tiers below 1 Mbps (0.2) stay exact.
    max_down_mbps = models.DecimalField(max_digits=9, decimal_places=3)
    max_up_mbps = models.DecimalField(max_digits=9, decimal_places=3)
    low_latency = models.BooleanField()
    business_residential_code = models.CharField(max_length=1, choices=Market.choices)
    state_usps = models.CharField(max_length=2)
    block_geoid = models.CharField("census block GEOID", max_length=15)
    h3_res8 = models.CharField("H3 res-8 cell", max_length=15)

    class Meta:
        ordering = ["provider_id", "location_id", "technology_code"]
        verbose_name = "FCC availability row"
        constraints = [
            models.UniqueConstraint(
                fields=["provider_id", "location_id", "technology_code"], name="fcc_availability_unique"
            ),
        ]
        indexes = [models.Index(fields=["h3_res8"], name="fcc_availability_cell")]

    def __str__(self) -> str:
        return f"{self.brand_name} {self.technology} at FCC location {self.location_id}"


class AddressCoverage(models.Model):
    """A provider's address list row: this address can have this technology at these speeds."""

    address_key = models.CharField(max_length=400)
    line1 = models.CharField(max_length=200)
    line2 = models.CharField(max_length=100, blank=True)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=2)
    postal_code = models.CharField(max_length=10)
    technology = models.CharField(max_length=16, choices=TECHNOLOGY_CHOICES)
    max_down_mbps = models.DecimalField(max_digits=9, decimal_places=3)
    max_up_mbps = models.DecimalField(max_digits=9, decimal_places=3)

    class Meta:
        ordering = ["state", "city", "line1", "line2", "technology"]
        constraints = [
            models.UniqueConstraint(fields=["address_key", "technology"], name="address_coverage_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.line1} {self.line2}, {self.city}: {self.technology}".replace("  ", " ")


class CoverageArea(models.Model):
    """Coverage entered by staff: a list of H3 cells or a polygon turned into res-8 cells."""

    name = models.CharField(max_length=120)
    technology = models.CharField(max_length=16, choices=TECHNOLOGY_CHOICES)
    max_down_mbps = models.DecimalField(max_digits=9, decimal_places=3)
    max_up_mbps = models.DecimalField(max_digits=9, decimal_places=3)
    # The polygon as entered, [[lat, lng], ...] (empty when cells were listed).
    polygon = models.JSONField(default=list, blank=True)
    cell_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class AreaCell(models.Model):
    area = models.ForeignKey(CoverageArea, on_delete=models.CASCADE, related_name="cells")
    h3_res8 = models.CharField("H3 res-8 cell", max_length=15)

    class Meta:
        ordering = ["area", "h3_res8"]
        constraints = [models.UniqueConstraint(fields=["area", "h3_res8"], name="area_cell_unique")]
        indexes = [models.Index(fields=["h3_res8"], name="area_cell_cell")]

    def __str__(self) -> str:
        return self.h3_res8


class Qualification(models.Model):
    """A product offering qualification (TMF679) as answered: which offerings can be sold at
    which of the account's locations, and why not."""

    class Status(models.TextChoices):
        DONE = "done", "Done"
        # Coverage is unknown at a location asked about: we could not qualify there.
        TERMINATED = "terminated", "Terminated (coverage unknown)"

    account = models.ForeignKey("crm.Account", on_delete=models.CASCADE, related_name="qualifications")
    location = models.ForeignKey(
        "crm.Location", null=True, blank=True, on_delete=models.CASCADE, related_name="qualifications"
    )
    description = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices)
    provide_alternative = models.BooleanField(default=False)
    provide_only_available = models.BooleanField(default=False)
    provide_unavailability_reason = models.BooleanField(default=True)
    # Why nothing could be qualified at the request's location (coverage unknown), if so.
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Qualification {self.pk}"


class QualificationItem(models.Model):
    class Result(models.TextChoices):
        QUALIFIED = "qualified", "Qualified"
        UNQUALIFIED = "unqualified", "Unqualified"
        ALTERNATE = "alternate", "Unqualified, alternatives proposed"

    qualification = models.ForeignKey(Qualification, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    location = models.ForeignKey("crm.Location", on_delete=models.CASCADE, related_name="+")
    product_version = models.ForeignKey(ProductVersion, on_delete=models.PROTECT, related_name="+")
    result = models.CharField(max_length=12, choices=Result.choices)
    coverage_known = models.BooleanField(default=True)
    reason_code = models.CharField(max_length=40, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    alternates = models.ManyToManyField(ProductVersion, blank=True, related_name="+")

    class Meta:
        ordering = ["qualification", "position"]
        constraints = [
            models.UniqueConstraint(fields=["qualification", "position"], name="qualification_item_unique_position"),
        ]

    def __str__(self) -> str:
        return f"{self.qualification_id}.{self.position} {self.result}"


class Element(models.Model):
    """One piece of the network in the topology tree (a POP holds OLTs, an OLT its PON ports, a
    tower its sectors): what services ride on and what monitoring names in its alerts.

    `path` lists the ids from the root down to this element ("/4/17/230/"), so everything below an
    element is one indexed prefix match, however deep; it is kept by network.topology only."""

    class Kind(models.TextChoices):
        POP = "pop", "POP"
        OLT = "olt", "OLT"
        CMTS = "cmts", "CMTS"
        TOWER = "tower", "Tower"
        PON_PORT = "pon_port", "PON port"
        SECTOR = "sector", "Sector"
        SWITCH = "switch", "Switch"
        CPE = "cpe", "CPE"

    name = models.CharField(max_length=100, unique=True)  # what alerts name it by (label `element`)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    path = models.CharField(max_length=400, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    description = models.CharField(max_length=200, blank=True)
    location = models.ForeignKey(
        "crm.Location", null=True, blank=True, on_delete=models.SET_NULL, related_name="network_elements"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["path"]
        indexes = [
            models.Index(fields=["path"], name="element_path"),
            models.Index(fields=["path"], name="element_path_prefix", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("network:element_detail", args=[self.pk])

    @property
    def ancestor_ids(self) -> list[int]:
        """The ids above this element, root first."""
        return [int(part) for part in self.path.strip("/").split("/")[:-1] if part]


class Outage(models.Model):
    """An element down (from monitoring or entered by staff) or a planned maintenance window on it;
    every service below the element is impacted (inventory.ServiceOutage keeps who was).

    One open unplanned outage per element: a re-sent or grouped alert joins the open one."""

    class Kind(models.TextChoices):
        UNPLANNED = "unplanned", "Outage"
        MAINTENANCE = "maintenance", "Planned maintenance"

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"  # maintenance announced, not started
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"
        CANCELLED = "cancelled", "Cancelled"  # maintenance called off before it started

    class Source(models.TextChoices):
        ALERTMANAGER = "alertmanager", "Prometheus Alertmanager"
        ALARM = "alarm", "TMF642 alarm"
        STAFF = "staff", "Staff"

    element = models.ForeignKey(Element, on_delete=models.PROTECT, related_name="outages")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.UNPLANNED)
    status = models.CharField(max_length=10, choices=Status.choices)
    source = models.CharField(max_length=12, choices=Source.choices)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    severity = models.CharField(max_length=20, blank=True)  # as monitoring said it (critical, major, ...)
    scheduled_start = models.DateTimeField(null=True, blank=True)  # maintenance windows
    scheduled_end = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # Filled by support when it has worked out who is impacted (a live figure until it closes).
    impact_computed_at = models.DateTimeField(null=True, blank=True)
    services_impacted = models.PositiveIntegerField(default=0)
    customers_impacted = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["element"],
                condition=models.Q(status="open", kind="unplanned"),
                name="outage_one_open_per_element",
            ),
        ]
        indexes = [models.Index(fields=["status", "kind"], name="outage_status_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.element}"

    def get_absolute_url(self) -> str:
        return reverse("network:outage_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class OutageAlert(models.Model):
    """One alert (Alertmanager's fingerprint and start, or a TMF642 alarm) that an outage stands
    on; the outage resolves when every one of its alerts has."""

    outage = models.ForeignKey(Outage, on_delete=models.CASCADE, related_name="alerts")
    source = models.CharField(max_length=12, choices=Outage.Source.choices)
    key = models.CharField(max_length=200)  # fingerprint@startsAt, or the alarm's id
    labels = models.JSONField(default=dict, blank=True)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["first_seen_at", "id"]
        constraints = [models.UniqueConstraint(fields=["source", "key"], name="outage_alert_unique_key")]

    def __str__(self) -> str:
        return self.key


class Alarm(models.Model):
    """A TMF642 alarm as a monitoring system raised it: kept as the standard describes it, and
    tied to the outage it opened or joined on its element."""

    class State(models.TextChoices):
        RAISED = "raised", "Raised"
        UPDATED = "updated", "Updated"
        CLEARED = "cleared", "Cleared"

    class AckState(models.TextChoices):
        UNACKNOWLEDGED = "unacknowledged", "Unacknowledged"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"

    uid = models.UUIDField(unique=True)  # the API's id
    element = models.ForeignKey(Element, on_delete=models.PROTECT, related_name="alarms")
    outage = models.ForeignKey(Outage, null=True, blank=True, on_delete=models.SET_NULL, related_name="tmf_alarms")
    state = models.CharField(max_length=10, choices=State.choices, default=State.RAISED)
    ack_state = models.CharField(max_length=16, choices=AckState.choices, default=AckState.UNACKNOWLEDGED)
    alarm_type = models.CharField(max_length=60)
    perceived_severity = models.CharField(max_length=20)
    probable_cause = models.CharField(max_length=100)
    specific_problem = models.CharField(max_length=200, blank=True)
    external_alarm_id = models.CharField(max_length=100, blank=True)
    source_system_id = models.CharField(max_length=100)
    alarm_details = models.TextField(blank=True)
    is_root_cause = models.BooleanField(default=False)
    alarm_raised_time = models.DateTimeField()
    alarm_reporting_time = models.DateTimeField()
    alarm_changed_time = models.DateTimeField(null=True, blank=True)
    alarm_cleared_time = models.DateTimeField(null=True, blank=True)
    ack_system_id = models.CharField(max_length=100, blank=True)
    ack_user_id = models.CharField(max_length=100, blank=True)
    cleared_by = models.CharField(max_length=100, blank=True)
    comments = models.JSONField(default=list, blank=True)  # [{"comment", "time", "userId", "systemId"}]
    extra = models.JSONField(default=dict, blank=True)  # the rest of what was sent, echoed back

    class Meta:
        ordering = ["-alarm_raised_time", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_system_id", "external_alarm_id"],
                condition=~models.Q(external_alarm_id=""),
                name="alarm_unique_external_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.alarm_type} on {self.element}"
