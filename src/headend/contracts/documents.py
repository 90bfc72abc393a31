"""Rendering quote documents: one HTML template for the screen and, through WeasyPrint, the PDF.

No writes here: `services` stores what these functions produce."""

import base64
import datetime as dt
import hashlib
import io
import json
import threading
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from headend.contracts.models import Signature, TermsVersion
from headend.core import clock
from headend.core.numbers import revision_letter
from headend.quoting.models import Quote, QuoteLine
from headend.quoting.pricing import monthly_after

TEMPLATE = "contracts/quote_document.html"
SIGNATURE_TEMPLATE = "contracts/signature_page.html"
# Quote fields the document shows; status and decision fields are left out on purpose, so the
# accepted quote still maps to the document that was presented.
QUOTE_FIELDS = (
    "pk",
    "number",
    "revision",
    "name",
    "currency",
    "discount_percent",
    "mrr_before_amount",
    "mrr_amount",
    "one_time_amount",
    "contract_value_amount",
    "contract_value_change_amount",
    "mrr_today_amount",
    "valid_until",
)
LINE_SKIP = {"id", "quote_id"}
# Past this many lines the document lists them in one compact table (a row per line, the site
# in a column) instead of a table per site: five times faster to lay out, and a 10,000-line
# quote is some 400 pages rather than 1,700.
LONG_FORM_LINES = 200


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    pages: int
    sha256: str


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_draft(quote: Quote) -> bool:
    """A quote never presented gives a review copy, not a document to sign."""
    return quote.presented_at is None


def revision(quote: Quote) -> int:
    return int(getattr(quote, "revision", 1) or 1)


def lines_of(quote: Quote) -> list[QuoteLine]:
    return list(quote.lines.select_related("location", "product_version__product", "promotion").order_by("position"))


def _line_fields() -> list[str]:
    return [f.attname for f in QuoteLine._meta.concrete_fields if f.attname not in LINE_SKIP]


def line_states(quote: Quote) -> list[dict[str, Any]]:
    """Every stored field of every line, as plain values: what `state_key` hashes, read without
    building a model per line (a 10,000-line quote's key in a fraction of a second)."""
    return list(quote.lines.order_by("position").values(*_line_fields()))


def state_key(quote: Quote, lines: list[QuoteLine] | list[dict[str, Any]], terms: TermsVersion | None) -> str:
    """SHA-256 of the quote content the document shows: its number, revision, validity, totals,
    every stored field of every line (`lines`: the lines, or their `line_states`), the terms
    version and whether it is a draft."""
    fields = _line_fields()
    rows = [line if isinstance(line, dict) else {name: getattr(line, name) for name in fields} for line in lines]
    state: dict[str, Any] = {field: str(getattr(quote, field, "")) for field in QUOTE_FIELDS}
    state["draft"] = is_draft(quote)
    state["offered_on"] = str(offered_on(quote))
    state["terms"] = terms.pk if terms else None
    state["lines"] = [
        {name: str(row[name]) for name in fields} for row in sorted(rows, key=lambda row: row["position"])
    ]
    return sha256(json.dumps(state, sort_keys=True).encode())


def offered_on(quote: Quote) -> dt.date:
    """The date the document carries: the day the quote was presented, else the day it was begun."""
    return clock.local_date(quote.presented_at or quote.created_at)


@lru_cache(maxsize=4)
def _logo(path: str) -> str:
    found = finders.find(path)
    if not found:
        return ""
    with open(found if isinstance(found, str) else found[0], "rb") as handle:
        return "data:image/svg+xml;base64," + base64.b64encode(handle.read()).decode()


def logo_data_uri() -> str:
    """The provider's logo (a static SVG, HEADEND_PROVIDER_LOGO) inlined, so the PDF fetches nothing."""
    return _logo(settings.HEADEND_PROVIDER_LOGO)


def _promotions(lines: list[QuoteLine]) -> list[Any]:
    """The catalog promotions the lines carry, each once, in line order."""
    seen: dict[int, Any] = {}
    for line in lines:
        if line.promotion_id is not None and line.promotion_id not in seen:
            seen[line.promotion_id] = line.promotion
    return list(seen.values())


def monthly_totals(quote: Quote) -> dict[str, Decimal]:
    """The document's monthly totals: what the customer pays today for every service at the
    quote's sites (kept on the quote when it was priced; a quote priced before that was kept
    counts the services it changes), what they will pay once it is done, and the difference."""
    before = quote.mrr_before_amount
    today = quote.mrr_today_amount if quote.mrr_today_amount is not None else before
    after = monthly_after(today_amount=today, mrr_before_amount=before, mrr_amount=quote.mrr_amount)
    return {"today": today, "after": after, "change": after - today}


def context(*, quote: Quote, lines: list[QuoteLine], terms: TermsVersion | None, contact: Any = None) -> dict:
    """What the document template shows; `contact` is the customer's contact it is addressed to."""
    groups: dict = {}
    for line in lines:
        groups.setdefault(line.location, []).append(line)
    zero = Decimal("0.00")
    monthly = monthly_totals(quote)
    return {
        "provider_name": settings.HEADEND_PROVIDER_NAME,
        "provider_email": settings.DEFAULT_FROM_EMAIL,
        "logo": logo_data_uri(),
        "quote": quote,
        "revision": revision(quote),
        "revision_letter": revision_letter(revision(quote)),  # what the customer reads: A, B, ...
        "draft": is_draft(quote),
        "offered_on": offered_on(quote),
        "account": quote.account,
        "contact": contact,
        "prepared_by": quote.created_by.get_full_name() if quote.created_by else "",
        "groups": [
            {
                "location": location,
                "lines": group,
                # One-time per line: installation plus any early-termination fee (change lines).
                "rows": [
                    {"line": line, "one_time": line.nrc_amount + getattr(line, "etf_amount", zero)} for line in group
                ],
                "mrc": sum((line.mrc_amount for line in group), zero),
                "one_time": sum((line.nrc_amount + getattr(line, "etf_amount", zero) for line in group), zero),
                "contract_value": sum((line.contract_value_amount for line in group), zero),
            }
            for location, group in groups.items()
        ],
        "has_changes": any(line.action != "add" for line in lines),
        # Today's and after's monthly totals, shown when the customer pays for something there today.
        "monthly": monthly,
        "show_today": bool(monthly["today"]) or any(line.action != "add" for line in lines),
        "long_form": len(lines) > LONG_FORM_LINES,
        "rows": [{"line": line, "one_time": line.nrc_amount + getattr(line, "etf_amount", zero)} for line in lines]
        if len(lines) > LONG_FORM_LINES
        else [],
        "promotions": _promotions(lines),
        "discount_percent": getattr(quote, "discount_percent", zero) or zero,
        "terms": terms,
    }


def render_html(ctx: dict, *, screen: bool = False) -> str:
    return render_to_string(TEMPLATE, {**ctx, "screen": screen})


def _fetcher() -> Any:
    from weasyprint import URLFetcher

    # The document is self-contained; refusing every other scheme keeps an edited template or
    # terms text from making the server fetch URLs.
    return URLFetcher(allowed_protocols={"data"})


_fonts = threading.local()


def _font_config() -> Any:
    """One font configuration per thread (Pango's font map is not shared between threads): a
    fresh one per document looks every font up again, a sixth of a short quote's render."""
    from weasyprint.text.fonts import FontConfiguration

    if not hasattr(_fonts, "config"):
        _fonts.config = FontConfiguration()
    return _fonts.config


def render_pdf(html: str) -> Rendered:
    from weasyprint import HTML

    document = HTML(string=html, url_fetcher=_fetcher()).render(font_config=_font_config())
    pdf = document.write_pdf()
    assert pdf is not None
    return Rendered(pdf=pdf, pages=len(document.pages), sha256=sha256(pdf))


def append_signature_page(original: bytes, signature: Signature) -> Rendered:
    """The original PDF with a last page recording the electronic signature."""
    from pypdf import PdfReader, PdfWriter

    page = render_pdf(
        render_to_string(
            SIGNATURE_TEMPLATE,
            {
                "provider_name": settings.HEADEND_PROVIDER_NAME,
                "logo": logo_data_uri(),
                "signature": signature,
                "document": signature.document,
                "signed_local": f"{signature.signed_at.astimezone(clock.provider_zone()):%B %-d, %Y, %H:%M:%S %Z}",
                "signed_utc": f"{signature.signed_at.astimezone(dt.UTC):%Y-%m-%dT%H:%M:%SZ}",
                "time_zone": settings.HEADEND_TIME_ZONE,
            },
        )
    )
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(original)))
    writer.append(PdfReader(io.BytesIO(page.pdf)))
    out = io.BytesIO()
    writer.write(out)
    pdf = out.getvalue()
    return Rendered(pdf=pdf, pages=len(writer.pages), sha256=sha256(pdf))
