from django.contrib import admin
from django.urls import include, path

from headend.web.api import api

# Django's limits on a request (a body past DATA_UPLOAD_MAX_MEMORY_SIZE: 413) answered as ours.
handler400 = "headend.web.views.bad_request_view"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("tmf-api/", api.urls),
    path("", include("headend.web.urls")),
]
