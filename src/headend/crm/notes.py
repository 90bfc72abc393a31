"""Notes staff keep on an account: add one (pinned or not), and read them for the account page
(pinned first, then the newest)."""

from typing import Any

from django.db import models, transaction

from headend.core import clock, events
from headend.core.errors import ValidationError
from headend.core.permissions import require
from headend.crm.models import Account, AccountNote

MAX_BODY = 5000


@transaction.atomic
def note_add(*, account: Account, body: str, added_by: Any, pinned: bool = False) -> AccountNote:
    """Keep a note on the account, in the name of `added_by`.

    Raises Forbidden unless they may edit accounts; ValidationError (field body) for an empty or
    too long note."""
    require(added_by, "account.edit")
    body = (body or "").replace("\x00", "").strip()
    if not body:
        raise ValidationError("Write the note.", field="body", code="required")
    if len(body) > MAX_BODY:
        raise ValidationError(f"A note holds at most {MAX_BODY} characters.", field="body", code="too_long")
    note = AccountNote(account=account, body=body, author=added_by, pinned=pinned, created_at=clock.now())
    note.full_clean()
    note.save()
    events.emit("account_note.added", subject=note, data={"account_id": account.pk, "pinned": pinned})
    return note


def note_list(*, account_id: int, limit: int = 10) -> list[AccountNote]:
    """The account's notes for its page: the pinned ones first, then the newest, `limit` in all."""
    return list(
        AccountNote.objects.filter(account_id=account_id)
        .select_related("author")
        .order_by("-pinned", "-created_at", "-id")[:limit]
    )


def note_count(*, account_id: int) -> int:
    return AccountNote.objects.filter(account_id=account_id).count()


def note_list_newest(*, account_id: int, limit: int) -> models.QuerySet[AccountNote]:
    """The account's newest `limit` notes, newest first (the activity timeline reads them)."""
    return (
        AccountNote.objects.filter(account_id=account_id)
        .select_related("author")
        .order_by("-created_at", "-id")[:limit]
    )
