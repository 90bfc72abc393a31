from django.urls import path

from headend.crm import address_point_views, views

app_name = "crm"
urlpatterns = [
    path("", views.account_list_view, name="account_list"),
    path("new/", views.account_create_view, name="account_create"),
    path("<id:account_id>/", views.account_detail_view, name="account_detail"),
    path("<id:account_id>/edit/", views.account_edit_view, name="account_edit"),
    path("<id:account_id>/notes/", views.account_note_add_view, name="account_note_add"),
    path("<id:account_id>/contacts/new/", views.contact_create_view, name="contact_create"),
    path("<id:account_id>/locations/new/", views.location_create_view, name="location_create"),
    path("<id:account_id>/opportunities/new/", views.opportunity_create_view, name="opportunity_create"),
    path("locations/<id:location_id>/", views.location_detail_view, name="location_detail"),
    path("locations/<id:location_id>/edit/", views.location_edit_view, name="location_edit"),
    path("contacts/<id:contact_id>/edit/", views.contact_edit_view, name="contact_edit"),
    path("address-points/", address_point_views.address_points_view, name="address_points"),
    path("opportunities/", views.opportunity_list_view, name="opportunity_list"),
    path("opportunities/<id:opportunity_id>/", views.opportunity_detail_view, name="opportunity_detail"),
    path("opportunities/<id:opportunity_id>/lose/", views.opportunity_lose_view, name="opportunity_lose"),
]
