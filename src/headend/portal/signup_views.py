"""The sign-up pages, one per step: address, plans (with their broadband labels, or "not yet"),
add-ons, the customer, terms, payment method (when a gateway is configured), the installation
visit (when the plan needs one), a summary to confirm, and the confirmation.

What the customer gave so far lives in the session under one key, as plain values; each step
is checked again by the use cases when it is posted, and nothing is written until the summary is
confirmed (portal/signup.py, `signup_complete`)."""

import datetime as dt
import re
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from headend.catalog import selectors as catalog_selectors
from headend.catalog.models import ProductVersion
from headend.core.errors import DomainError, NotFound, ValidationError
from headend.payments import gateway

from . import auth, labels, signup
from .signup_forms import (
    AddonsForm,
    AddressForm,
    ContactForm,
    LeadForm,
    PaymentForm,
    PlanForm,
    TermsForm,
    VisitForm,
)

STATE = "portal_signup"
DONE = "portal_signup_done"
STEPS = ("address", "plans", "addons", "contact", "terms", "payment", "visit", "confirm")
TITLES = {
    "address": "Your address",
    "plans": "Plans",
    "addons": "Add-ons",
    "contact": "About you",
    "terms": "Terms",
    "payment": "Payment",
    "visit": "Installation",
    "confirm": "Confirm",
}
# Which step of the pages an error from the use cases belongs to, by its field.
FIELD_STEPS = {
    **dict.fromkeys(("kind", "line1", "line2", "city", "state", "postal_code", "latitude", "longitude"), "address"),
    **dict.fromkeys(("plan", "term_months", "product_version"), "plans"),
    "addons": "addons",
    "rides_on": "addons",
    **dict.fromkeys(
        ("first_name", "last_name", "email", "phone", "company_name", "tax_id", "legal_name", "password"), "contact"
    ),
    "terms": "terms",
    "token": "payment",
    "start": "visit",
}
_TOKEN = re.compile(r"[A-Za-z0-9_]{3,80}")


# The state kept between pages


def _state(request: HttpRequest) -> dict[str, Any]:
    return dict(request.session.get(STATE) or {})


def _save(request: HttpRequest, state: dict[str, Any]) -> None:
    request.session[STATE] = state


def _steps(state: dict[str, Any]) -> list[str]:
    """The steps this sign-up takes: no payment step without a gateway, no visit for a zero-touch plan."""
    skipped = set()
    if not gateway.configured():
        skipped.add("payment")
    if not state.get("plan", {}).get("visit", True):
        skipped.add("visit")
    return [step for step in STEPS if step not in skipped]


def _done(state: dict[str, Any], step: str) -> bool:
    keys = {
        "address": "place",
        "plans": "plan",
        "addons": "addons",
        "contact": "contact",
        "terms": "terms",
        "payment": "payment",
        "visit": "visit",
    }
    return keys.get(step, "") in state


def _guard(request: HttpRequest, step: str) -> tuple[dict[str, Any], HttpResponse | None]:
    """The state, or a redirect to the first earlier step not done yet (a page reached by URL
    before its turn)."""
    state = _state(request)
    steps = _steps(state)
    if step not in steps:
        following = [s for s in steps if STEPS.index(s) > STEPS.index(step)]
        return state, redirect(_url(following[0] if following else "confirm"))
    for earlier in steps[: steps.index(step)]:
        if not _done(state, earlier):
            return state, redirect(_url(earlier))
    return state, None


def _url(step: str) -> str:
    return reverse("portal:signup" if step == "address" else f"portal:signup_{step}")


def _next(state: dict[str, Any], step: str) -> HttpResponse:
    steps = _steps(state)
    return redirect(_url(steps[steps.index(step) + 1]))


def _context(state: dict[str, Any], step: str, **extra: Any) -> dict[str, Any]:
    steps = _steps(state)
    position = steps.index(step)
    return {
        "step": step,
        "steps": [(name, TITLES[name], _url(name)) for name in steps],
        "position": position + 1,
        "count": len(steps),
        "back_url": _url(steps[position - 1]) if position else "",
        "title": TITLES[step],
        **extra,
    }


def _posted(request: HttpRequest) -> Any:
    """The form data of a POST, even an empty one (no add-on ticked), else None (unbound)."""
    return request.POST if request.method == "POST" else None


def _put(form: Any, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _place(state: dict[str, Any]) -> signup.Place:
    return signup.Place.from_dict(state["place"])


def _plan(state: dict[str, Any]) -> ProductVersion:
    return catalog_selectors.version_get(version_id=state["plan"]["version_id"])


# The steps


@require_http_methods(["GET", "POST"])
def address_view(request: HttpRequest) -> HttpResponse:
    state = _state(request)
    initial = state.get("place") or {"kind": "residential"}
    form = AddressForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            place = signup.address_check(**form.cleaned_data)
        except DomainError as exc:
            _put(form, exc)
        else:
            if state.get("place") != place.as_dict():
                state = {}  # another address or kind: what was chosen for the old one does not hold
            state["place"] = place.as_dict()
            _save(request, state)
            return redirect("portal:signup_plans")
    return render(request, "portal/signup/address.html", _context(state, "address", form=form))


@require_http_methods(["GET", "POST"])
def plans_view(request: HttpRequest) -> HttpResponse:
    state, elsewhere = _guard(request, "plans")
    if elsewhere:
        return elsewhere
    place = _place(state)
    available = signup.plans_at(place=place)
    chosen = state.get("plan") or {}
    form = PlanForm(_posted(request), initial={"choice": f"{chosen.get('version_id')}:{chosen.get('term_months')}"})
    if request.method == "POST" and form.is_valid():
        version_id, term = form.chosen()
        try:
            plan = signup.plan_check(place=place, version_id=version_id, term_months=term)
        except DomainError as exc:
            form.add_error("choice", exc.message)
        else:
            state = {key: value for key, value in state.items() if key in ("place", "contact", "terms", "payment")}
            state["plan"] = {
                "version_id": plan.pk,
                "term_months": int(term),
                "visit": signup.visit_task(plan=plan) is not None,
            }
            _save(request, state)
            return _next(state, "plans")
    context = _context(
        state,
        "plans",
        form=form,
        place=place,
        available=available,
        cards=_cards(available),
        lead_form=LeadForm(),
        chosen=form["choice"].value(),
    )
    return render(request, "portal/signup/plans.html", context)


def _cards(available: signup.Availability) -> list[tuple[signup.PlanOffer, list[tuple[str, labels.TermOffer]]]]:
    """Each plan with its terms and the radio value that picks it ("<version id>:<term>")."""
    return [
        (plan, [(f"{plan.version.pk}:{offer.term_months}", offer) for offer in plan.label.terms])
        for plan in available.plans
    ]


@require_http_methods(["POST"])
def lead_view(request: HttpRequest) -> HttpResponse:
    """ "Not yet": the address has no plan; keep the email as a lead for sales."""
    state, elsewhere = _guard(request, "plans")
    if elsewhere:
        return elsewhere
    place = _place(state)
    form = LeadForm(request.POST)
    if form.is_valid():
        try:
            signup.lead_create(place=place, ip_address=request.META.get("REMOTE_ADDR"), **form.cleaned_data)
        except DomainError as exc:
            _put(form, exc)
        else:
            request.session.pop(STATE, None)
            return render(
                request, "portal/signup/lead_thanks.html", {"place": place, "email": form.cleaned_data["email"]}
            )
    available = signup.plans_at(place=place)
    context = _context(
        state, "plans", form=PlanForm(), place=place, available=available, cards=[], lead_form=form, chosen=""
    )
    return render(request, "portal/signup/plans.html", context, status=400)


@require_http_methods(["GET", "POST"])
def addons_view(request: HttpRequest) -> HttpResponse:
    state, elsewhere = _guard(request, "addons")
    if elsewhere:
        return elsewhere
    place, plan, term = _place(state), _plan(state), state["plan"]["term_months"]
    offers = signup.addons_for(place=place, plan=plan, term_months=term)
    choices = [(str(offer.version.pk), offer.version.product.name) for offer in offers]
    form = AddonsForm(_posted(request), choices=choices, initial={"addons": state.get("addons", [])})
    if request.method == "POST" and form.is_valid():
        try:
            chosen = signup.addons_check(
                place=place, plan=plan, term_months=term, addon_ids=form.cleaned_data["addons"]
            )
        except DomainError as exc:
            _put(form, exc)
        else:
            state["addons"] = [version.pk for version in chosen]
            _save(request, state)
            return _next(state, "addons")
    return render(request, "portal/signup/addons.html", _context(state, "addons", form=form, offers=offers, plan=plan))


@require_http_methods(["GET", "POST"])
def contact_view(request: HttpRequest) -> HttpResponse:
    state, elsewhere = _guard(request, "contact")
    if elsewhere:
        return elsewhere
    kind = state["place"]["kind"]
    initial = {key: value for key, value in state.get("contact", {}).items() if key != "password_hash"}
    form = ContactForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            checked = signup.contact_check(kind=kind, **form.cleaned_data)
        except DomainError as exc:
            _put(form, exc)
        else:
            state["contact"] = checked
            _save(request, state)
            return _next(state, "contact")
    return render(
        request, "portal/signup/contact.html", _context(state, "contact", form=form, business=kind == "business")
    )


@require_http_methods(["GET", "POST"])
def terms_view(request: HttpRequest) -> HttpResponse:
    state, elsewhere = _guard(request, "terms")
    if elsewhere:
        return elsewhere
    contact = state["contact"]
    name = state.get("terms", {}).get("name") or f"{contact['first_name']} {contact['last_name']}"
    form = TermsForm(_posted(request), initial={"accepted_by_name": name})
    try:
        terms = signup.terms_current()
    except DomainError as exc:
        terms = None
        form.add_error(None, exc.message)
    if request.method == "POST" and terms is not None and form.is_valid():
        state["terms"] = {"id": terms.pk, "name": " ".join(form.cleaned_data["accepted_by_name"].split())}
        _save(request, state)
        return _next(state, "terms")
    paragraphs = [part.strip() for part in (terms.body if terms else "").split("\n\n") if part.strip()]
    context = _context(
        state,
        "terms",
        form=form,
        terms=terms,
        paragraphs=paragraphs,
        consent=signup.consent_text(terms) if terms else "",
    )
    return render(request, "portal/signup/terms.html", context)


@require_http_methods(["GET", "POST"])
def payment_view(request: HttpRequest) -> HttpResponse:
    state, elsewhere = _guard(request, "payment")
    if elsewhere:
        return elsewhere
    form = PaymentForm(_posted(request), initial=state.get("payment"))
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"].strip()
        if token.replace(" ", "").replace("-", "").isdigit():
            form.add_error("token", "Never type a card number here: use the payment provider's secure form.")
        elif not _TOKEN.fullmatch(token):
            form.add_error("token", "That is not a payment token (pm_...).")
        else:
            state["payment"] = {"token": token}
            _save(request, state)
            return _next(state, "payment")
    return render(request, "portal/signup/payment.html", _context(state, "payment", form=form))


@require_http_methods(["GET", "POST"])
def visit_view(request: HttpRequest) -> HttpResponse:
    state, elsewhere = _guard(request, "visit")
    if elsewhere:
        return elsewhere
    plan = _plan(state)
    slots = signup.visit_slots(plan=plan)
    choices = [(slot.start.isoformat(), slot.label) for slot in slots]
    form = VisitForm(_posted(request), choices=choices, initial=state.get("visit"))
    if request.method == "POST" and not slots:
        state["visit"] = {"start": "", "label": ""}
        _save(request, state)
        return _next(state, "visit")
    if request.method == "POST" and form.is_valid():
        label = dict(choices)[form.cleaned_data["start"]]
        state["visit"] = {"start": form.cleaned_data["start"], "label": label}
        _save(request, state)
        return _next(state, "visit")
    return render(request, "portal/signup/visit.html", _context(state, "visit", form=form, slots=slots))


def _summary(state: dict[str, Any]) -> dict[str, Any]:
    """What the customer is about to order, for the summary page."""
    plan = _plan(state)
    term = state["plan"]["term_months"]
    label = labels.label_for(version=plan)
    offer = next((offer for offer in label.terms if offer.term_months == term), None)
    if offer is None:
        raise ValidationError("That term is no longer offered: choose the plan again.", field="plan", code="gone")
    place = _place(state)
    addons = {item.version.pk: item for item in signup.addons_for(place=place, plan=plan, term_months=term)}
    chosen = [addons[pk] for pk in state.get("addons", []) if pk in addons]
    figures = [
        plan.pk,
        offer.term_months,
        offer.mrc_amount,
        offer.intro_mrc_amount,
        offer.intro_months,
        offer.installation_amount,
    ]
    figures += [value for item in chosen for value in (item.version.pk, item.mrc_amount, item.nrc_amount)]
    return {
        # What the customer reads on the summary; confirming checks it is still what we would charge.
        "figures": "|".join(str(value) for value in figures),
        "place": place,
        "plan": plan,
        "label": label,
        "offer": offer,
        "addons": chosen,
        "contact": state["contact"],
        "terms": state["terms"],
        "payment": state.get("payment"),
        "visit": state.get("visit"),
        "gateway": gateway.configured(),
    }


@require_http_methods(["GET", "POST"])
def confirm_view(request: HttpRequest) -> HttpResponse:
    state, elsewhere = _guard(request, "confirm")
    if elsewhere:
        return elsewhere
    if request.method == "POST":
        try:
            seen = request.POST.get("figures", "")
            if seen != _summary(state)["figures"]:
                raise ValidationError(
                    "Our prices changed since this page was shown: check the figures below, then confirm.",
                    field="figures",
                    code="prices_changed",
                )
            result = signup.signup_complete(request=_request(request, state))
        except DomainError as exc:
            step = FIELD_STEPS.get(exc.field or "", "confirm")
            messages.error(request, exc.message)
            if step != "confirm":
                return redirect(_url(step))
        else:
            return _finish(request, state, result)
    try:
        summary = _summary(state)
    except DomainError as exc:  # the plan or its term left the catalog meanwhile
        messages.error(request, exc.message)
        return redirect(_url("plans"))
    return render(request, "portal/signup/confirm.html", _context(state, "confirm", **summary))


def _request(request: HttpRequest, state: dict[str, Any]) -> signup.SignupRequest:
    contact, visit = state["contact"], state.get("visit") or {}
    start = dt.datetime.fromisoformat(visit["start"]) if visit.get("start") else None
    return signup.SignupRequest(
        place=_place(state),
        version_id=state["plan"]["version_id"],
        term_months=state["plan"]["term_months"],
        addon_ids=tuple(state.get("addons", [])),
        first_name=contact["first_name"],
        last_name=contact["last_name"],
        email=contact["email"],
        phone=contact["phone"],
        company_name=contact.get("company_name", ""),
        tax_id=contact.get("tax_id", ""),
        password_hash=contact["password_hash"],
        terms_version_id=state["terms"]["id"],
        accepted_by_name=state["terms"]["name"],
        slot_start=start,
        ip_address=request.META.get("REMOTE_ADDR"),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
    )


def _finish(request: HttpRequest, state: dict[str, Any], result: signup.SignupResult) -> HttpResponse:
    """After the commit: sign the customer in, store the payment method (the gateway is called
    now, outside the sign-up's transaction), and show the confirmation."""
    auth.sign_in(request, result.login)
    payment_note = ""
    token = (state.get("payment") or {}).get("token", "")
    if token:
        try:
            signup.payment_method_store(account=result.account, token=token)
        except DomainError as exc:
            payment_note = (
                f"We could not store your payment method ({exc.message}); billing will send the first invoice."
            )
        else:
            payment_note = "Your payment method is stored and pays your bills automatically."
    request.session.pop(STATE, None)
    request.session[DONE] = {
        "account_id": result.account.pk,
        "name": result.contact.first_name,
        "email": result.login.email,
        "order": result.order.number,
        "quote": result.quote.number,
        "plan": state["plan"]["version_id"],
        "appointment": (state.get("visit") or {}).get("label", "") if result.appointment else "",
        "visit": state["plan"].get("visit", True),
        "payment_note": payment_note,
    }
    return redirect("portal:signup_done")


def done_view(request: HttpRequest) -> HttpResponse:
    done = request.session.get(DONE)
    if not done:
        return redirect("portal:signup")
    plan = catalog_selectors.version_get(version_id=done["plan"])
    return render(request, "portal/signup/done.html", {"done": done, "plan": plan, "gateway": gateway.configured()})


def label_view(request: HttpRequest, version_id: int) -> HttpResponse:
    """A plan's broadband label, for anyone (no sign-in): the FCC wants it a link away."""
    try:
        label = labels.label_get(version_id=version_id)
    except NotFound:
        raise Http404("No such plan.") from None
    return render(request, "portal/label.html", {"label": label})
