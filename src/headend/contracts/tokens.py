"""Signing-link tokens.

A link is `/sign/<document id>/<token>/`. The token is Django's signed object `{"x": expiry}`
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


def make(document: QuoteDocument, *, expires_at: dt.datetime) -> str:
    """The token for `document`, valid until `expires_at`."""
    return _signer(document).sign_object({"x": int(expires_at.timestamp())})


def read(document: QuoteDocument, token: str) -> dt.datetime:
    """The expiry the token carries; raises `signing.BadSignature` unless it was made for this
    document with these exact bytes."""
    data = _signer(document).unsign_object(token)
    try:
        return dt.datetime.fromtimestamp(int(data["x"]), tz=dt.UTC)
    except (KeyError, TypeError, ValueError) as exc:
        raise signing.BadSignature("No expiry in the token.") from exc


def site_url(seen: str = "") -> str:
    """Where customers reach this installation: HEADEND_SITE_URL, else `seen` (the address of the
    staff request that asked for the link), else the first trusted origin."""
    configured = settings.HEADEND_SITE_URL or seen or next(iter(settings.CSRF_TRUSTED_ORIGINS), "")
    return (configured or "http://localhost:8000").rstrip("/")


def path(document: QuoteDocument, *, expires_at: dt.datetime) -> str:
    return reverse("contracts:sign", args=[document.pk, make(document, expires_at=expires_at)])


def url(document: QuoteDocument, *, expires_at: dt.datetime, site: str = "") -> str:
    """The absolute link emailed to the customer (`site`: the address staff reached us at)."""
    return site_url(site) + path(document, expires_at=expires_at)
