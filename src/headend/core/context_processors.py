from typing import Any

from django.conf import settings
from django.http import HttpRequest

from headend.core.navigation import Navigation
from headend.core.permissions import Can, has_role, is_staff_member, user_roles


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "provider_name": settings.HEADEND_PROVIDER_NAME,
        "provider_logo": settings.HEADEND_PROVIDER_LOGO,
        "is_staff_member": is_staff_member(user) if user else False,
        "user_roles": sorted(user_roles(user)) if user else [],
        "is_admin": has_role(user, "admin") if user else False,
        # `{% if can.service.action %}`: buttons only for what the user may do (core/permissions).
        "can": Can(user),
        # The sidebar's groups and links for this user (core/navigation.py), built when drawn.
        "staff_nav": Navigation(request),
    }
