from django.urls import path

from headend.catalog import views

app_name = "catalog"
urlpatterns = [
    path("", views.product_list_view, name="product_list"),
    path("<id:product_id>/", views.product_detail_view, name="product_detail"),
    path("<id:product_id>/templates/<str:action>/", views.template_edit_view, name="template_edit"),
    path("versions/<id:version_id>/new/", views.version_new_view, name="version_new"),
    path("versions/<id:version_id>/copy/", views.product_copy_view, name="product_copy"),
    path("versions/<id:version_id>/", views.version_preview_view, name="version_preview"),
    path("versions/<id:version_id>/publish/", views.version_publish_view, name="version_publish"),
]
