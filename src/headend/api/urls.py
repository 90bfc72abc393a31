from django.urls import path

from headend.api import views

app_name = "api_ui"
urlpatterns = [
    path("", views.token_list_view, name="token_list"),
    path("<id:token_id>/revoke/", views.token_revoke_view, name="token_revoke"),
]
