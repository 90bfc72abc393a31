"""Bill runs, mounted at /billing/runs/ (names billing:bill_run_...)."""

from django.urls import path

from headend.billing import run_views

urlpatterns = [
    path("", run_views.bill_run_list_view, name="bill_run_list"),
    path("start/", run_views.bill_run_start_view, name="bill_run_start"),
    path("<id:bill_run_id>/", run_views.bill_run_detail_view, name="bill_run_detail"),
]
