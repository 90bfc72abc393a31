"""Taxes: the port billing asks for an invoice's taxes, the built-in engine over the tax table
(TaxRate rows), and the use cases that keep that table.

Billing hands an engine a TaxRequest (what is charged, of which tax category, where) and gets
TaxLines back, one per jurisdiction's rate; it never reads tax rates itself. A provider that
buys taxes from an outside service names its own engine class in settings.HEADEND_TAX_ENGINE,
and billing does not change."""

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.module_loading import import_string

from headend.billing.models import Jurisdiction, Sequence, TaxRate
from headend.catalog.models import TaxCategory
from headend.core import clock, events, numbers
from headend.core.errors import Conflict, NotFound, ValidationError
from headend.core.money import ZERO, round_cents
from headend.core.permissions import require

DEFAULT_ENGINE = "headend.billing.taxes.TableTaxEngine"
# TaxRate.rate_percent is DecimalField(max_digits=7, decimal_places=4).
RATE_DIGITS, RATE_PLACES = 7, 4
STATE_CODE = re.compile(r"[A-Z]{2}")
LEVEL_ORDER: dict[str, int] = {Jurisdiction.STATE: 0, Jurisdiction.COUNTY: 1, Jurisdiction.CITY: 2}


# --- The port -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """Where a charge is taxed: a state (two letters), and the county and city when known."""

    state: str
    county: str = ""
    city: str = ""


@dataclass(frozen=True)
class Taxable:
    """One charge to tax; `key` is the caller's (an invoice line's position), handed back on
    the tax lines it went into. A credit has a negative amount and lowers the base."""

    key: int
    amount: Decimal
    category: str
    place: Place


@dataclass(frozen=True)
class TaxRequest:
    """An invoice's charges, for the taxes due on them on `bill_date`; an exempt customer
    (with its `certificate`) owes none."""

    bill_date: dt.date
    currency: str
    exempt: bool
    certificate: str
    items: tuple[Taxable, ...]


@dataclass(frozen=True)
class TaxLine:
    """The tax of one jurisdiction's rate: `amount` is `taxable_amount` x `rate_percent` / 100,
    rounded half-up to the cent; `keys` are the Taxables it was charged on."""

    jurisdiction: str
    rate_percent: Decimal
    taxable_amount: Decimal
    amount: Decimal
    category: str
    keys: tuple[int, ...]


class TaxEngine(Protocol):
    """What works out an invoice's taxes: the tax table here, or an outside tax service."""

    def taxes(self, request: TaxRequest) -> list[TaxLine]: ...


def engine() -> TaxEngine:
    """A new instance of the engine settings.HEADEND_TAX_ENGINE names (a dotted class path;
    the tax table's own engine when unset)."""
    return import_string(getattr(settings, "HEADEND_TAX_ENGINE", DEFAULT_ENGINE))()


def place_of(location: Any) -> Place:
    """Where charges at a customer's service location are taxed. Locations carry no county, so
    county rates apply only to places an outside engine resolves."""
    return Place(state=(location.state or "").strip().upper(), city=(location.city or "").strip())


@dataclass
class _Base:
    rate: TaxRate
    amount: Decimal = ZERO
    keys: list[int] = field(default_factory=list)


class TableTaxEngine:
    """The built-in engine: the rates of the tax table in effect on the bill date, for the
    item's category, whose jurisdiction holds the item's place (its state; its county; its
    city). Each rate is charged once on the sum of the items it applies to.

    Rates are read once per (state, bill date) for the engine's life: a bill run that makes
    one engine for many invoices asks the database once per state."""

    def __init__(self) -> None:
        self._rates: dict[tuple[str, dt.date], list[TaxRate]] = {}

    def taxes(self, request: TaxRequest) -> list[TaxLine]:
        if request.exempt or not request.items:
            return []
        self._load({_state(item.place) for item in request.items}, request.bill_date)
        bases: dict[int, _Base] = {}
        for item in request.items:
            for rate in self._rates[(_state(item.place), request.bill_date)]:
                if rate.category == item.category and _holds(rate, item.place):
                    base = bases.setdefault(rate.pk, _Base(rate))
                    base.amount += item.amount
                    if item.key not in base.keys:
                        base.keys.append(item.key)
        lines = []
        for base in sorted(bases.values(), key=lambda b: _rate_order(b.rate)):
            if base.amount == 0:
                continue
            rate = base.rate
            lines.append(
                TaxLine(
                    jurisdiction=rate.jurisdiction,
                    rate_percent=rate.rate_percent,
                    taxable_amount=base.amount,
                    amount=round_cents(base.amount * rate.rate_percent / 100),
                    category=rate.category,
                    keys=tuple(base.keys),
                )
            )
        return lines

    def _load(self, states: set[str], on: dt.date) -> None:
        missing = {state for state in states if (state, on) not in self._rates}
        if not missing:
            return
        for state in missing:
            self._rates[(state, on)] = []
        for rate in _in_effect(on).filter(state__in=missing):  # one query for every state not seen yet
            self._rates[(rate.state, on)].append(rate)


def _state(place: Place) -> str:
    return place.state.strip().upper()


def _holds(rate: TaxRate, place: Place) -> bool:
    """Whether the rate's jurisdiction contains the place (the state is already the same)."""
    if rate.level == Jurisdiction.COUNTY:
        return bool(place.county.strip()) and rate.county.casefold() == place.county.strip().casefold()
    if rate.level == Jurisdiction.CITY:
        return bool(place.city.strip()) and rate.city.casefold() == place.city.strip().casefold()
    return True


def _rate_order(rate: TaxRate) -> tuple:
    return (rate.state, LEVEL_ORDER[rate.level], rate.county.casefold(), rate.city.casefold(), rate.name, rate.pk)


def _in_effect(on: dt.date) -> Any:
    return TaxRate.objects.filter(effective_from__lte=on).filter(Q(effective_to=None) | Q(effective_to__gte=on))


# --- Reads for the staff pages ----------------------------------------------------------------


@dataclass(frozen=True)
class RateRow:
    """A rate as the tax page lists it: its percent without trailing zeros and whether it is
    in effect on the day asked, starts later (`upcoming`) or has `ended`."""

    rate: TaxRate
    percent: str
    status: str


@dataclass
class StateRates:
    """One state's rates on the tax page: in effect or starting later, and ended."""

    state: str
    current: list[RateRow]
    past: list[RateRow]


def tax_rate_get(*, tax_rate_id: int) -> TaxRate:
    """One rate of the tax table; NotFound otherwise."""
    rate = TaxRate.objects.filter(pk=tax_rate_id).first()
    if rate is None:
        raise NotFound("No such tax rate.", field="id")
    return rate


def tax_rates_by_state(*, on: dt.date) -> list[StateRates]:
    """Every rate, by state: those in effect on `on` or starting later, and those ended before it."""
    groups: dict[str, StateRates] = {}
    for rate in sorted(TaxRate.objects.all(), key=lambda r: (*_rate_order(r), r.category, r.effective_from)):
        group = groups.setdefault(rate.state, StateRates(rate.state, [], []))
        if rate.effective_to is not None and rate.effective_to < on:
            group.past.append(RateRow(rate, percent_text(rate.rate_percent), "ended"))
        else:
            status = "upcoming" if rate.effective_from > on else "active"
            group.current.append(RateRow(rate, percent_text(rate.rate_percent), status))
    return list(groups.values())


def percent_text(value: Decimal) -> str:
    """A rate as people write it: 5.5, 1.0625, 100 (not 5.5000)."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# --- Use cases --------------------------------------------------------------------------------

RATE_FIELDS = (
    "level",
    "name",
    "state",
    "county",
    "city",
    "category",
    "rate_percent",
    "effective_from",
    "effective_to",
)


def _lock_table() -> None:
    """Tax-rate writes one at a time (a row lock held to the end of the transaction), so two
    overlapping rates added at the same moment cannot both pass the overlap check."""
    Sequence.objects.get_or_create(kind="tax-table", defaults={"prefix": ""})
    Sequence.objects.select_for_update().get(kind="tax-table")


@transaction.atomic
def tax_rate_create(
    *,
    created_by: Any,
    level: str,
    name: str,
    state: str,
    category: str,
    rate_percent: Decimal | str,
    effective_from: dt.date | str,
    county: str = "",
    city: str = "",
    effective_to: dt.date | str | None = None,
) -> TaxRate:
    """Add a jurisdiction's tax on one category of charges, from a date (to a last day).

    Raises Forbidden unless the user keeps the tax table; ValidationError naming the field for
    bad input or when the rate overlaps in time another rate of the same jurisdiction and
    category."""
    require(created_by, "tax.manage")
    _lock_table()
    values = _rate_values(
        {
            "level": level,
            "name": name,
            "state": state,
            "county": county,
            "city": city,
            "category": category,
            "rate_percent": rate_percent,
            "effective_from": effective_from,
            "effective_to": effective_to,
        },
        exclude_pk=None,
    )
    rate = TaxRate(**values, created_at=clock.now())
    rate.full_clean()
    rate._history_user = created_by  # type: ignore[attr-defined]  # who acted, in the history row
    rate.save()
    events.emit("tax_rate.created", subject=rate, data=_event_data(rate))
    return rate


@transaction.atomic
def tax_rate_update(*, tax_rate: TaxRate, updated_by: Any, **fields: Any) -> TaxRate:
    """Correct a rate of the tax table, checked as when it was added; a change to nothing
    writes nothing. Invoices already made keep the rate they printed.

    Raises Forbidden, or ValidationError naming the field (overlap included)."""
    require(updated_by, "tax.manage")
    unknown = set(fields) - set(RATE_FIELDS)
    if unknown:
        raise TypeError(f"tax_rate_update() got unknown fields: {', '.join(sorted(unknown))}")
    _lock_table()
    rate = TaxRate.objects.select_for_update().get(pk=tax_rate.pk)
    current = {key: getattr(rate, key) for key in RATE_FIELDS}
    clean = _rate_values({**current, **fields}, exclude_pk=rate.pk)
    changed = sorted(key for key, value in clean.items() if current[key] != value)
    if not changed:
        return rate
    for key in changed:
        setattr(rate, key, clean[key])
    rate.full_clean()
    rate._history_user = updated_by  # type: ignore[attr-defined]
    rate.save()
    events.emit("tax_rate.updated", subject=rate, data={"fields": changed})
    return rate


@transaction.atomic
def tax_rate_end(*, tax_rate: TaxRate, ended_by: Any, last_day: dt.date | str) -> TaxRate:
    """A rate stops applying after `last_day` (a new rate may start the day after).

    Raises Forbidden; ValidationError on `last_day` before the rate starts; Conflict when the
    rate already ends on or before that day (edit it to extend it)."""
    require(ended_by, "tax.manage")
    last_day = _date(last_day, field="last_day", label="The last day")
    rate = TaxRate.objects.select_for_update().get(pk=tax_rate.pk)
    if last_day < rate.effective_from:
        raise ValidationError(
            f"The last day cannot be before the rate starts ({rate.effective_from:%Y-%m-%d}).",
            field="last_day",
            code="ends_before_start",
        )
    if rate.effective_to is not None and rate.effective_to <= last_day:
        raise Conflict(
            f"{rate.name} already ends on {rate.effective_to:%Y-%m-%d}; edit it to change its last day.",
            field="last_day",
            code="already_ended",
        )
    rate.effective_to = last_day
    rate._history_user = ended_by  # type: ignore[attr-defined]
    rate.save(update_fields=["effective_to"])
    events.emit("tax_rate.ended", subject=rate, data={"last_day": last_day.isoformat()})
    return rate


def _rate_values(values: dict[str, Any], *, exclude_pk: int | None) -> dict[str, Any]:
    """The rate's fields, checked and normalised; ValidationError names the first field at fault."""
    level = values["level"]
    if level not in Jurisdiction.values:
        raise ValidationError("Choose state, county or city.", field="level", code="invalid_choice")
    name = (values["name"] or "").strip()
    if not name:
        raise ValidationError("Name the tax as the invoice prints it.", field="name", code="required")
    if len(name) > 120:
        raise ValidationError("Keep the name to 120 characters.", field="name", code="too_long")
    state = (values["state"] or "").strip().upper()
    if not STATE_CODE.fullmatch(state):
        raise ValidationError("Enter the state's two-letter code, such as ME.", field="state", code="invalid_state")
    county, city = (values["county"] or "").strip(), (values["city"] or "").strip()
    if level == Jurisdiction.COUNTY and not county:
        raise ValidationError("A county rate names its county.", field="county", code="required")
    if level == Jurisdiction.CITY and not city:
        raise ValidationError("A city rate names its city.", field="city", code="required")
    if level != Jurisdiction.COUNTY and county:
        raise ValidationError(f"Leave the county empty for a {level} rate.", field="county", code="not_allowed")
    if level != Jurisdiction.CITY and city:
        raise ValidationError(f"Leave the city empty for a {level} rate.", field="city", code="not_allowed")
    if len(county) > 100 or len(city) > 100:
        raise ValidationError("Keep it to 100 characters.", field="county" if len(county) > 100 else "city")
    category = values["category"]
    if category not in TaxCategory.values:
        raise ValidationError("Choose the category of charges taxed.", field="category", code="invalid_choice")
    rate_percent = numbers.parse_decimal(
        values["rate_percent"],
        field="rate_percent",
        max_digits=RATE_DIGITS,
        decimal_places=RATE_PLACES,
        minimum=0,
        maximum=100,
        code="invalid_percent",
        example="5.5",
    )
    effective_from = _date(values["effective_from"], field="effective_from", label="The first day")
    effective_to = values["effective_to"]
    if effective_to not in (None, ""):
        effective_to = _date(effective_to, field="effective_to", label="The last day")
        if effective_to < effective_from:
            raise ValidationError(
                "The last day cannot be before the first day.", field="effective_to", code="ends_before_start"
            )
    else:
        effective_to = None
    clean = {
        "level": level,
        "name": name,
        "state": state,
        "county": county,
        "city": city,
        "category": category,
        "rate_percent": rate_percent,
        "effective_from": effective_from,
        "effective_to": effective_to,
    }
    other = _overlapping(clean, exclude_pk=exclude_pk)
    if other is not None:
        raise ValidationError(
            f"These dates overlap {other.jurisdiction}, {percent_text(other.rate_percent)}% on "
            f"{other.get_category_display().lower()}, {_dates(other)}. End that rate first.",
            field="effective_from",
            code="tax_rate_overlap",
        )
    return clean


def _overlapping(values: dict[str, Any], *, exclude_pk: int | None) -> TaxRate | None:
    """Another rate of the same jurisdiction and category in effect on some of the same days."""
    others = TaxRate.objects.filter(
        level=values["level"],
        state=values["state"],
        county__iexact=values["county"],
        city__iexact=values["city"],
        category=values["category"],
    ).filter(Q(effective_to=None) | Q(effective_to__gte=values["effective_from"]))
    if values["effective_to"] is not None:
        others = others.filter(effective_from__lte=values["effective_to"])
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    return others.order_by("effective_from", "pk").first()


def _dates(rate: TaxRate) -> str:
    if rate.effective_to is None:
        return f"from {rate.effective_from:%Y-%m-%d}, open-ended"
    return f"{rate.effective_from:%Y-%m-%d} to {rate.effective_to:%Y-%m-%d}"


def _date(value: Any, *, field: str, label: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValidationError(f"{label}: enter a date such as 2026-07-01.", field=field, code="invalid_date")


def _event_data(rate: TaxRate) -> dict[str, Any]:
    return {
        "jurisdiction": rate.jurisdiction,
        "category": rate.category,
        "rate_percent": str(rate.rate_percent),
        "effective_from": rate.effective_from.isoformat(),
        "effective_to": rate.effective_to.isoformat() if rate.effective_to else None,
    }
