"""Voice rating, mounted at /billing/voice/ (names billing:rate_deck_..., billing:cdr_import...,
billing:unrated_calls, billing:calls_rerate)."""

from django.urls import path

from headend.billing import rating_views

urlpatterns = [
    path("rates/", rating_views.rate_deck_list_view, name="rate_deck_list"),
    path("rates/upload/", rating_views.rate_deck_upload_view, name="rate_deck_upload"),
    path("rates/<id:deck_id>/", rating_views.rate_deck_detail_view, name="rate_deck_detail"),
    path("calls/", rating_views.cdr_import_list_view, name="cdr_import_list"),
    path("calls/import/", rating_views.cdr_import_view, name="cdr_import"),
    path("calls/imports/<id:import_id>/", rating_views.cdr_import_detail_view, name="cdr_import_detail"),
    path("calls/unrated/", rating_views.unrated_calls_view, name="unrated_calls"),
    path("calls/unrated/rerate/", rating_views.calls_rerate_view, name="calls_rerate"),
]
