"""Signing-link tokens.

A link is `/sign/<document id>/<token>/`. The token is Django's signed object
`{"x": expiry, "l": link id}`
whose HMAC-SHA256 key is derived from SECRET_KEY and a salt naming the document id *and its
SHA-256*: nothing is stored, a guess or an edit fails the signature, and a link only opens the
exact file it was made for. The expiry is checked against the domain clock (`core.clock`), so
tests can freeze it."""

import datetime as dt

from django.conf import settings
from django.core import signing
from django.urls import reverse

from headend.contracts.models import QuoteDocument

SALT = "headend.contracts.signing-link"


def _signer(document: QuoteDocument) -> signing.Signer:
    return signing.Signer(salt=f"{SALT}:{document.pk}:{document.sha256}")


def make(document: QuoteDocument, *, expires_at: dt.datetime, link_id: int | None = None) -> str:
    """The token for `document`, valid until `expires_at`, naming the link it was sent by (a
    document has a link per recipient; a token without one opens the document's first live link)."""
    data: dict[str, int] = {"x": int(expires_at.timestamp())}
    if link_id is not None:
        data["l"] = int(link_id)
    return _signer(document).sign_object(data)


def _data(document: QuoteDocument, token: str) -> dict:
    data = _signer(document).unsign_object(token)
    if not isinstance(data, dict):
        raise signing.BadSignature("Not a signing-link token.")
    return data


def read(document: QuoteDocument, token: str) -> dt.datetime:
    """The expiry the token carries; raises `signing.BadSignature` unless it was made for this
    document with these exact bytes."""
    data = _data(document, token)
    try:
        return dt.datetime.fromtimestamp(int(data["x"]), tz=dt.UTC)
    except (KeyError, TypeError, ValueError) as exc:
        raise signing.BadSignature("No expiry in the token.") from exc


def link_id(document: QuoteDocument, token: str) -> int | None:
    """The id of the link the token was sent by, None for a token made without one; raises
    `signing.BadSignature` like `read`."""
    read(document, token)
    value = _data(document, token).get("l")
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError) as exc:
        raise signing.BadSignature("A bad link id in the token.") from exc


def site_url(seen: str = "") -> str:
    """Where customers reach this installation: HEADEND_SITE_URL, else `seen` (the address of the
    staff request that asked for the link), else the first trusted origin."""
    configured = settings.HEADEND_SITE_URL or seen or next(iter(settings.CSRF_TRUSTED_ORIGINS), "")
    return (configured or "http://localhost:8000").rstrip("/")


def path(document: QuoteDocument, *, expires_at: dt.datetime, link_id: int | None = None) -> str:
    return reverse("contracts:sign", args=[document.pk, make(document, expires_at=expires_at, link_id=link_id)])


def url(document: QuoteDocument, *, expires_at: dt.datetime, site: str = "", link_id: int | None = None) -> str:
    """The absolute link emailed to the customer (`site`: the address staff reached us at)."""
    return site_url(site) + path(document, expires_at=expires_at, link_id=link_id)
