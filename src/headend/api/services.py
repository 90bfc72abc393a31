"""Issue, check and revoke API tokens."""

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.db import transaction

from headend.api.models import ApiToken
from headend.core import clock
from headend.core.errors import Conflict, ValidationError
from headend.core.numbers import parse_int

TOKEN_PREFIX = "hdk_"


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


MAX_DAYS = 3650


@transaction.atomic
def token_issue(*, user: Any, name: str, expires_in_days: Any = None) -> tuple[ApiToken, str]:
    """A new token for `user`, expiring after `expires_in_days` days (None or 0: never); the raw
    token is returned once and never stored."""
    name = (name or "").strip()
    if not name:
        raise ValidationError("Name the token (what will use it).", field="name", code="required")
    days = 0
    if expires_in_days not in (None, ""):
        days = parse_int(expires_in_days, field="expires_in_days", minimum=0, maximum=MAX_DAYS)
    now = clock.now()
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        key_hash=_hash(raw),
        created_at=now,
        expires_at=now + dt.timedelta(days=days) if days else None,
    )
    return token, raw


@transaction.atomic
def token_revoke(*, token: ApiToken, revoked_by: Any) -> ApiToken:
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        raise Conflict("The token is already revoked.", field="id")
    token.revoked_at = clock.now()
    token.save(update_fields=["revoked_at"])
    return token


def token_authenticate(raw: str) -> Any | None:
    """The active user a raw token belongs to, or None (unknown, revoked or expired token, or an
    inactive user). Records when the token was last used (to the minute)."""
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    try:
        # key_hash is unique: get() reads the one row without sorting (first() would order by
        # the tokens' newest first, a cost on every request)
        token = ApiToken.objects.select_related("user").get(key_hash=_hash(raw), revoked_at=None)
    except ApiToken.DoesNotExist:
        return None
    now = clock.now()
    if not token.is_active_at(now) or not token.user.is_active:
        return None
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
