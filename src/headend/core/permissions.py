"""Staff roles are Django groups; views and API routes check them here."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse

from headend.core.errors import Forbidden


class Role(models.TextChoices):
    SALES = "sales", "Sales"
    SALES_MANAGER = "sales_manager", "Sales manager"
    PROVISIONING = "provisioning", "Provisioning"
    SUPPORT = "support", "Support"
    BILLING = "billing", "Billing"
    FINANCE = "finance", "Finance"
    DIRECTOR = "director", "Director"
    ADMIN = "admin", "Admin"
    # A program's account (an API token), not a person's: registers webhook listeners.
    INTEGRATION = "integration", "Integration"


# Who may do what, by capability; admin may do everything.
SELL = (Role.SALES, Role.SALES_MANAGER)
MANAGE_CUSTOMERS = (Role.SALES, Role.SALES_MANAGER, Role.SUPPORT, Role.BILLING)
FULFIL = (Role.PROVISIONING,)
MANAGE_CATALOG: tuple[Role, ...] = ()
# Work-order templates (and so what code tasks send and receive, shown in their attempt log).
EDIT_TEMPLATES = (*MANAGE_CATALOG, Role.PROVISIONING)
REGISTER_LISTENERS = (Role.INTEGRATION,)

# The roles work is given to (template and work-order tasks, quote approvals): people's roles.
WORK_ROLES = [role for role in Role if role != Role.INTEGRATION]
WORK_ROLE_CHOICES = [(role.value, role.label) for role in WORK_ROLES]


def user_roles(user: Any) -> frozenset[str]:
    """The user's role names (cached on the user object for the request)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_headend_roles", None)
    if cached is None:
        cached = frozenset(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
        if user.is_superuser:
            cached = cached | {Role.ADMIN.value}
        user._headend_roles = cached
    return cached


def is_staff_member(user: Any) -> bool:
    return bool(user_roles(user))


def has_role(user: Any, *roles: str) -> bool:
    held = user_roles(user)
    return Role.ADMIN in held or any(role in held for role in roles)


def require_role(user: Any, *roles: str) -> None:
    """Raise Forbidden unless the user holds one of `roles` (or is an admin)."""
    if not has_role(user, *roles):
        wanted = ", ".join(Role(role).label for role in roles) or "Admin"
        raise Forbidden(f"This needs one of these roles: {wanted}.", code="role_required")


def role_required(*roles: str) -> Callable:
    """View decorator: logged in, a staff member, and (if `roles` given) one of them."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        @login_required
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not is_staff_member(request.user):
                raise PermissionDenied("Staff only.")
            if roles and not has_role(request.user, *roles):
                raise PermissionDenied("Your role may not do this.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


staff_required = role_required()
