"""Issue, check and revoke API tokens."""

import datetime as dt
import hashlib
import secrets
import threading
from typing import Any

from cachetools import LRUCache
from django.contrib.auth.models import User
from django.db import transaction

from headend.api.models import ApiToken
from headend.core import clock
from headend.core.errors import Conflict, ValidationError
from headend.core.numbers import parse_int
from headend.core.permissions import roles_read
from headend.core.prepared import Prepared

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


# What authenticating reads: the token's expiry and last use, its user's every column (the
# request's user), and the names of the user's groups (their roles: a row for each group, one
# with no name for a user of none). The statement is compiled once per process
# (core/prepared.py), and the values of a row already seen are not converted again.
USER_COLUMNS = [field.attname for field in User._meta.concrete_fields]
AUTHENTICATED = ("pk", "last_used_at", "expires_at", *(f"user__{name}" for name in USER_COLUMNS))
GROUP_NAME = "user__groups__name"
TOKEN_ROWS = Prepared()
_CONVERTED: LRUCache[tuple[Any, ...], tuple[Any, ...]] = LRUCache(maxsize=1024)
_CONVERTED_LOCK = threading.Lock()


def token_authenticate(raw: str) -> Any | None:
    """The active user a raw token belongs to, or None (unknown, revoked or expired token, or an
    inactive user), with its roles for the request (read with the token: core/permissions.roles_read).
    Records when the token was last used (to the minute)."""
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    digest = _hash(raw)
    rows = TOKEN_ROWS.rows(
        "token",
        lambda: (
            ApiToken.objects.filter(key_hash=digest, revoked_at=None).order_by().values_list(*AUTHENTICATED, GROUP_NAME)
        ),
        [digest],
    )
    if not rows:
        return None
    token_id, last_used_at, expires_at, *user_values = _converted(rows[0][:-1])
    token = ApiToken(pk=token_id, last_used_at=last_used_at, expires_at=expires_at, revoked_at=None)
    user = User.from_db(ApiToken.objects.db, USER_COLUMNS, user_values)
    now = clock.now()
    if not token.is_active_at(now) or not user.is_active:
        return None
    roles_read(user, [row[-1] for row in rows])
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return user


def _converted(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """The token row's values in Python (Prepared.converted compiles: done once for each row seen)."""
    with _CONVERTED_LOCK:
        values = _CONVERTED.get(row)
    if values is None:
        values = Prepared.converted(ApiToken.objects.values_list(*AUTHENTICATED), [row])[0]
        with _CONVERTED_LOCK:
            _CONVERTED[row] = values
    return values
