from django.contrib.auth import views as auth_views
from django.urls import include, path

from headend.core import views

urlpatterns = [
    path("", views.home_view, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", views.health_view, name="health"),
    path("accounts/", include("headend.crm.urls")),
    path("catalog/", include("headend.catalog.urls")),
    path("quotes/", include("headend.quoting.urls")),
    path("orders/", include("headend.orders.urls")),
    path("services/", include("headend.inventory.urls")),
    path("work/", include("headend.fulfillment.urls")),
    path("network/", include("headend.network.urls")),
    path("network/ip/", include("headend.ipam.urls")),
    path("settings/webhooks/", include("headend.hub.urls")),
    path("settings/api-tokens/", include("headend.api.urls")),
    # The customer's signing pages (sign/...) and the staff's quote documents (quotes/<id>/documents/...).
    path("", include("headend.contracts.urls")),
]
