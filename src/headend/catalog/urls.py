from django.urls import path

from headend.catalog import views

app_name = "catalog"
urlpatterns = [
    path("", views.product_list_view, name="product_list"),
    path("<id:product_id>/", views.product_detail_view, name="product_detail"),
    path("<id:product_id>/templates/<str:action>/", views.template_edit_view, name="template_edit"),
]
