from typing import cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from headend.api import services
from headend.api.models import ApiToken
from headend.core.errors import DomainError
from headend.core.forms import add_domain_error
from headend.core.ids import parse_id
from headend.core.permissions import permission_required

EXPIRY_CHOICES = [(30, "30 days"), (90, "90 days"), (180, "180 days"), (365, "1 year"), (0, "Never")]


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What will use it, e.g. 'billing sync'.")
    expires_in_days = forms.TypedChoiceField(
        label="Expires after", choices=EXPIRY_CHOICES, coerce=int, help_text="A token that never expires is a risk."
    )


@permission_required("token.manage")
def token_list_view(request: HttpRequest) -> HttpResponse:
    initial = {"expires_in_days": settings.HEADEND_API_TOKEN_DAYS}
    form = TokenForm(request.POST or None, initial=initial)
    raw = None
    if request.method == "POST" and form.is_valid():
        try:
            _, raw = services.token_issue(user=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            form = TokenForm(initial=initial)
    tokens = ApiToken.objects.filter(user=cast(User, request.user))
    return render(request, "api/token_list.html", {"form": form, "tokens": tokens, "raw_token": raw})


@require_POST
@permission_required("token.manage")
def token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    token = ApiToken.objects.filter(pk=parse_id(token_id), user=cast(User, request.user)).first()
    if token is None:
        messages.error(request, "No such token.")
    else:
        try:
            services.token_revoke(token=token, revoked_by=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Token {token.name} revoked.")
    return redirect("api_ui:token_list")
