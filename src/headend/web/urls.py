from django.urls import include, path

from headend.web import views

# Each app's pages under its prefix; the URL names are the apps' (`crm:account_list`).
urlpatterns = [
    path("", views.home_view, name="home"),
    path("search/", views.search_view, name="search"),
    path("accounts/<id:account_id>/activity/", views.account_timeline_view, name="account_timeline"),
    path("", include("headend.core.urls")),
    path("accounts/", include("headend.crm.urls")),
    path("accounts/", include("headend.network.pin_urls")),
    path("catalog/", include("headend.catalog.urls")),
    path("quotes/", include("headend.quoting.urls")),
    path("orders/", include("headend.orders.urls")),
    path("services/", include("headend.inventory.urls")),
    path("services/", include("headend.fulfillment.service_urls")),
    path("work/", include("headend.fulfillment.urls")),
    path("network/", include("headend.network.urls")),
    path("network/ip/", include("headend.ipam.urls")),
    path("billing/", include("headend.billing.urls")),
    path("payments/", include("headend.payments.urls")),
    path("usage/", include("headend.usage.urls")),
    path("commissions/", include("headend.commissions.urls")),
    path("support/", include("headend.support.urls")),
    path("portal/", include("headend.portal.urls")),
    path("settings/webhooks/", include("headend.hub.urls")),
    path("settings/api-tokens/", include("headend.api.urls")),
    # The customer's signing pages (sign/...) and the staff's quote documents (quotes/<id>/documents/...).
    path("", include("headend.contracts.urls")),
]
