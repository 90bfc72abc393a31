from django.urls import include, path

app_name = "billing"

# Each part of billing's pages has its own URL module (the names stay billing:...).
urlpatterns = [
    path("", include("headend.billing.account_urls")),
    path("invoices/", include("headend.billing.invoice_urls")),
    path("runs/", include("headend.billing.run_urls")),
    path("taxes/", include("headend.billing.tax_urls")),
    path("voice/", include("headend.billing.rating_urls")),
]
