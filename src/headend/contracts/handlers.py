"""Outbox handlers: when a quote is presented, its document is rendered and the customer's
contact is emailed the link to sign it.

Handlers run inside the relay's transaction, so they never render: the worker renders the
document (a job, once per content) and sends the link when it is stored."""

import logging

from headend.contracts import services
from headend.contracts.models import QuoteDocumentJob
from headend.core import events
from headend.core.errors import DomainError
from headend.core.models import OutboxEvent
from headend.quoting.models import Quote

logger = logging.getLogger(__name__)


@events.subscribe("quote.presented")
def quote_presented(event: OutboxEvent) -> None:
    quote = Quote.objects.filter(pk=int(event.subject_id)).first()
    if quote is None or quote.presented_at is None:
        return
    if quote.status == Quote.Status.PRESENTED:
        try:
            services.quote_document_prepare(
                quote=quote,
                send_link=QuoteDocumentJob.SendLink.FIRST,
                site=str(event.data.get("site_url") or ""),
            )
        except DomainError as exc:  # e.g. the link expired before the worker ran: nothing to retry
            logger.info("no signing link for %s: %s", quote.number, exc.message)
    else:
        # Decided or withdrawn before the worker got here: keep the document as presented, send nothing.
        services.quote_document_prepare(quote=quote)
