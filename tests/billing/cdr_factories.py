"""What the voice rating tests build: a hand-checked rate deck, voice services with numbers, and
Asterisk Master.csv lines."""

import datetime as dt
from decimal import Decimal

from headend.billing import rate_decks
from headend.billing.models import RateDeck, TaxRate
from headend.catalog.models import TaxCategory
from headend.core import clock
from headend.inventory import services as inventory_services
from tests.factories import TaskSpec, make_account, make_live_service, make_product

# The deck the month of calls is checked against, by hand (rates a minute; minimum/increment).
DECK = """prefix,description,rate_per_minute,minimum_seconds,increment_seconds,effective_from,band,in_bundle
1,United States and Canada,0.02,60,6,2026-01-01,,yes
1207,Maine,0.01,60,6,2026-01-01,,yes
1800,Toll free,0,0,1,2026-01-01,,no
44,United Kingdom,0.05,30,6,2026-01-01,,no
447,United Kingdom mobile,0.20,60,6,2026-01-01,mon-fri 08:00-19:00,no
447,United Kingdom mobile,0.12,60,6,2026-01-01,,no
"""
NUMBER = "2075550134"  # the voice service's own number, as the switch writes it


def upload_deck(text: str = DECK, *, name: str = "Retail 2026") -> RateDeck:
    return rate_decks.rate_deck_upload(data=text.encode(), file_name="retail.csv", name=name)


def make_voice_service(*, minutes: int | None = 60, number: str = "+12075550134", account_code: str = ""):
    """An active voice service (turned up on the frozen day, 2 March 2026) whose plan includes
    `minutes` a month, its number (and account code) in its identifiers."""
    version = make_product(kind="voice", tasks=[TaskSpec("Install")], voice_included_minutes=minutes)
    service = make_live_service(make_account("residential"), version)
    values = {"phone_number": number}
    if account_code:
        values["voice_account"] = account_code
    return inventory_services.service_set_identifiers(service=service, **values)


def voice_tax() -> TaxRate:
    """Maine's 6% on voice (the services' own lines are Internet access, not taxed)."""
    return TaxRate.objects.create(
        level="state", name="Maine service provider tax", state="ME", category=TaxCategory.VOICE,
        rate_percent=Decimal("6"), effective_from=dt.date(2020, 1, 1), created_at=clock.now(),
    )  # fmt: skip


def cdr(
    unique_id: str,
    start: str,
    dst: str,
    billsec: int,
    *,
    src: str = NUMBER,
    account: str = "",
    disposition: str = "ANSWERED",
    duration: int | None = None,
) -> str:
    """One Master.csv line, quoted as Asterisk writes it (start as 'YYYY-MM-DD HH:MM:SS', local)."""
    begin = dt.datetime.fromisoformat(start)
    ring = 5
    duration = billsec + ring if duration is None else duration
    answer = (begin + dt.timedelta(seconds=ring)).isoformat(" ") if billsec else ""
    end = (begin + dt.timedelta(seconds=duration)).isoformat(" ")
    cells = [
        account, src, dst, "from-internal", f'"Ada" <{src}>', "SIP/100-00000001", "SIP/trunk-00000002", "Dial",
        f"SIP/trunk/{dst},60,tT", start, answer, end,
    ]  # fmt: skip
    quoted = ",".join('"' + cell.replace('"', '""') + '"' for cell in cells)
    return f'{quoted},{duration},{billsec},"{disposition}","DOCUMENTATION","{unique_id}",""'


def master_csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()
