"""Site surveys on the quote page: a sales manager waives one with a reason."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from headend.core.errors import DomainError
from headend.core.permissions import permission_required
from headend.quoting import selectors, surveys


@permission_required("survey.waive")
def survey_waive_view(request: HttpRequest, quote_id: int, survey_id: int) -> HttpResponse:
    """The waiver form (GET) and the waiver (POST): the quote may be presented without this
    site's survey, for the reason given (required: a field error without one)."""
    quote = selectors.quote_get_for(user=request.user, quote_id=quote_id, with_lines=False)
    survey = surveys.survey_get_for(quote=quote, survey_id=survey_id)
    reason, error = request.POST.get("reason", ""), ""
    if request.method == "POST":
        try:
            surveys.survey_waive(survey=survey, reason=reason, waived_by=request.user)
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, f"The survey of {survey.location.label} is waived.")
            return redirect(quote)
    context = {"quote": quote, "survey": survey, "reason": reason, "error": error}
    return render(request, "quoting/survey_waive.html", context, status=400 if error else 200)
