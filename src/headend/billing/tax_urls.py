"""The tax table's pages, mounted at /billing/taxes/ (names billing:tax_...)."""

from django.urls import path

from headend.billing import tax_views

urlpatterns = [
    path("", tax_views.tax_list_view, name="tax_list"),
    path("new/", tax_views.tax_create_view, name="tax_create"),
    path("<id:tax_rate_id>/edit/", tax_views.tax_edit_view, name="tax_edit"),
    path("<id:tax_rate_id>/end/", tax_views.tax_end_view, name="tax_end"),
]
