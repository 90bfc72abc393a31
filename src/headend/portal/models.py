"""The customer portal's logins: a customer's contact signs in with an email and a password of
their own, kept apart from staff users (a staff member's credentials never open the portal and a
portal login never opens a staff page)."""

from django.contrib.auth.hashers import check_password, make_password
from django.db import models

from headend.core import audit
from headend.crm.models import Account, Contact


class PortalLogin(models.Model):
    """One contact's way into the portal. A business account's admins manage its other logins;
    a billing login sees and pays bills but orders nothing; a technical one follows services,
    orders and cases. A residential customer's login is its admin."""

    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        BILLING = "billing", "Billing"
        TECHNICAL = "technical", "Technical"

    contact = models.OneToOneField(Contact, on_delete=models.CASCADE, related_name="portal_login")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="portal_logins")
    email = models.EmailField(unique=True, help_text="Kept in lower case.")
    password = models.CharField(max_length=128)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.ADMIN)
    is_active = models.BooleanField(default=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    last_login_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    history = audit.history(excluded_fields=["password"])

    class Meta:
        ordering = ["account", "email"]

    def __str__(self) -> str:
        return self.email

    def set_password(self, raw: str) -> None:
        self.password = make_password(raw)

    def check_password(self, raw: str) -> bool:
        return check_password(raw, self.password)

    @property
    def may_order(self) -> bool:
        return self.role in (self.Role.ADMIN, self.Role.TECHNICAL)

    @property
    def may_pay(self) -> bool:
        return self.role in (self.Role.ADMIN, self.Role.BILLING)
