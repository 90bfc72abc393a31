"""Invoices and credit notes, mounted at /billing/invoices/ (names billing:invoice_...)."""

from django.urls import path

from headend.billing import invoice_views

urlpatterns = [
    path("", invoice_views.invoice_list_view, name="invoice_list"),
    path("<id:invoice_id>/", invoice_views.invoice_detail_view, name="invoice_detail"),
    path("<id:invoice_id>/pdf/", invoice_views.invoice_pdf_view, name="invoice_pdf"),
    path("<id:invoice_id>/send/", invoice_views.invoice_send_view, name="invoice_send"),
    path("<id:invoice_id>/void/", invoice_views.invoice_void_view, name="invoice_void"),
    path("<id:invoice_id>/credit-note/", invoice_views.credit_note_create_view, name="credit_note_create"),
    path("<id:invoice_id>/finalise/", invoice_views.credit_note_finalise_view, name="credit_note_finalise"),
]
