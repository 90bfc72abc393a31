"""Bill runs: every payer due as of a date, invoiced in chunks that any number of workers take
from the task queue (the database worker, or RQ workers on many machines).

A chunk is one transaction: its invoices, numbers, ledger entries and settled charges commit
together or not at all, so a worker killed mid-chunk leaves nothing behind and the chunk is
taken again. Payers already billed for their bill date are skipped (and each invoice carries a
unique run key), so running again for the same date creates no invoice."""

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction

from headend.billing import invoicing, ledger
from headend.billing.invoicing import external_biller_refuses
from headend.billing.models import BillingAccount, BillRun, BillRunChunk, BillRunResult
from headend.core import clock, events
from headend.core.errors import ValidationError
from headend.core.permissions import require

logger = logging.getLogger(__name__)


def chunk_size() -> int:
    return int(getattr(settings, "HEADEND_BILLING_CHUNK", 200))


@transaction.atomic
def bill_run_start(*, as_of: dt.date, started_by: Any = None) -> BillRun:
    """Open a bill run for every payer due as of `as_of` and queue its chunks. An unfinished run
    for the same date is resumed rather than doubled; a date before the last run is refused."""
    if started_by is not None:
        require(started_by, "billing.run")
    external_biller_refuses()
    if as_of.year < 2000:
        raise ValidationError(f"{as_of} is before anything Headend billed.", field="as_of", code="too_early")
    if as_of > clock.today():
        raise ValidationError(f"{as_of} is in the future: bill runs bill what has happened.", field="as_of")
    last = BillRun.objects.order_by("-as_of", "-id").first()
    if last is not None and as_of < last.as_of:
        raise ValidationError(
            f"A bill run as of {last.as_of} exists; a run never goes back before it.", field="as_of", code="before_last"
        )
    if last is not None and last.as_of == as_of and last.status == BillRun.Status.RUNNING:
        _queue(last)
        return last
    ids = list(
        BillingAccount.objects.filter(invoicing.open_accounts(as_of)).order_by("pk").values_list("pk", flat=True)
    )
    size = chunk_size()
    slices = [ids[start : start + size] for start in range(0, len(ids), size)]
    now = clock.now()
    run = BillRun.objects.create(
        as_of=as_of, accounts=len(ids), chunks=len(slices), started_by=started_by, created_at=now
    )
    BillRunChunk.objects.bulk_create(
        BillRunChunk(run=run, index=index, billing_account_ids=chunk) for index, chunk in enumerate(slices)
    )
    if not slices:
        _finish(run)
    events.emit("bill_run.started", subject=run, data={"as_of": as_of.isoformat(), "accounts": len(ids)})
    _queue(run)
    return run


def _queue(run: BillRun) -> None:
    from headend.billing.tasks import bill_run_chunk

    pending = list(run.chunk_set.filter(done_at=None).values_list("pk", flat=True))
    transaction.on_commit(lambda: [bill_run_chunk.enqueue(pk) for pk in pending])


def _finish(run: BillRun) -> None:
    run.check_transition(BillRun.Status.DONE)
    run.status, run.finished_at = BillRun.Status.DONE, clock.now()
    run.save(update_fields=["status", "finished_at"])
    events.emit("bill_run.done", subject=run, data={"as_of": run.as_of.isoformat()})


def chunk_run(*, chunk_id: int) -> int:
    """Bill one chunk (idempotent: a done chunk, or one another worker holds, does nothing);
    return how many invoices it created."""
    with transaction.atomic():
        chunk = (
            BillRunChunk.objects.select_for_update(skip_locked=True)
            .select_related("run")
            .filter(pk=chunk_id, done_at=None)
            .first()
        )
        if chunk is None:
            return 0
        chunk.attempts += 1
        run = chunk.run
        payers = list(
            BillingAccount.objects.filter(pk__in=chunk.billing_account_ids)
            .filter(invoicing.open_accounts(run.as_of))
            .order_by("pk")
        )
        created = _bill(run, payers)
        chunk.done_at = clock.now()
        chunk.save(update_fields=["done_at", "attempts"])
        if not BillRunChunk.objects.filter(run=run, done_at=None).exists():
            _finish(BillRun.objects.select_for_update().get(pk=run.pk))
    return created


def _bill(run: BillRun, payers: list[BillingAccount]) -> int:
    if not payers:
        return 0
    now = clock.now()
    bill_dates = {payer.pk: invoicing.bill_date_for(payer, run.as_of) for payer in payers}
    book = invoicing.Book(payers, up_to=max(bill_dates.values()))
    drafts, results = [], []
    for payer in payers:
        try:
            drafts.append(invoicing.draft_for(payer, bill_dates[payer.pk], book))
        except Exception as exc:  # one account's fault never stops the run: reported on the run
            logger.exception("bill run %s: billing account %s failed", run.pk, payer.pk)
            results.append(_failed(run, payer, exc, now))
    try:
        with transaction.atomic():
            invoices = invoicing.write(drafts, run_id=run.pk)
            invoicing.settle(drafts, bill_date_of=bill_dates)
    except DatabaseError:
        invoices = _write_one_by_one(run, drafts, bill_dates, results, now)
    invoice_of = {invoice.billing_account_id: invoice for invoice in invoices}
    for draft in drafts:
        invoice = invoice_of.get(draft.payer.pk)
        if invoice is None and draft.lines:
            continue  # failed one by one: its result is recorded already
        outcome = BillRunResult.Outcome.INVOICED if invoice else BillRunResult.Outcome.NOTHING
        results.append(BillRunResult(run=run, billing_account=draft.payer, outcome=outcome, invoice=invoice, at=now))
    BillRunResult.objects.bulk_create(results, ignore_conflicts=True)
    return len(invoices)


def _failed(run: BillRun, payer: BillingAccount, exc: BaseException, at: dt.datetime) -> BillRunResult:
    return BillRunResult(
        run=run,
        billing_account=payer,
        outcome=BillRunResult.Outcome.FAILED,
        error=f"{type(exc).__name__}: {exc}",
        at=at,
    )


def _write_one_by_one(run: BillRun, drafts: list, bill_dates: dict, results: list, at: dt.datetime) -> list:
    """The chunk's bulk write failed: write each payer alone, so only the faulty one fails."""
    invoices = []
    for draft in drafts:
        try:
            with transaction.atomic():
                invoices.extend(invoicing.write([draft], run_id=run.pk))
                invoicing.settle([draft], bill_date_of=bill_dates)
        except DatabaseError as exc:
            logger.exception("bill run %s: billing account %s failed", run.pk, draft.payer.pk)
            results.append(_failed(run, draft.payer, exc, at))
    return invoices


def work(run: BillRun, *, should_stop: Any = lambda: False) -> int:
    """Bill the run's chunks nobody has done yet in this process (the command does this beside
    any workers); return how many invoices this process created."""
    created = 0
    for pk in run.chunk_set.filter(done_at=None).order_by("index").values_list("pk", flat=True):
        if should_stop():
            break
        created += chunk_run(chunk_id=pk)
    return created


def progress(run: BillRun) -> dict[str, Any]:
    """What the run's page and the command show: chunks done, invoices and failures so far."""
    done = run.chunk_set.exclude(done_at=None).count()
    results = BillRunResult.objects.filter(run=run)
    return {
        "chunks_done": done,
        "chunks": run.chunks,
        "percent": 100 if not run.chunks else round(100 * done / run.chunks),
        "invoiced": results.filter(outcome=BillRunResult.Outcome.INVOICED).count(),
        "nothing": results.filter(outcome=BillRunResult.Outcome.NOTHING).count(),
        "failed": results.filter(outcome=BillRunResult.Outcome.FAILED).count(),
    }


class DailyRun:
    """The worker loop's daily bill run (`relay_outbox --follow`, which `make run` starts): once
    the provider's clock passes settings.HEADEND_BILLING_RUN_AT ("02:00"; empty: off, run
    `manage.py run_billing` from cron instead), a bill run as of today is queued for the workers
    and revenue recognised, once a day."""

    def __init__(self) -> None:
        self.done_for: dt.date | None = None

    def __call__(self, should_stop: Any) -> int:
        at = getattr(settings, "HEADEND_BILLING_RUN_AT", "")
        if not at or settings.HEADEND_BILLER != "headend":
            return 0
        now = clock.now().astimezone(clock.provider_zone())
        today = now.date()
        if self.done_for == today or now.time() < dt.time.fromisoformat(at):
            return 0
        self.done_for = today
        last = BillRun.objects.order_by("-as_of", "-id").first()
        if last is not None and last.as_of >= today:
            return 0
        bill_run_start(as_of=today)
        ledger.recognise(today)
        return 1


daily_run = events.follow_up(DailyRun())
