"""Commissions' pages, mounted at /commissions/ (names commissions:...)."""

from django.urls import path

from . import views

app_name = "commissions"
urlpatterns = [
    path("", views.statement_list_view, name="statement_list"),
    path("accrue/", views.accrue_view, name="accrue"),
    path("reps/<id:rep_id>/<int:year>/<int:month>/", views.statement_detail_view, name="statement_detail"),
    path("reps/<id:rep_id>/<int:year>/<int:month>/csv/", views.statement_csv_view, name="statement_csv"),
    path("plans/", views.plan_list_view, name="plan_list"),
    path("plans/new/", views.plan_create_view, name="plan_create"),
    path("plans/<id:plan_id>/edit/", views.plan_edit_view, name="plan_edit"),
    path("opportunities/<id:opportunity_id>/split/", views.opportunity_splits_view, name="opportunity_splits"),
]
