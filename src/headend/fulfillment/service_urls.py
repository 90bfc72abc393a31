from django.urls import path

from headend.fulfillment import views

# Under services/ (web/urls.py), beside inventory's pages: the service page's actions.
app_name = "fulfillment_services"
urlpatterns = [
    path("<id:service_id>/action/", views.service_action_view, name="service_action"),
]
