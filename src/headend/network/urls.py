from django.urls import path

from headend.network import views

app_name = "network"
urlpatterns = [
    path("", views.coverage_view, name="coverage"),
    path("imports/<id:import_id>/", views.import_detail_view, name="import_detail"),
    path("areas/new/", views.area_create_view, name="area_create"),
    path("areas/<id:area_id>/delete/", views.area_delete_view, name="area_delete"),
]
