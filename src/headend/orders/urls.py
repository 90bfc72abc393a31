from django.urls import path

from headend.orders import views

app_name = "orders"
urlpatterns = [
    path("", views.order_list_view, name="order_list"),
    path("<id:order_id>/", views.order_detail_view, name="order_detail"),
    path("<id:order_id>/cancel/", views.order_cancel_view, name="order_cancel"),
]
