from django.urls import path

from headend.network import alertmanager, outage_views, topology_views, views

app_name = "network"
urlpatterns = [
    path("", views.coverage_view, name="coverage"),
    path("imports/<id:import_id>/", views.import_detail_view, name="import_detail"),
    path("areas/new/", views.area_create_view, name="area_create"),
    path("areas/<id:area_id>/delete/", views.area_delete_view, name="area_delete"),
]
urlpatterns += [
    path("topology/", topology_views.topology_view, name="topology"),
    path("topology/import/", topology_views.topology_import_view, name="topology_import"),
    path("topology/elements/new/", topology_views.element_create_view, name="element_create"),
    path("topology/elements/<id:element_id>/", topology_views.element_detail_view, name="element_detail"),
    path("topology/elements/<id:element_id>/children/", topology_views.element_children_view, name="element_children"),
    path("topology/elements/<id:element_id>/edit/", topology_views.element_edit_view, name="element_edit"),
    path("topology/elements/<id:element_id>/delete/", topology_views.element_delete_view, name="element_delete"),
]
urlpatterns += [
    path("outages/", outage_views.outage_list_view, name="outage_list"),
    path("outages/new/", outage_views.outage_create_view, name="outage_create"),
    path("outages/maintenance/new/", outage_views.maintenance_create_view, name="maintenance_create"),
    path("outages/<id:outage_id>/", outage_views.outage_detail_view, name="outage_detail"),
    path("outages/<id:outage_id>/resolve/", outage_views.outage_resolve_view, name="outage_resolve"),
    path("outages/<id:outage_id>/cancel/", outage_views.maintenance_cancel_view, name="maintenance_cancel"),
    path("alerts/alertmanager/", alertmanager.alertmanager_receive_view, name="alertmanager_receive"),
]
