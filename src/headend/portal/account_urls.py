"""The customer's own records, at /portal/ (names portal:...): services, orders, quotes and, for
admins, the account's contacts and logins."""

from django.urls import path

from . import account_views

urlpatterns = [
    path("services/", account_views.services_view, name="services"),
    path("services/<int:service_id>/", account_views.service_view, name="service"),
    path("orders/", account_views.orders_view, name="orders"),
    path("orders/<int:order_id>/", account_views.order_view, name="order"),
    path("quotes/", account_views.quotes_view, name="quotes"),
    path("quotes/<int:quote_id>/", account_views.quote_view, name="quote"),
    path("quotes/<int:quote_id>/sign/", account_views.quote_sign_view, name="quote_sign"),
    path("contacts/", account_views.contacts_view, name="contacts"),
    path("contacts/invite/", account_views.contact_invite_view, name="contact_invite"),
    path("contacts/logins/<int:login_id>/deactivate/", account_views.login_deactivate_view, name="login_deactivate"),
]
