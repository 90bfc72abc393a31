"""Billing accounts and reports, mounted at /billing/ (names billing:...)."""

from django.urls import path

from headend.billing import account_views, report_views

ACCOUNT = "accounts/<id:billing_account_id>/"

urlpatterns = [
    path("accounts/new/", account_views.billing_account_create_view, name="billing_account_create"),
    path(ACCOUNT, account_views.billing_account_detail_view, name="billing_account_detail"),
    path(f"{ACCOUNT}edit/", account_views.billing_account_edit_view, name="billing_account_edit"),
    path(f"{ACCOUNT}charges/", account_views.charge_add_view, name="charge_add"),
    path("aging/", report_views.aging_view, name="aging"),
    path("ledger/", report_views.ledger_export_view, name="ledger_export"),
]
