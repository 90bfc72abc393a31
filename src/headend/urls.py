from django.contrib import admin
from django.urls import include, path

from headend.api.router import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("tmf-api/", api.urls),
    path("", include("headend.core.urls")),
]
