"""Call records: import a file of CDRs, rate every call, keep the ones that cannot be rated for
staff to re-rate, and use each plan's included minutes in call order (billing/rating.py has the
rules; billing/call_charges.py puts rated calls on invoices).

Two formats:

- Asterisk's `Master.csv` (cdr_csv): the columns accountcode, src, dst, dcontext, clid, channel,
  dstchannel, lastapp, lastdata, start, answer, end, duration, billsec, disposition, amaflags,
  uniqueid and, optionally, userfield, by position; a header line naming them is allowed (the
  file Asterisk writes has none).
- Any CSV with a header line, its columns mapped by staff to unique id, account code, source,
  destination, start, answered seconds and, optionally, duration and disposition.

Times without an offset are read in the zone staff choose (the provider's, or UTC: Asterisk's
`usegmtime`). A file is checked whole before anything is written: a wrong header, a negative
duration, a date that cannot be read, a missing unique id refuse it with every fault by line.

Which service made a call: the service whose identifiers (inventory; set by provisioning or by
hand) hold the call's account code (`voice_account`), else its source number (`phone_number`,
or one of `phone_numbers`). A call no service claims, or to a number no rate prices, is kept
unrated, with the reason, until staff re-rate it (`calls_rerate`) after fixing the rate deck or
the service; a call not answered is kept, not charged. A call whose unique id is known already
is a duplicate and changes nothing, so importing a file again changes nothing (and the same
file is recognised by its digest and returns its first import).

Included minutes (the plan version's `voice_included_minutes`) are used per service and bill
cycle in call order: a call that arrives late, before calls already rated, takes its place, and
the cycle's unbilled calls are rated again around it; calls already on an invoice keep what
they used."""

import csv
import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from django.db import IntegrityError, connection, models, transaction
from django.db.models import QuerySet

from headend.billing import proration, rate_decks, rating
from headend.billing.models import CallRecord, CdrImport
from headend.billing.usage_files import FileRejected, LineError, cell_error, reader, text_of
from headend.core import clock
from headend.core.errors import Conflict, NotFound, ValidationError
from headend.core.permissions import require
from headend.inventory.models import Service

ASTERISK_COLUMNS = (
    "accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp", "lastdata", "start",
    "answer", "end", "duration", "billsec", "disposition", "amaflags", "uniqueid", "userfield",
)  # fmt: skip
ASTERISK_MIN = 17  # userfield is optional
# What a mapped CSV must (or may) say, and how the mapping form names it.
MAPPED_FIELDS = {
    "unique_id": "Unique id",
    "account": "Account code",
    "source": "Source number",
    "destination": "Destination number",
    "start": "Start time",
    "billsec": "Answered seconds",
    "duration": "Duration (seconds)",
    "disposition": "Disposition",
}
MAPPED_REQUIRED = ("unique_id", "destination", "start", "billsec")
ZONES = {"provider": "The provider's time zone", "UTC": "UTC"}
ANSWERED = "ANSWERED"
# The service identifiers that claim calls (inventory's Service.identifiers).
ACCOUNT_KEY, NUMBER_KEY, NUMBERS_KEY = "voice_account", "phone_number", "phone_numbers"
WIDTHS = {"account": 80, "source": 80, "destination": 80, "disposition": 20, "unique_id": 150}
MAX_LINES = 2_000_000
CHUNK = 2000  # ids per query
KNOWN_CHUNK = 10_000  # unique ids per query (SQLite takes 32,766 parameters since 3.32)
INSERT_BATCH = 5000
REPORT_KEPT = 1000
LIVE = (Service.Status.ACTIVE, Service.Status.SUSPENDED, Service.Status.PENDING_DISCONNECT)


@dataclass(slots=True)
class Call:
    """A call read from a file (or an unrated one read back to re-rate), and its rating."""

    line: int
    unique_id: str
    account: str
    source: str
    destination: str
    started_at: dt.datetime  # aware, in UTC
    local: dt.datetime  # the start where the provider is (bands, the day, the bill cycle)
    duration: int
    billsec: int
    disposition: str
    pk: int | None = None
    status: str = CallRecord.Status.UNRATED
    reason: str = ""
    service_id: int | None = None
    subscription_id: int | None = None
    tariff: rating.Tariff | None = None
    cycle_start: dt.date | None = None
    billed: int = 0
    included: int = 0
    amount: Decimal = Decimal("0.00")
    bundle: int = 0  # the included seconds of the service's plan a cycle


# --- Reading the files -----------------------------------------------------------------------


class _Times:
    """Times as the file writes them: (the instant, aware in UTC; the wall time where the provider
    is). A time without an offset is in the chosen zone; the offsets are worked out once an hour
    of the file (a million calls span a few hundred hours)."""

    def __init__(self, zone_name: str):
        self.provider = clock.provider_zone()
        self.in_utc = zone_name == "UTC"
        self._offsets: dict[str, dt.timedelta] = {}

    def _offset(self, key: str, wall: dt.datetime) -> dt.timedelta:
        offset = self._offsets.get(key)
        if offset is None:
            probe = wall.replace(tzinfo=dt.UTC) if self.in_utc else wall
            offset = self._offsets[key] = self.provider.utcoffset(probe) or dt.timedelta(0)
        return offset

    def read(self, text: str) -> tuple[dt.datetime, dt.datetime]:
        """Raises ValueError (or OverflowError, OSError for an epoch out of range)."""
        if text.isdigit():  # seconds since 1970 (FreeSWITCH, Kamailio)
            aware = dt.datetime.fromtimestamp(int(text), dt.UTC)
            return aware, aware.astimezone(self.provider).replace(tzinfo=None)
        parsed = dt.datetime.fromisoformat(text)
        if parsed.tzinfo is not None:
            return parsed.astimezone(dt.UTC), parsed.astimezone(self.provider).replace(tzinfo=None)
        key = text[:13]  # "2026-03-02 14": the hour
        offset = self._offsets.get(key)
        if offset is None:
            offset = self._offset(key, parsed)
        if self.in_utc:
            return parsed.replace(tzinfo=dt.UTC), parsed + offset
        return (parsed - offset).replace(tzinfo=dt.UTC), parsed


def _seconds(text: str, line: int, column: str, errors: list[LineError]) -> int:
    if text.isdigit():
        return int(text)
    text = text.strip()
    if text.isdigit():
        return int(text)
    if text.startswith("-") and text[1:].strip().isdigit():
        errors.append(LineError(line, column, f"{column} is negative ({text}): a call lasts 0 seconds or more."))
    elif not text:
        errors.append(LineError(line, column, f"{column} is empty: the call's seconds, 0 or more."))
    else:
        errors.append(LineError(line, column, f"{column} is not a whole number of seconds: {text[:30]!r}."))
    return 0


def _when(
    times: _Times, text: str, line: int, column: str, errors: list[LineError]
) -> tuple[dt.datetime, dt.datetime] | None:
    try:
        return times.read(text.strip())
    except (ValueError, OverflowError, OSError):
        errors.append(
            LineError(line, column, f"{column} is not a date and time: {text[:40]!r}; write it as 2026-03-02 14:05:09.")
        )
        return None


def _call(
    line: int,
    values: tuple[str, str, str, str, str, str | None, str, str],
    times: _Times,
    errors: list[LineError],
    columns: Mapping[str, str],
) -> Call | None:
    """A call from its cells (unique id, account, source, destination, start, duration, billsec,
    disposition), or None with its faults added to `errors`; `columns` names them as the file does."""
    unique_id, account, source, destination, start, duration_text, billsec_text, disposition = values
    before = len(errors)
    for name, value in zip(("unique_id", "account", "source", "destination", "disposition"),
                           (unique_id, account, source, destination, disposition), strict=True):  # fmt: skip
        if (len(value) > WIDTHS[name] or "\x00" in value) and (
            fault := cell_error(line, columns[name], value, WIDTHS[name])
        ):
            errors.append(fault)
    if not unique_id:
        errors.append(LineError(line, columns["unique_id"], "The unique id is empty: every call needs one."))
    when = _when(times, start, line, columns["start"], errors)
    duration = _seconds(duration_text, line, columns["duration"], errors) if duration_text is not None else None
    billsec = _seconds(billsec_text, line, columns["billsec"], errors)
    if duration is None:
        duration = billsec
    elif billsec > duration and len(errors) == before:
        errors.append(LineError(line, columns["billsec"], f"billsec ({billsec}) is more than duration ({duration})."))
    if len(errors) != before or when is None:
        return None
    return Call(line, unique_id, account, source, destination, when[0], when[1], duration, billsec, disposition)


ASTERISK_NAMES = {
    "unique_id": "uniqueid", "account": "accountcode", "source": "src", "destination": "dst", "start": "start",
    "duration": "duration", "billsec": "billsec", "disposition": "disposition",
}  # fmt: skip


def _is_header(cells: list[str]) -> bool:
    """A line of names: no cell starts with a digit (a call's start time always does)."""
    return not any(cell.strip()[:1].isdigit() for cell in cells)


def _plain(line: int, cells: list[str], times: _Times) -> Call | None:
    """A Master.csv line read the quick way when nothing is wrong with it; None sends it to the
    checks that say what is (`_call`)."""
    unique_id, account, source, destination, disposition = cells[16], cells[0], cells[1], cells[2], cells[14]
    duration, billsec = cells[12], cells[13]
    if not (
        unique_id
        and duration.isdigit()
        and billsec.isdigit()
        and len(unique_id) <= 150
        and len(account) <= 80
        and len(source) <= 80
        and len(destination) <= 80
        and len(disposition) <= 20
        and "\x00" not in unique_id + account + source + destination + disposition
    ):
        return None
    seconds, answered = int(duration), int(billsec)
    if answered > seconds:
        return None
    try:
        started_at, local = times.read(cells[9])
        if cells[10]:
            dt.datetime.fromisoformat(cells[10])
        if cells[11]:
            dt.datetime.fromisoformat(cells[11])
    except (ValueError, OverflowError, OSError):
        return None
    return Call(line, unique_id, account, source, destination, started_at, local, seconds, answered, disposition)


def _check_header(names: list[str]) -> None:
    """A header line must name Master.csv's columns, in order. Raises FileRejected (line 1)."""
    expected = ASTERISK_COLUMNS[: max(len(names), ASTERISK_MIN)]
    if names == list(expected):
        return
    wrong = next((i for i, name in enumerate(names) if i >= len(expected) or name != expected[i]), len(names))
    found = names[wrong][:40] if wrong < len(names) else "nothing"
    wanted = ASTERISK_COLUMNS[wrong] if wrong < len(ASTERISK_COLUMNS) else "no more columns"
    columns = ", ".join(ASTERISK_COLUMNS[:ASTERISK_MIN])
    message = (
        f"The header is not Asterisk's Master.csv: column {wrong + 1} is {found!r} where Master.csv has {wanted!r} "
        f"(columns: {columns}, optionally userfield)."
    )
    raise FileRejected([LineError(1, found, message)], what="header")


def read_asterisk(data: bytes, *, zone: str = "provider") -> list[Call]:
    """The calls of an Asterisk Master.csv. Raises FileRejected (every fault by line) or
    ValidationError (`file`)."""
    times = _Times(zone)
    rows = reader(text_of(data))
    calls: list[Call] = []
    errors: list[LineError] = []
    append = calls.append
    first = True
    while True:
        line = rows.line_num + 1
        try:
            cells = next(rows)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(LineError(line, "", f"This line cannot be read as CSV ({exc})."))
            continue
        if first:
            if not any(cell.strip() for cell in cells):
                continue  # blank lines before the first
            first = False
            if _is_header(cells):
                _check_header([cell.strip().lower() for cell in cells])
                continue
        count = len(cells)
        if count != ASTERISK_MIN and count != ASTERISK_MIN + 1:
            if any(cell.strip() for cell in cells):
                errors.append(LineError(line, "", f"The line has {count} cells; Master.csv lines have {ASTERISK_MIN} "
                                                  f"(or {ASTERISK_MIN + 1} with userfield)."))  # fmt: skip
            continue
        if len(calls) >= MAX_LINES:
            raise ValidationError(f"At most {MAX_LINES:,} calls per file; split it.", field="file", code="too_many")
        call = _plain(line, cells, times)
        if call is not None:
            append(call)
            continue
        answer, end = cells[10], cells[11]
        if answer and _when(times, answer, line, "answer", errors) is None:
            continue
        if end and _when(times, end, line, "end", errors) is None:
            continue
        call = _call(line, (cells[16], cells[0], cells[1], cells[2], cells[9], cells[12], cells[13], cells[14]),
                     times, errors, ASTERISK_NAMES)  # fmt: skip
        if call is not None:
            append(call)
    if errors:
        raise FileRejected(errors, what="file")
    if not calls:
        raise ValidationError("The file holds no call.", field="file", code="empty")
    return calls


def check_mapping(mapping: Mapping[str, str]) -> dict[str, str]:
    """The mapping without blanks, the file's column names folded. Raises ValidationError (the
    field that lacks a column)."""
    cleaned = {key: (mapping.get(key) or "").strip().lower() for key in MAPPED_FIELDS}
    for key in MAPPED_REQUIRED:
        if not cleaned[key]:
            raise ValidationError(f"Name the file's column of the {MAPPED_FIELDS[key].lower()}.", field=key)
    if not cleaned["account"] and not cleaned["source"]:
        raise ValidationError("Name the column of the account code or of the source number.", field="source")
    return {key: value for key, value in cleaned.items() if value}


def read_mapped(data: bytes, *, mapping: Mapping[str, str], zone: str = "provider") -> list[Call]:
    """The calls of a CSV with a header line, its columns as `mapping` says (field -> column).
    Raises FileRejected or ValidationError."""
    mapping = check_mapping(mapping)
    times = _Times(zone)
    rows = reader(text_of(data))
    try:
        header = [cell.strip().lower() for cell in next(rows, None) or []]
    except csv.Error as exc:
        raise ValidationError(f"The header line cannot be read as CSV ({exc}).", field="file", code="bad_file") from exc
    missing = [column for column in mapping.values() if column not in header]
    if missing:
        names = ", ".join(header)[:300]
        raise FileRejected(
            [
                LineError(1, column[:40], f"The header has no column {column[:40]!r} (it names {names}).")
                for column in missing
            ],
            what="header",
        )
    at = {key: header.index(column) for key, column in mapping.items()}
    labels = {key: mapping.get(key, key) for key in MAPPED_FIELDS}
    width = len(header)
    calls: list[Call] = []
    errors: list[LineError] = []
    while True:
        line = rows.line_num + 1
        try:
            cells = next(rows)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(LineError(line, "", f"This line cannot be read as CSV ({exc})."))
            continue
        if len(cells) != width:
            if any(cell.strip() for cell in cells):
                errors.append(LineError(line, "", f"The line has {len(cells)} cells; the header names {width}."))
            continue
        if len(calls) >= MAX_LINES:
            raise ValidationError(f"At most {MAX_LINES:,} calls per file; split it.", field="file", code="too_many")
        cell = {key: cells[position].strip() for key, position in at.items()}
        values = (
            cell["unique_id"], cell.get("account", ""), cell.get("source", ""), cell["destination"], cell["start"],
            cell.get("duration"), cell["billsec"], cell.get("disposition", ""),
        )  # fmt: skip
        call = _call(line, values, times, errors, labels)
        if call is not None:
            calls.append(call)
    if errors:
        raise FileRejected(errors, what="file")
    if not calls:
        raise ValidationError("The file holds no call under its header.", field="file", code="empty")
    return calls


# --- Who made each call, what it costs ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Owner:
    """The voice service a call belongs to, as rating needs it."""

    service_id: int
    number: str
    subscription_id: int | None
    bill_day: int
    included_seconds: int


@dataclass
class Directory:
    """Voice services by account code and by number (`rating.dialled`), one query."""

    by_account: dict[str, Owner] = field(default_factory=dict)
    by_number: dict[str, Owner] = field(default_factory=dict)

    def find(self, account: str, source: str) -> Owner | None:
        owner = self.by_account.get(account) if account else None
        if owner is None and source:
            owner = self.by_number.get(rating.dialled(source))
        return owner


def directory() -> Directory:
    """Every service whose identifiers claim calls. Where two claim the same code or number, a
    live one wins over one that is not, then the newest."""
    found = Directory()
    rows = (
        Service.objects.filter(identifiers__has_any_keys=[ACCOUNT_KEY, NUMBER_KEY, NUMBERS_KEY])
        .order_by("pk")
        .values_list(
            "pk", "status", "identifiers", "product_version__voice_included_minutes", "billing__pk",
            "billing__billing_account__bill_day", "billing__billing_account__parent__bill_day",
        )
    )  # fmt: skip
    ranked = sorted(rows, key=lambda row: (row[1] in LIVE, row[0]))  # later wins
    for pk, _status, identifiers, minutes, subscription_id, bill_day, parent_day in ranked:
        owner = Owner(pk, f"S-{pk:06d}", subscription_id, parent_day or bill_day or 1, (minutes or 0) * 60)
        account = str(identifiers.get(ACCOUNT_KEY) or "").strip()
        if account:
            found.by_account[account] = owner
        numbers = identifiers.get(NUMBERS_KEY) or []
        for number in [identifiers.get(NUMBER_KEY), *(numbers if isinstance(numbers, list) else [numbers])]:
            if number and (digits := rating.dialled(str(number))):
                found.by_number[digits] = owner
    return found


class Rater:
    """Rates calls against one directory and one rate table (`rate`), caching what repeats."""

    def __init__(self, owners: Directory, table: rating.RateTable):
        self.owners, self.table = owners, table
        self._cycles: dict[tuple[dt.date, int], dt.date] = {}
        self._amounts: dict[tuple[int, int], Decimal] = {}
        self._owners: dict[tuple[str, str], Owner | None] = {}

    def owner(self, account: str, source: str) -> Owner | None:
        key = (account, source)
        if key in self._owners:
            return self._owners[key]
        found = self._owners[key] = self.owners.find(account, source)
        return found

    def cycle(self, day: dt.date, bill_day: int) -> dt.date:
        key = (day, bill_day)
        found = self._cycles.get(key)
        if found is None:
            found = self._cycles[key] = proration.period_containing(day, bill_day).start
        return found

    def amount(self, tariff: rating.Tariff, seconds: int) -> Decimal:
        key = (tariff.key, seconds)
        found = self._amounts.get(key)
        if found is None:
            found = self._amounts[key] = rating.call_amount(tariff.rate, seconds)
        return found

    def rate(self, call: Call) -> None:
        """Who made `call`, its rate, bill cycle and billed seconds (its amount before any included
        minutes); or why it is not rated."""
        owner = self.owner(call.account, call.source)
        call.tariff, call.billed, call.included, call.amount = None, 0, 0, Decimal("0.00")
        call.service_id = owner.service_id if owner else None
        call.subscription_id = owner.subscription_id if owner else None
        call.cycle_start = self.cycle(call.local.date(), owner.bill_day) if owner else None
        call.bundle = owner.included_seconds if owner else 0
        if call.billsec <= 0 or (call.disposition and call.disposition.upper() != ANSWERED):
            call.status = CallRecord.Status.NOT_CHARGED
            answered = not call.disposition or call.disposition.upper() == ANSWERED
            call.reason = "No answered seconds." if answered else f"Not answered ({call.disposition})."
            return
        call.status = CallRecord.Status.UNRATED
        if owner is None:
            call.reason = (
                f"No voice service has account code {call.account!r} or number {call.source!r}."
                if call.account
                else f"No voice service has number {call.source!r}."
            )[:200]
            return
        if owner.subscription_id is None:
            call.reason = f"{owner.number} bills to no billing account yet."
            return
        number = rating.dialled(call.destination)
        tariff = self.table.find(number, call.local) if number else None
        if tariff is None:
            call.reason = f"No rate for {call.destination!r} on {call.local:%Y-%m-%d %H:%M}."[:200]
            return
        call.status, call.reason, call.tariff = CallRecord.Status.RATED, "", tariff
        call.billed = rating.billed_seconds(call.billsec, tariff.minimum, tariff.increment)
        call.amount = self.amount(tariff, call.billed)


# --- Included minutes, in call order -----------------------------------------------------------


@dataclass(slots=True)
class _Held:
    """A rated call of the cycle already stored: what its rating needs, and what it had."""

    pk: int
    started_at: dt.datetime
    unique_id: str
    billed: int
    rate: Decimal
    in_bundle: bool
    included: int
    amount: Decimal


def _stored_of(groups: set[tuple[int, dt.date]], exclude: set[int]) -> tuple[dict, dict]:
    """The stored rated calls of these (subscription, cycle) groups: the unbilled ones (locked,
    they may be rated again) and the included seconds the billed ones used."""
    unbilled: dict[tuple[int, dt.date], list[_Held]] = defaultdict(list)
    used: dict[tuple[int, dt.date], int] = defaultdict(int)
    subscriptions = sorted({subscription for subscription, _ in groups})
    cycles = sorted({cycle for _, cycle in groups})
    for start in range(0, len(subscriptions), CHUNK):
        rows = (
            CallRecord.objects.select_for_update(of=("self",))
            .filter(
                subscription_id__in=subscriptions[start : start + CHUNK],
                cycle_start__in=cycles,
                status=CallRecord.Status.RATED,
            )
            .order_by("pk")
            .values_list(
                "pk", "subscription_id", "cycle_start", "started_at", "unique_id", "billed_seconds",
                "rate__rate_per_minute", "rate__in_bundle", "included_seconds", "amount", "invoice_line_id",
            )
        )  # fmt: skip
        for pk, subscription, cycle, started_at, unique_id, billed, rate, in_bundle, included, amount, line in rows:
            key = (subscription, cycle)
            if key not in groups or pk in exclude:
                continue
            if line is not None:
                used[key] += included
            else:
                unbilled[key].append(_Held(pk, started_at, unique_id, billed, rate, in_bundle, included, amount))
    return unbilled, used


def apply_bundles(calls: list[Call], rater: Rater) -> list[_Held]:
    """Use the included minutes of each (service, cycle) the rated `calls` fall in, in call order
    with the cycle's stored calls; return the stored calls whose included seconds changed."""
    groups: dict[tuple[int, dt.date], list[Call]] = defaultdict(list)
    for call in calls:
        if call.status == CallRecord.Status.RATED and call.bundle and call.subscription_id and call.cycle_start:
            groups[(call.subscription_id, call.cycle_start)].append(call)
    if not groups:
        return []
    unbilled, used = _stored_of(set(groups), {call.pk for call in calls if call.pk is not None})
    changed: list[_Held] = []
    for key, new in groups.items():
        allowance = rating.Allowance(new[0].bundle - used.get(key, 0))
        entries: list[Call | _Held] = [*new, *unbilled.get(key, [])]
        entries.sort(key=lambda entry: (entry.started_at, entry.unique_id))
        for entry in entries:
            if isinstance(entry, Call):
                assert entry.tariff is not None
                entry.included = allowance.use(entry.billed) if entry.tariff.in_bundle else 0
                entry.amount = rater.amount(entry.tariff, entry.billed - entry.included)
            else:
                included = allowance.use(entry.billed) if entry.in_bundle else 0
                amount = rating.call_amount(entry.rate, entry.billed - included)
                if (included, amount) != (entry.included, entry.amount):
                    entry.included, entry.amount = included, amount
                    changed.append(entry)
    return changed


# --- Writing -----------------------------------------------------------------------------------


# The columns an import writes, in the order `rows_of` gives them.
COLUMNS = (
    "cdr_import", "line", "unique_id", "account_code", "source", "destination", "started_at", "duration_seconds",
    "billsec", "disposition", "status", "reason", "service", "subscription", "rate", "destination_name",
    "cycle_start", "billed_seconds", "included_seconds", "amount", "rated_at",
)  # fmt: skip


def rows_of(calls: Iterable[Call], batch_id: int, at: dt.datetime) -> Iterator[tuple]:
    """Each call as the row of COLUMNS that `insert_rows` writes (values the database reads:
    SQLite gets instants as Django writes them, naive UTC text)."""
    sqlite = connection.vendor == "sqlite"
    stamp: Any = str(at.astimezone(dt.UTC).replace(tzinfo=None)) if sqlite else at
    for call in calls:
        tariff = call.tariff
        started: Any = str(call.started_at.replace(tzinfo=None)) if sqlite else call.started_at
        yield (
            batch_id, call.line, call.unique_id, call.account, call.source, call.destination, started, call.duration,
            call.billsec, call.disposition, call.status, call.reason, call.service_id, call.subscription_id,
            tariff.key if tariff else None, tariff.description if tariff else "", call.cycle_start, call.billed,
            call.included, call.amount, stamp if tariff else None,
        )  # fmt: skip


def _column(name: str) -> str:
    return cast(models.Field, CallRecord._meta.get_field(name)).column


def insert_rows(rows: Iterable[Sequence[Any]]) -> int:
    """Insert call rows (COLUMNS, in order) set-wise: one COPY on PostgreSQL, one executemany of
    INSERT_BATCH rows at a time on SQLite. Returns how many."""
    options = CallRecord._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(_column(name)) for name in COLUMNS)
    table = quote(options.db_table)
    written = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with connection.wrap_database_errors, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                write_row = copy.write_row
                for row in rows:
                    write_row(row)
                    written += 1
            return written
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(COLUMNS))})"  # noqa: S608 (model names)
        chunk: list[Sequence[Any]] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) == INSERT_BATCH:
                cursor.executemany(sql, chunk)
                written += len(chunk)
                chunk = []
        if chunk:
            cursor.executemany(sql, chunk)
            written += len(chunk)
    return written


def _update(columns: list[str], rows: list[list[Any]]) -> None:
    """UPDATE these columns of calls by id, one executemany (each row: the values, then the id)."""
    if not rows:
        return
    fields = [cast(models.Field, CallRecord._meta.get_field(name)) for name in columns]
    quote = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE id = %s".format(  # noqa: S608 (names from the model, values as parameters)
        quote(CallRecord._meta.db_table), ", ".join(f"{quote(f.column)} = %s" for f in fields)
    )
    prepared = [
        [f.get_db_prep_save(value, connection) for f, value in zip(fields, row[:-1], strict=True)] + [row[-1]]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, prepared)


def _write_changed(changed: list[_Held], at: dt.datetime) -> None:
    _update(["included_seconds", "amount", "rated_at"], [[held.included, held.amount, at, held.pk] for held in changed])


def _known(unique_ids: list[str]) -> set[str]:
    """The unique ids stored already. SQLite: KNOWN_CHUNK a query, each id an index lookup (raw:
    the ORM prepares each parameter of an IN one by one). PostgreSQL: one query, the ids as one
    array (in chunks its planner would scan the whole table once a chunk)."""
    table = connection.ops.quote_name(CallRecord._meta.db_table)
    known: set[str] = set()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT unique_id FROM {table} WHERE unique_id = ANY(%s)", [unique_ids])  # noqa: S608
            return {row[0] for row in cursor.fetchall()}
        for start in range(0, len(unique_ids), KNOWN_CHUNK):
            chunk = unique_ids[start : start + KNOWN_CHUNK]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"SELECT unique_id FROM {table} WHERE unique_id IN ({marks})", chunk)  # noqa: S608
            known.update(row[0] for row in cursor.fetchall())
    return known


def _note(notes: list[list[Any]], line: int, unique_id: str, outcome: str, message: str) -> None:
    if len(notes) < REPORT_KEPT:
        notes.append([line, unique_id[:60], outcome, message])


# --- Use cases ---------------------------------------------------------------------------------


def read_calls(
    data: bytes, *, format: str, mapping: Mapping[str, str] | None = None, zone: str = "provider"
) -> list[Call]:
    """The calls of a file in `format` (CdrImport.Format). Raises FileRejected or ValidationError."""
    if zone not in ZONES:
        raise ValidationError(f"Times are read in one of {', '.join(ZONES)}.", field="time_zone")
    if format == CdrImport.Format.ASTERISK:
        return read_asterisk(data, zone=zone)
    if format == CdrImport.Format.MAPPED:
        return read_mapped(data, mapping=mapping or {}, zone=zone)
    raise ValidationError("Choose the file's format.", field="format")


def cdr_import(
    *,
    data: bytes,
    file_name: str,
    format: str = CdrImport.Format.ASTERISK,
    mapping: Mapping[str, str] | None = None,
    time_zone: str = "provider",
    imported_by: Any = None,
) -> CdrImport:
    """Import a file of call records, all or nothing: every new call stored and rated, duplicates
    (by unique id) left as they were. The same file again returns its first import. Raises
    FileRejected (every fault by line), ValidationError (a field of the form), or Conflict when
    another import wrote some of the same calls meanwhile (nothing written: import it again)."""
    try:
        return _cdr_import(
            data=data, file_name=file_name, format=format, mapping=mapping, time_zone=time_zone, imported_by=imported_by
        )
    except IntegrityError as exc:
        raise Conflict(
            "Another import wrote some of these calls meanwhile; nothing was written: import the file again.",
            field="file",
            code="concurrent_import",
        ) from exc


@transaction.atomic
def _cdr_import(
    *,
    data: bytes,
    file_name: str,
    format: str = CdrImport.Format.ASTERISK,
    mapping: Mapping[str, str] | None = None,
    time_zone: str = "provider",
    imported_by: Any = None,
) -> CdrImport:
    if imported_by is not None:
        require(imported_by, "rating.manage")
    digest = hashlib.sha256(data).hexdigest()
    found = CdrImport.objects.filter(digest=digest).first()
    if found is not None:
        return found
    calls = read_calls(data, format=format, mapping=mapping, zone=time_zone)
    at = clock.now()
    notes: list[list[Any]] = []
    known = _known([call.unique_id for call in calls])
    fresh: list[Call] = []
    first_line: dict[str, int] = {}
    for call in calls:
        if call.unique_id in known:
            earlier = first_line.get(call.unique_id)
            _note(notes, call.line, call.unique_id, "duplicate",
                  f"Also on line {earlier} of this file." if earlier else "Imported before.")  # fmt: skip
            continue
        known.add(call.unique_id)
        first_line[call.unique_id] = call.line
        fresh.append(call)
    rater = Rater(directory(), rate_decks.rate_table())
    for call in fresh:
        rater.rate(call)
    changed = apply_bundles(fresh, rater)
    counts = {status: 0 for status in CallRecord.Status.values}
    for call in fresh:
        counts[call.status] += 1
        if call.status == CallRecord.Status.UNRATED:
            _note(notes, call.line, call.unique_id, "unrated", call.reason)
    batch = CdrImport.objects.create(
        file_name=file_name[:200],
        digest=digest,
        format=format,
        mapping=dict(mapping or {}) if format == CdrImport.Format.MAPPED else {},
        time_zone=time_zone,
        lines=len(calls),
        added=len(fresh),
        duplicates=len(calls) - len(fresh),
        rated=counts[CallRecord.Status.RATED],
        unrated=counts[CallRecord.Status.UNRATED],
        not_charged=counts[CallRecord.Status.NOT_CHARGED],
        report=sorted(notes),
        imported_by=imported_by if getattr(imported_by, "pk", None) else None,
        imported_at=at,
    )
    insert_rows(rows_of(fresh, batch.pk, at))
    _write_changed(changed, at)
    return batch


@dataclass(frozen=True)
class Rerated:
    rated: int
    unrated: int
    not_charged: int


@transaction.atomic
def calls_rerate(*, rerated_by: Any = None, call_ids: Iterable[int] | None = None) -> Rerated:
    """Rate the unrated calls again (those of `call_ids`, else all), after the rate deck or the
    services were fixed; the ones still unrated keep waiting with their new reason."""
    if rerated_by is not None:
        require(rerated_by, "rating.manage")
    rows = CallRecord.objects.select_for_update().filter(status=CallRecord.Status.UNRATED).order_by("pk")
    if call_ids is not None:
        rows = rows.filter(pk__in=list(call_ids))
    provider = clock.provider_zone()
    calls = [
        Call(line, unique_id, account, source, destination, started_at,
             started_at.astimezone(provider).replace(tzinfo=None), duration, billsec, disposition, pk=pk)
        for pk, line, unique_id, account, source, destination, started_at, duration, billsec, disposition in
        rows.values_list("pk", "line", "unique_id", "account_code", "source", "destination", "started_at",
                         "duration_seconds", "billsec", "disposition")
    ]  # fmt: skip
    if not calls:
        return Rerated(0, 0, 0)
    at = clock.now()
    rater = Rater(directory(), rate_decks.rate_table())
    for call in calls:
        rater.rate(call)
    changed = apply_bundles(calls, rater)
    _update(
        ["status", "reason", "service", "subscription", "rate", "destination_name", "cycle_start", "billed_seconds",
         "included_seconds", "amount", "rated_at"],
        [[call.status, call.reason, call.service_id, call.subscription_id, call.tariff.key if call.tariff else None,
          call.tariff.description if call.tariff else "", call.cycle_start, call.billed, call.included, call.amount,
          at if call.tariff else None, call.pk] for call in calls],
    )  # fmt: skip
    _write_changed(changed, at)
    statuses = [call.status for call in calls]
    return Rerated(
        statuses.count(CallRecord.Status.RATED),
        statuses.count(CallRecord.Status.UNRATED),
        statuses.count(CallRecord.Status.NOT_CHARGED),
    )


# --- Reading -----------------------------------------------------------------------------------


def cdr_import_list() -> QuerySet[CdrImport]:
    return CdrImport.objects.select_related("imported_by").order_by("-imported_at", "-id")


def cdr_import_get(*, import_id: int) -> CdrImport:
    """The import; NotFound otherwise."""
    found = CdrImport.objects.select_related("imported_by").filter(pk=import_id).first()
    if found is None:
        raise NotFound("No such call record import.", field="id")
    return found


def unrated_calls() -> QuerySet[CallRecord]:
    """The calls waiting to be rated, oldest first."""
    return (
        CallRecord.objects.filter(status=CallRecord.Status.UNRATED)
        .select_related("cdr_import")
        .order_by("started_at", "id")
    )


def last_mapping() -> dict[str, str]:
    """The column mapping of the last mapped import (what the form offers next time)."""
    found = CdrImport.objects.filter(format=CdrImport.Format.MAPPED).order_by("-imported_at", "-id").first()
    return dict(found.mapping) if found is not None else {}
