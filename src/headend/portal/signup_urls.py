"""Sign-up and first order, and the plans' broadband labels (names portal:signup...,
portal:label)."""

from django.urls import path

from . import signup_views

urlpatterns = [
    path("signup/", signup_views.address_view, name="signup"),
    path("signup/plans/", signup_views.plans_view, name="signup_plans"),
    path("signup/not-yet/", signup_views.lead_view, name="signup_lead"),
    path("signup/add-ons/", signup_views.addons_view, name="signup_addons"),
    path("signup/you/", signup_views.contact_view, name="signup_contact"),
    path("signup/terms/", signup_views.terms_view, name="signup_terms"),
    path("signup/payment/", signup_views.payment_view, name="signup_payment"),
    path("signup/installation/", signup_views.visit_view, name="signup_visit"),
    path("signup/confirm/", signup_views.confirm_view, name="signup_confirm"),
    path("signup/done/", signup_views.done_view, name="signup_done"),
    path("labels/<int:version_id>/", signup_views.label_view, name="label"),
]
