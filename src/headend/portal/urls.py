"""The customer portal, at /portal/ (names portal:...)."""

from django.urls import include, path

from . import auth_views, views

app_name = "portal"

urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("signin/", auth_views.signin_view, name="login"),
    path("signout/", auth_views.signout_view, name="logout"),
    path("verify/<str:token>/", auth_views.verify_view, name="verify"),
    path("password/", auth_views.password_reset_view, name="password_reset"),
    path("password/<str:token>/", auth_views.password_reset_confirm_view, name="password_reset_confirm"),
    # Each part of the portal has its own URL module (the names stay portal:...).
    path("", include("headend.portal.signup_urls")),  # sign-up and first order, plan labels
    path("", include("headend.portal.account_urls")),  # dashboard parts: services, orders, quotes, contacts
    path("", include("headend.portal.change_urls")),  # self-service changes of a service
    path("bills/", include("headend.portal.bill_urls")),  # invoices, pay, autopay, methods, history
    path("cases/", include("headend.portal.case_urls")),  # support cases: open, follow, reply
]
