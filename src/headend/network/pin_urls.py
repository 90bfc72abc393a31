"""The pin map of a location, beside the location's own pages (accounts/locations/<id>/...): its
view is network's, which draws the coverage, above crm."""

from django.urls import path

from headend.network import pin_views

app_name = "location_map"
urlpatterns = [
    path("locations/<id:location_id>/pin/", pin_views.location_pin_view, name="pin"),
    path("locations/<id:location_id>/pin/coverage.geojson", pin_views.location_coverage_view, name="coverage"),
]
