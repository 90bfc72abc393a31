from django.urls import path

from headend.hub import views

app_name = "hub"
urlpatterns = [
    path("", views.webhooks_view, name="webhooks"),
    path("deliveries/<id:delivery_id>/", views.delivery_detail_view, name="delivery_detail"),
    path("deliveries/<id:delivery_id>/redeliver/", views.delivery_redeliver_view, name="delivery_redeliver"),
    path("subscriptions/<id:subscription_id>/delete/", views.subscription_delete_view, name="subscription_delete"),
]
