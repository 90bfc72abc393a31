"""The customer's support cases, at /portal/cases/ (names portal:...)."""

from django.urls import path

from . import case_views

urlpatterns = [
    path("", case_views.cases_view, name="cases"),
    path("new/", case_views.case_new_view, name="case_new"),
    path("<int:case_id>/", case_views.case_view, name="case"),
    path("<int:case_id>/attachments/<int:attachment_id>/", case_views.attachment_view, name="case_attachment"),
]
