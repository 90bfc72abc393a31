"""Mounted at the site root: the customer's signing pages under sign/, the staff's document
routes under quotes/<id>/documents/ (three segments and more, so they never meet quoting's)."""

from django.urls import path

from headend.contracts import views

app_name = "contracts"
urlpatterns = [
    path("sign/<id:document_id>/<str:token>/", views.sign_view, name="sign"),
    path("sign/<id:document_id>/<str:token>/done/", views.sign_done_view, name="sign_done"),
    path("sign/<id:document_id>/<str:token>/quote.pdf", views.sign_pdf_view, name="sign_pdf"),
    path("quotes/<id:quote_id>/documents/current.pdf", views.quote_pdf_view, name="quote_pdf"),
    path("quotes/<id:quote_id>/documents/current/", views.quote_document_screen_view, name="quote_document"),
    path("quotes/<id:quote_id>/documents/preview/", views.quote_preview_view, name="quote_preview"),
    path("quotes/<id:quote_id>/documents/present/", views.quote_present_view, name="quote_present"),
    path(
        "quotes/<id:quote_id>/documents/links/<id:link_id>/resend/",
        views.signing_link_resend_view,
        name="signing_link_resend",
    ),
    path(
        "quotes/<id:quote_id>/documents/links/<id:link_id>/revoke/",
        views.signing_link_revoke_view,
        name="signing_link_revoke",
    ),
    path("quotes/<id:quote_id>/documents/jobs/<id:job_id>/", views.quote_document_job_view, name="document_job"),
    path("quotes/<id:quote_id>/documents/<id:document_id>.pdf", views.quote_document_file_view, name="document_pdf"),
    path(
        "quotes/<id:quote_id>/documents/<id:document_id>-signed.pdf",
        views.quote_document_file_view,
        {"signed": True},
        name="document_signed_pdf",
    ),
]
