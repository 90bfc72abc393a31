"""What provisioning keeps in Headend's own database: the NASes that send sessions to FreeRADIUS,
and one RADIUS subscriber per service. FreeRADIUS's tables (radcheck, radreply, ...) live in its
own database and are written by `radius.py`."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from headend.core import audit


class Nas(models.Model):
    """A network access server (BNG, PPPoE concentrator, hotspot controller) whose sessions
    FreeRADIUS authenticates; Headend sends it CoA and Disconnect-Requests (RFC 5176)."""

    class Vendor(models.TextChoices):
        MIKROTIK = "mikrotik", "MikroTik"
        WISPR = "wispr", "WISPr"

    name = models.CharField(max_length=80)
    # The address FreeRADIUS records as NAS-IP-Address in radacct; CoA goes to it.
    ip_address = models.GenericIPAddressField("IP address", unique=True)
    vendor = models.CharField(max_length=10, choices=Vendor.choices, default=Vendor.MIKROTIK)
    coa_port = models.PositiveIntegerField(
        "CoA port", default=3799, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    # A name in settings.HEADEND_SECRETS (env HEADEND_SECRET_<NAME>), never the secret itself.
    secret_name = models.CharField(
        max_length=60, help_text="Name of the shared secret in the settings (HEADEND_SECRET_<NAME>)."
    )
    history = audit.history()

    class Meta:
        ordering = ["name"]
        verbose_name = "NAS"
        verbose_name_plural = "NASes"

    def __str__(self) -> str:
        return f"{self.name} ({self.ip_address})"


class Subscriber(models.Model):
    """A service's RADIUS identity: PPPoE credentials, or for IPoE the MAC or Option 82 circuit id
    the NAS sends as User-Name; the plan group gives its rate limits."""

    class AuthType(models.TextChoices):
        PPPOE = "pppoe", "PPPoE"
        IPOE = "ipoe", "IPoE (MAC or Option 82)"

    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        REMOVED = "removed", "Removed"

    service = models.OneToOneField("inventory.Service", on_delete=models.PROTECT, related_name="radius_subscriber")
    username = models.CharField(max_length=253)
    # Given to the customer's router (PPPoE); FreeRADIUS needs it as Cleartext-Password for CHAP.
    password = models.CharField(max_length=64, blank=True)
    auth_type = models.CharField(max_length=8, choices=AuthType.choices, default=AuthType.PPPOE)
    plan_group = models.CharField(max_length=64)
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    framed_ip = models.GenericIPAddressField("framed IP", protocol="IPv4", null=True, blank=True)
    # Blocks routed to the subscriber (its add-ons' static IP blocks), as Framed-Route values.
    framed_routes = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    # Plan group, state, addresses: what the network gives the customer. The password stays out.
    history = audit.history(excluded_fields=["password"])

    class Meta:
        ordering = ["username"]
        constraints = [
            # One live subscriber per RADIUS username; a removed one frees it (a MAC or circuit id
            # moves to the next service).
            models.UniqueConstraint(
                fields=["username"], condition=~models.Q(state="removed"), name="subscriber_unique_username"
            ),
        ]

    def __str__(self) -> str:
        return self.username
