"""From an outage to the customers it hits: support follows network's outbox events.

- "outage.started" (an element down, or a maintenance window opening): the impacted services
  are recorded with their MRR (inventory/outage_impact.py: one INSERT ... SELECT), the outage
  keeps the counts, ONE parent case is opened for it (P1, channel monitoring, no account), the
  customers' open cases about impacted services become its children (one UPDATE; new calls
  about them attach to it as they are opened, support/cases.py), and each impacted customer
  gets one "start" notice per channel (a maintenance window's: only those it did not announce
  to beforehand).
- "outage.ended": the impacted services count as up again, every impacted customer gets the
  all-clear, and the parent case is resolved (its children stay with staff).
- "maintenance.scheduled": the customers below the element are told ahead ("announce").
- "maintenance.cancelled": announcements not sent yet are dropped; those already told are told
  it is off (the "end" notice of the window).

Notices are rows (support.OutageNotice), one per (outage, account, phase, channel), inserted
set-based with conflicts ignored, so a re-sent alert or a handler run twice notifies nobody
twice. Email goes to the contact crm.notifications.recipient picks (the primary contact's
address, else another contact's, else the account's); a text message to the same choice of
phone number when it can take one (support/sms.py). They are sent by the worker loop after each
relay (`send_due_notices`), outside any transaction, in batches, and marked sent row by row; a
failure counts an attempt and that channel waits (30 s, doubling up to 30 min) before the next
try; after MAX_ATTEMPTS a notice is left unsent, with its last error, for staff to see."""

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core import mail
from django.db import models, transaction
from django.db.models.functions import Coalesce, NullIf

from headend.core import backoff, bulk, clock, events
from headend.core.models import OutboxEvent
from headend.crm.models import Account, Contact
from headend.inventory import outage_impact
from headend.inventory.models import ServiceOutage
from headend.network import outages as network_outages
from headend.network.models import Outage

from . import cases, sms
from .models import Case, OutageNotice, Priority

logger = logging.getLogger(__name__)

Phase, Channel = OutageNotice.Phase, OutageNotice.Channel
MAX_ATTEMPTS = 5
SEND_BATCH = 200
SMS_BATCH = 500  # numbers taken out per DELETE
ERROR_MAX = OutageNotice._meta.get_field("last_error").max_length


class ImpactNotReady(Exception):
    """An end arrived before its start was handled (that event failed and waits for a retry):
    this one waits too, so customers are told in order."""


# --- Following the outbox -----------------------------------------------------------------------


def _outage(event: OutboxEvent) -> Outage:
    return Outage.objects.select_related("element").get(pk=int(event.subject_id))


@events.subscribe("outage.started")
def on_outage_started(event: OutboxEvent) -> None:
    outage_started(outage=_outage(event))


@events.subscribe("outage.ended")
def on_outage_ended(event: OutboxEvent) -> None:
    outage_ended(outage=_outage(event), overrun=bool(event.data.get("overrun")))


@events.subscribe("maintenance.scheduled")
def on_maintenance_scheduled(event: OutboxEvent) -> None:
    maintenance_announce(outage=_outage(event))


@events.subscribe("maintenance.cancelled")
def on_maintenance_cancelled(event: OutboxEvent) -> None:
    maintenance_called_off(outage=_outage(event))


# --- The response -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Response:
    parent: Case
    services: int
    customers: int
    linked: int
    queued: int


@transaction.atomic
def outage_started(*, outage: Outage) -> Response:
    """Work out who the outage impacts, open its parent case, link the customers' open cases
    and queue their notices. Running it again adds only what is missing."""
    now = clock.now()
    impact = outage_impact.outage_impact_record(outage=outage)
    network_outages.outage_impact_set(outage=outage, services=impact.services, customers=impact.customers, at=now)
    parent = parent_case_open(outage=outage)
    linked = _link_open_cases(outage=outage, parent=parent, at=now)
    accounts = _impacted_accounts(outage)
    if outage.kind == Outage.Kind.MAINTENANCE:  # those told ahead are not told again at the start
        accounts = accounts.exclude(
            pk__in=OutageNotice.objects.filter(outage=outage, phase=Phase.ANNOUNCE).values("account_id")
        )
    queued = notices_queue(outage=outage, phase=Phase.START, accounts=accounts, at=now)
    return Response(parent, impact.services, impact.customers, linked, queued)


@transaction.atomic
def outage_ended(*, outage: Outage, overrun: bool = False) -> int:
    """The outage is over: impacts end, the all-clear is queued for every impacted customer,
    the parent case is resolved. A maintenance window that overran (its element still down, now
    an outage of its own) gives no all-clear: that outage's notices follow. Returns how many
    notices were queued. Raises ImpactNotReady if the start has not been handled yet."""
    if outage.impact_computed_at is None:
        raise ImpactNotReady(f"Outage {outage.pk} ended before its impact was worked out; waiting for it.")
    now = clock.now()
    outage_impact.outage_impact_end(outage=outage, ended_at=outage.ended_at or now)
    queued = 0
    if not overrun:
        queued = notices_queue(outage=outage, phase=Phase.END, accounts=_impacted_accounts(outage), at=now)
    parent = Case.objects.filter(outage=outage).first()
    if parent is not None and parent.is_open:
        ended = (outage.ended_at or now).astimezone(clock.provider_zone())
        cases.case_transition(
            case=parent,
            to=Case.Status.RESOLVED,
            resolution=f"{outage.get_kind_display()} on {outage.element} ended {ended:%b %-d, %Y %H:%M %Z}.",
        )
    return queued


@transaction.atomic
def maintenance_announce(*, outage: Outage) -> int:
    """Tell the customers a scheduled window will take down (as of now) ahead of it."""
    if outage.status != Outage.Status.SCHEDULED:
        return 0
    below = outage_impact.services_impacted_below(element=outage.element).values("account_id")
    accounts = Account.objects.filter(pk__in=below)
    return notices_queue(outage=outage, phase=Phase.ANNOUNCE, accounts=accounts, at=clock.now())


@transaction.atomic
def maintenance_called_off(*, outage: Outage) -> int:
    """A window was cancelled: announcements not sent yet are dropped, and the customers told
    of it already are told it is off. Returns how many were told."""
    OutageNotice.objects.filter(outage=outage, phase=Phase.ANNOUNCE, sent_at=None).delete()
    told = OutageNotice.objects.filter(outage=outage, phase=Phase.ANNOUNCE).exclude(sent_at=None)
    accounts = Account.objects.filter(pk__in=told.values("account_id"))
    return notices_queue(outage=outage, phase=Phase.END, accounts=accounts, at=clock.now())


def parent_case_open(*, outage: Outage) -> Case:
    """The outage's parent case, opened once: P1, from monitoring, about no one account."""
    parent = Case.objects.filter(outage=outage).first()
    if parent is not None:
        return parent
    subject = f"{outage.get_kind_display()} on {outage.element}: {outage.title}"
    return cases.case_open(
        type=Case.Type.OUTAGE,
        channel=Case.Channel.MONITORING,
        subject=subject[: cases.SUBJECT_MAX],
        description=outage.description,
        priority=Priority.P1,
        outage=outage,
    )


def _link_open_cases(*, outage: Outage, parent: Case, at: dt.datetime) -> int:
    """The customers' open cases about impacted services become the parent's children, in one
    UPDATE (cases linked elsewhere already are left where they are)."""
    impacted = ServiceOutage.objects.filter(outage=outage).values("service_id")
    linked = (
        Case.objects.filter(status__in=Case.OPEN_STATUSES, parent=None, outage=None, service_id__in=impacted)
        .exclude(pk=parent.pk)
        .update(parent=parent, updated_at=at)
    )
    if linked:
        events.emit("case.children_linked", subject=parent, data={"outage": outage.pk, "linked": linked})
    return linked


def _impacted_accounts(outage: Outage) -> models.QuerySet[Account]:
    return Account.objects.filter(pk__in=ServiceOutage.objects.filter(outage=outage).values("account_id"))


# --- Notices: words, queue ----------------------------------------------------------------------


@dataclass(frozen=True)
class Words:
    subject: str
    body: str
    text: str  # the text message


def _when(at: dt.datetime | None) -> str:
    return f"{(at or clock.now()).astimezone(clock.provider_zone()):%A %B %-d at %H:%M}"


def words(outage: Outage, phase: str) -> Words:
    """What customers are told, in the provider's words: never the element's name or the
    alert's, which are the network team's."""
    provider = settings.HEADEND_PROVIDER_NAME
    start = _when(outage.scheduled_start or outage.started_at)
    end = _when(outage.scheduled_end or outage.ended_at)
    thanks = f"\n\nThank you for your patience,\n{provider}"
    planned = outage.kind == Outage.Kind.MAINTENANCE
    if phase == Phase.ANNOUNCE:
        return Words(
            f"{provider}: planned maintenance {start}",
            f"Hello,\n\nWe will be working on our network from {start} to {end}. Your service may be "
            "interrupted during that time; there is nothing you need to do." + thanks,
            f"{provider}: planned network maintenance from {start} to {end} may interrupt your service.",
        )
    if phase == Phase.START and planned:
        return Words(
            f"{provider}: maintenance under way until {end}",
            f"Hello,\n\nWe are working on our network until {end}. Your service may be interrupted until "
            "then; there is nothing you need to do." + thanks,
            f"{provider}: network maintenance under way until {end} may interrupt your service.",
        )
    if phase == Phase.START:
        return Words(
            f"{provider}: service interruption in your area",
            f"Hello,\n\nA problem on our network has interrupted your service since {start}. Our team is "
            "working on it and we will write again as soon as it is fixed; there is no need to call us about "
            "it." + thanks,
            f"{provider}: a network problem has interrupted your service since {start}. We are on it and will "
            "text you when it is fixed.",
        )
    if outage.status == Outage.Status.CANCELLED:
        return Words(
            f"{provider}: planned maintenance cancelled",
            f"Hello,\n\nThe network maintenance we planned for {start} will not take place. Your service "
            "will not be interrupted." + thanks,
            f"{provider}: the maintenance planned for {start} is cancelled; your service will not be interrupted.",
        )
    what = "Our network maintenance is complete" if planned else "The network problem is fixed"
    return Words(
        f"{provider}: service restored",
        f"Hello,\n\n{what} and your service is back since {end}. If it is still not working, restart "
        "your router; if that does not help, contact us." + thanks,
        f"{provider}: {what.lower()}; your service is back. Still down? Restart your router, then contact us.",
    )


def _contact_value(field: str) -> Coalesce:
    """The primary contact's `field` (email, phone), else another contact's, else the account's
    own (crm.notifications.recipient's choice), as an expression on Account."""
    contacts = Contact.objects.filter(account_id=models.OuterRef("pk")).exclude(**{field: ""}).order_by("id")
    primary = contacts.filter(role=Contact.Role.PRIMARY).values(field)[:1]
    return Coalesce(
        models.Subquery(primary),
        models.Subquery(contacts.values(field)[:1]),
        NullIf(models.F(field), models.Value("")),
        output_field=models.CharField(),
    )


@transaction.atomic
def notices_queue(*, outage: Outage, phase: str, accounts: models.QuerySet[Account], at: dt.datetime) -> int:
    """One notice of `phase` per account and channel: an email to each that has an address (one
    INSERT ... SELECT), a text message to each whose number can take one. Notices queued before
    are left as they are. Returns how many were queued."""
    said = words(outage, phase)
    common = {"outage": outage.pk, "phase": phase, "queued_at": at, "attempts": 0, "last_error": ""}
    emails = (
        accounts.annotate(recipient=_contact_value("email"))
        .filter(recipient__isnull=False)
        .values_list("pk", "recipient")
    )
    queued = bulk.insert_from_select(
        OutageNotice,
        ["account", "to"],
        emails,
        {**common, "channel": Channel.EMAIL, "subject": said.subject, "body": said.body},
    )
    phones = accounts.annotate(mobile=_contact_value("phone")).filter(mobile__isnull=False)
    texts = bulk.insert_from_select(
        OutageNotice,
        ["account", "to"],
        phones.values_list("pk", "mobile"),
        {**common, "channel": Channel.SMS, "subject": said.subject, "body": said.text},
    )
    # Which numbers can take a text is libphonenumber's to say, not SQL's: the few that cannot
    # (a landline where the plan says so, a number that is no longer valid) are taken out again.
    numbers = OutageNotice.objects.filter(outage=outage, phase=phase, channel=Channel.SMS, sent_at=None)
    refused = [
        number for number in numbers.order_by().values_list("to", flat=True).distinct() if not sms.textable(number)
    ]
    for start in range(0, len(refused), SMS_BATCH):
        texts -= numbers.filter(to__in=refused[start : start + SMS_BATCH]).delete()[0]
    return queued + max(texts, 0)


# --- Notices: sending ---------------------------------------------------------------------------


class NoticeSender:
    """The worker loop's step: send what is queued, in batches of SEND_BATCH (new notices
    first, then those that failed before), outside any transaction; each row is marked sent as
    soon as it went, so a crash resends at most the message in flight. A failure counts an
    attempt and pauses its channel, 30 s doubling up to 30 min while failures go on."""

    def __init__(self) -> None:
        self.paused_until: dict[str, float] = {}
        self.failures: dict[str, int] = {}

    def __call__(self, should_stop: Callable[[], bool] = lambda: False, *, limit: int = SEND_BATCH) -> int:
        channels = [channel for channel in Channel.values if self.paused_until.get(channel, 0.0) <= time.monotonic()]
        if not channels:
            return 0
        due = list(
            OutageNotice.objects.filter(sent_at=None, attempts__lt=MAX_ATTEMPTS, channel__in=channels).order_by(
                "attempts", "id"
            )[:limit]
        )
        if not due:
            return 0
        sent = 0
        smtp = None  # one SMTP connection for the batch, opened at the first email
        try:
            for notice in due:
                if should_stop() or self.paused_until.get(notice.channel, 0.0) > time.monotonic():
                    continue
                if not claim(notice):
                    continue
                try:
                    if notice.channel == Channel.EMAIL:
                        if smtp is None:
                            smtp = mail.get_connection(fail_silently=False)
                            smtp.open()
                        message = mail.EmailMessage(
                            notice.subject, notice.body, settings.DEFAULT_FROM_EMAIL, [notice.to], connection=smtp
                        )
                        message.send()
                    else:
                        sms.backend().send(to=notice.to, body=notice.body)
                except Exception as exc:  # SMTP and gateway errors of any kind: counted, tried again later
                    self._failed(notice, exc)
                    if notice.channel == Channel.EMAIL and smtp is not None:
                        smtp.close()
                        smtp = None
                else:
                    sent += OutageNotice.objects.filter(pk=notice.pk, sent_at=None).update(
                        sent_at=clock.now(), last_error=""
                    )
                    self.failures[notice.channel] = 0
        finally:
            if smtp is not None:
                smtp.close()
        return sent

    def _failed(self, notice: OutageNotice, exc: Exception) -> None:
        logger.warning("outage notice %s (%s to %s) failed: %s", notice.pk, notice.channel, notice.to, exc)
        OutageNotice.objects.filter(pk=notice.pk, sent_at=None).update(
            last_error=f"{type(exc).__name__}: {exc}"[:ERROR_MAX]
        )  # the try was counted when it was claimed
        failures = self.failures.get(notice.channel, 0) + 1
        self.failures[notice.channel] = failures
        self.paused_until[notice.channel] = time.monotonic() + backoff.delay(failures, first=30, cap=30 * 60)


def claim(notice: OutageNotice) -> bool:
    """Take the next try of a notice as it was read (compare-and-set on its count of tries):
    another worker loop that read the same batch finds the count moved and skips it, so no
    customer is told twice. False: someone else has it, or it went."""
    return bool(
        OutageNotice.objects.filter(pk=notice.pk, sent_at=None, attempts=notice.attempts).update(
            attempts=models.F("attempts") + 1
        )
    )


send_due_notices = events.follow_up(NoticeSender())


def notices_send_due(*, limit: int = SEND_BATCH) -> int:
    """Send one batch of due notices now, with no pause carried over (management commands, tests)."""
    return NoticeSender()(limit=limit)
