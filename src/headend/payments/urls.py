"""Payments and collections, mounted at /payments/ (names payments:...): the staff pages, and the
gateway's webhook."""

from django.urls import path

from headend.payments import dunning_views, payment_views, webhooks
from headend.payments.external import views as external_views

app_name = "payments"

ACCOUNT = "accounts/<id:billing_account_id>/"
PAYMENT = "<id:payment_id>/"
METHOD = "methods/<id:payment_method_id>/"

urlpatterns = [
    path("webhooks/stripe/", webhooks.stripe_webhook_view, name="stripe_webhook"),
    path("webhooks/external/", external_views.webhook_view, name="external_billing_webhook"),
    path("", payment_views.payment_list_view, name="payment_list"),
    path(PAYMENT, payment_views.payment_detail_view, name="payment_detail"),
    path(f"{PAYMENT}refund/", payment_views.refund_create_view, name="refund_create"),
    path(f"{PAYMENT}reverse/", payment_views.payment_reverse_view, name="payment_reverse"),
    path(f"{ACCOUNT}take/", payment_views.payment_take_view, name="payment_take"),
    path(f"{ACCOUNT}methods/", payment_views.payment_method_add_view, name="payment_method_add"),
    path(f"{METHOD}remove/", payment_views.payment_method_remove_view, name="payment_method_remove"),
    path(f"{METHOD}autopay/", payment_views.payment_method_autopay_view, name="payment_method_autopay"),
    path("invoices/<id:invoice_id>/write-off/", payment_views.write_off_create_view, name="write_off_create"),
    path("dunning/", dunning_views.dunning_queue_view, name="dunning_queue"),
    path("dunning/policies/", dunning_views.dunning_policy_list_view, name="dunning_policy_list"),
    path("dunning/policies/<str:customer_type>/", dunning_views.dunning_policy_edit_view, name="dunning_policy_edit"),
    path(f"{ACCOUNT}promise/", dunning_views.promise_create_view, name="promise_create"),
    path("promises/<id:promise_id>/cancel/", dunning_views.promise_cancel_view, name="promise_cancel"),
]
