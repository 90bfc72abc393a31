from django.urls import path

from headend.ipam import views

app_name = "ipam"
urlpatterns = [
    path("", views.pool_list_view, name="pool_list"),
    path("new/", views.pool_create_view, name="pool_create"),
    path("<id:pool_id>/", views.pool_detail_view, name="pool_detail"),
]
