from django.contrib import admin
from django.urls import include, path

from headend.web.api import api

# Django's limits on a request (a body past DATA_UPLOAD_MAX_MEMORY_SIZE: 413) answered as ours.
handler400 = "headend.web.views.bad_request_view"
# An address that matches no page, or a record one may not see: the page says so in words.
handler404 = "headend.web.errors.page_not_found_view"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("tmf-api/", api.urls),
    path("", include("headend.web.urls")),
]
