"""The portal's own sign-in: sign in and out, the email verification link, and the password
reset by emailed link. A staff session opens none of the portal's pages."""

from django.contrib import messages
from django.contrib.auth import authenticate
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from headend.core.errors import DomainError

from . import auth, logins
from .forms import NewPasswordForm, ResetRequestForm, SignInForm
from .models import PortalLogin


def _next(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    portal = reverse("portal:dashboard")
    if wanted.startswith("/portal/") and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}):
        return wanted
    return portal


@require_http_methods(["GET", "POST"])
def signin_view(request: HttpRequest) -> HttpResponse:
    if auth.customer_of(request) is not None:
        return redirect(_next(request))
    form = SignInForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        found = authenticate(
            request, portal_email=form.cleaned_data["email"], portal_password=form.cleaned_data["password"]
        )
        login = found if isinstance(found, PortalLogin) else None  # only the portal backend answers these
        if login is None:
            error = "That email and password do not match an account."
        elif login.verified_at is None:
            logins.send_verification(login)
            error = "Confirm your email first: we sent the link again."
        else:
            auth.sign_in(request, login)
            return redirect(_next(request))
    return render(request, "portal/signin.html", {"form": form, "error": error, "next": _next(request)})


@require_http_methods(["POST"])
def signout_view(request: HttpRequest) -> HttpResponse:
    auth.sign_out(request)
    return redirect("portal:login")


def verify_view(request: HttpRequest, token: str) -> HttpResponse:
    try:
        login = logins.login_verify(token=token)
    except DomainError as exc:
        return render(request, "portal/link_expired.html", {"message": exc.message}, status=400)
    auth.sign_in(request, login)
    messages.success(request, "Your email is confirmed: welcome.")
    return redirect("portal:dashboard")


@require_http_methods(["GET", "POST"])
def password_reset_view(request: HttpRequest) -> HttpResponse:
    form = ResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        logins.password_reset_request(email=form.cleaned_data["email"])
        return render(request, "portal/password_reset_sent.html", {"email": form.cleaned_data["email"]})
    return render(request, "portal/password_reset.html", {"form": form})


@require_http_methods(["GET", "POST"])
def password_reset_confirm_view(request: HttpRequest, token: str) -> HttpResponse:
    form = NewPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            login = logins.password_reset(token=token, password=form.cleaned_data["password"])
        except DomainError as exc:
            if exc.field == "token":
                return render(request, "portal/link_expired.html", {"message": exc.message}, status=400)
            form.add_error("password", exc.message)
        else:
            auth.sign_in(request, login)
            messages.success(request, "Your password is changed.")
            return redirect("portal:dashboard")
    return render(request, "portal/password_reset_confirm.html", {"form": form})
