"""The self-service changes of a service, at /portal/services/<id>/change/... (names portal:change_...)."""

from django.urls import path

from . import change_views

urlpatterns = [
    path("services/<int:service_id>/change/plan/", change_views.plan_view, name="change_plan"),
    path("services/<int:service_id>/change/addon/", change_views.addon_view, name="change_addon"),
    path("services/<int:service_id>/change/hold/", change_views.hold_view, name="change_hold"),
    path("services/<int:service_id>/change/move/", change_views.move_view, name="change_move"),
    path("services/<int:service_id>/change/cancel/", change_views.cancel_view, name="change_cancel"),
    path("services/<int:service_id>/change/visit/", change_views.visit_view, name="change_visit"),
]
