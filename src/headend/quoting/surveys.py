"""A quote's site surveys: the work order fulfillment made for one, its outcome (buildable, with
the construction charge it revised, or not buildable), and a sales manager's waiver with a
reason. Asking for a survey and holding Present are `construction`'s."""

from decimal import Decimal
from typing import Any

from django.db import models, transaction

from headend.core import clock, events
from headend.core.errors import Conflict, NotFound, ValidationError
from headend.core.ids import parse_id
from headend.core.numbers import parse_amount
from headend.core.permissions import require
from headend.quoting._common import recompute_totals
from headend.quoting.construction import construction_note
from headend.quoting.line_prices import PriceBook, price_new_line
from headend.quoting.models import Quote, QuoteLine, SiteSurvey


def survey_list_for(*, quote: Quote) -> list[SiteSurvey]:
    """The surveys of the quote's opportunity at the quote's sites, with their sites."""
    sites = quote.lines.values("location_id")
    return list(
        SiteSurvey.objects.filter(opportunity_id=quote.opportunity_id, location_id__in=sites)
        .select_related("location", "waived_by")
        .order_by("location__line1", "pk")
    )


def survey_get_for(*, quote: Quote, survey_id: Any) -> SiteSurvey:
    """A survey of the quote's opportunity (the quote came from a scoped selector); NotFound otherwise."""
    survey = SiteSurvey.objects.filter(pk=parse_id(survey_id), opportunity_id=quote.opportunity_id).first()
    if survey is None:
        raise NotFound("No such site survey.", field="survey")
    return survey


@transaction.atomic
def survey_scheduled(*, survey: SiteSurvey, work_order_number: str) -> SiteSurvey:
    """Fulfillment made the survey's work order: the survey is scheduled. Harmless twice, and
    after the survey was done or waived (it stays so)."""
    survey = SiteSurvey.objects.select_for_update().get(pk=survey.pk)
    changed = []
    if survey.work_order_number != work_order_number:
        survey.work_order_number = work_order_number
        changed.append("work_order_number")
    if survey.status == SiteSurvey.Status.REQUESTED:
        survey.status = SiteSurvey.Status.SCHEDULED
        changed.append("status")
    if changed:
        survey.save(update_fields=changed)
    return survey


def _revised(amount: Any) -> Decimal | None:
    if amount in (None, ""):
        return None
    return parse_amount(amount, field="construction_amount")


def _draft_quotes(survey: SiteSurvey) -> list[Quote]:
    """The opportunity's drafts with lines at the site, locked (prices may follow the outcome)."""
    ids = (
        QuoteLine.objects.filter(
            quote__opportunity_id=survey.opportunity_id,
            quote__status=Quote.Status.DRAFT,
            location_id=survey.location_id,
        )
        .values_list("quote_id", flat=True)
        .distinct()
    )
    return list(Quote.objects.select_for_update().filter(pk__in=list(ids)).order_by("pk"))


@transaction.atomic
def survey_record_outcome(
    *, survey: SiteSurvey, feasible: bool, construction_amount: Any = None, notes: str = ""
) -> SiteSurvey:
    """The survey is done: the site can be built (at the revised construction cost, if the
    surveyor gave one: the drafts' construction line at the site is priced again) or it cannot
    (its lines then hold Present). Applying the same outcome twice changes nothing; a survey
    already done otherwise, or waived, is a Conflict."""
    revised = _revised(construction_amount)
    survey = SiteSurvey.objects.select_for_update().get(pk=survey.pk)
    status = SiteSurvey.Status.DONE_FEASIBLE if feasible else SiteSurvey.Status.DONE_NOT_FEASIBLE
    if survey.status == status and (revised is None or survey.revised_amount == revised):
        return survey
    if survey.status not in SiteSurvey.OPEN:
        raise Conflict(
            f"The survey is already {survey.get_status_display().lower()}.", field="status", code="survey_closed"
        )
    quotes = _draft_quotes(survey)
    survey.status, survey.done_at = status, clock.now()
    survey.outcome_notes = (notes or "").strip()
    if feasible and revised is not None:
        survey.revised_amount = revised
    survey.save(update_fields=["status", "done_at", "outcome_notes", "revised_amount"])
    events.emit(
        "site_survey.done",
        subject=survey,
        data={"feasible": feasible, "construction_amount": str(revised) if revised is not None else None},
    )
    if feasible and revised is not None:
        for quote in quotes:
            _reprice_construction(quote, survey)
    return survey


def _reprice_construction(quote: Quote, survey: SiteSurvey) -> None:
    lines = list(
        quote.lines.filter(location_id=survey.location_id, product_version__product__kind="construction")
        .select_related("product_version", "promotion")
        .prefetch_related("product_version__prices", "product_version__tiers")
    )
    if not lines:
        return
    books = PriceBook()
    for line in lines:
        line.nrc_set_amount, line.note = survey.construction_amount, construction_note(survey)
        price_new_line(line, books=books, on=clock.today(), pick_promotion=False)
        line.save()
    recompute_totals(quote, edited_by=None)


@transaction.atomic
def survey_waive(*, survey: SiteSurvey, reason: str, waived_by: Any) -> SiteSurvey:
    """A sales manager lets the quote be presented without the site survey, saying why (the
    customer accepts the risk, the site was surveyed for another deal). A survey already done
    is not waived.

    Raises Forbidden without "survey.waive", ValidationError (`reason`) without a reason."""
    require(waived_by, "survey.waive")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say why the survey is waived.", field="reason", code="required")
    survey = SiteSurvey.objects.select_for_update().get(pk=survey.pk)
    if survey.status not in SiteSurvey.OPEN:
        raise Conflict(
            f"The survey is already {survey.get_status_display().lower()}.", field="status", code="survey_closed"
        )
    survey.status, survey.waived_by, survey.waiver_reason = SiteSurvey.Status.WAIVED, waived_by, reason[:300]
    survey.done_at = clock.now()
    survey.save(update_fields=["status", "waived_by", "waiver_reason", "done_at"])
    events.emit("site_survey.waived", subject=survey, data={"reason": survey.waiver_reason})
    return survey


def survey_counts(*, quote: Quote) -> dict[str, int]:
    """How many of the quote's surveys are in each status (for the quote page)."""
    sites = quote.lines.values("location_id")
    return dict(
        SiteSurvey.objects.filter(opportunity_id=quote.opportunity_id, location_id__in=sites)
        .values_list("status")
        .annotate(n=models.Count("pk"))
        .values_list("status", "n")
    )
