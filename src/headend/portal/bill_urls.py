"""The customer's bills, at /portal/bills/ (names portal:bill_...)."""

from django.urls import path

from . import bill_views

urlpatterns = [
    path("", bill_views.bills_view, name="bills"),
    path("invoices/<int:invoice_id>/", bill_views.invoice_view, name="bill_invoice"),
    path("invoices/<int:invoice_id>/pdf/", bill_views.invoice_pdf_view, name="bill_invoice_pdf"),
    path("pay/", bill_views.pay_view, name="bill_pay"),
    path("pay/<int:payer_id>/", bill_views.pay_for_view, name="bill_pay_for"),
    path("payments/", bill_views.payments_view, name="bill_payments"),
    path("payments/<int:payment_id>/", bill_views.payment_view, name="bill_payment"),
    path("methods/", bill_views.methods_view, name="bill_methods"),
    path("methods/<int:payment_method_id>/remove/", bill_views.method_remove_view, name="bill_method_remove"),
    path("methods/<int:payment_method_id>/autopay/", bill_views.method_autopay_view, name="bill_method_autopay"),
]
