"""Support's staff pages, mounted at /support/ (names support:...)."""

from django.urls import path

from headend.support import inbound_views, sla_credit_views, views

app_name = "support"

CASE = "cases/<id:case_id>/"

urlpatterns = [
    # Cases: the queue, one case and what staff do to it, a new case (support/views.py).
    path("", views.case_queue_view, name="case_queue"),
    path("cases/new/", views.case_create_view, name="case_create"),
    path(CASE, views.case_detail_view, name="case_detail"),
    path(f"{CASE}notes/", views.case_note_view, name="case_note"),
    path(f"{CASE}status/", views.case_status_view, name="case_status"),
    path(f"{CASE}assign/", views.case_assign_view, name="case_assign"),
    path(f"{CASE}edit/", views.case_update_view, name="case_update"),
    path(f"{CASE}link/", views.case_link_view, name="case_link"),
    path("attachments/<id:attachment_id>/", views.attachment_view, name="case_attachment"),
    # SLA policies and queues (admins).
    path("settings/", views.sla_settings_view, name="sla_settings"),
    path("settings/sla/new/", views.sla_policy_edit_view, name="sla_policy_create"),
    path("settings/sla/<id:policy_id>/", views.sla_policy_edit_view, name="sla_policy_edit"),
    path("settings/sla/<id:policy_id>/delete/", views.sla_policy_delete_view, name="sla_policy_delete"),
    path("settings/queues/new/", views.queue_edit_view, name="queue_create"),
    path("settings/queues/<id:queue_id>/", views.queue_edit_view, name="queue_edit"),
    path("sla-credits/", sla_credit_views.sla_credit_list_view, name="sla_credit_list"),
    path("sla-credits/<id:credit_id>/decide/", sla_credit_views.sla_credit_decide_view, name="sla_credit_decide"),
    # Mail services that post inbound email as JSON (bearer token; support/inbound_views.py).
    path("inbound-email/", inbound_views.inbound_email_view, name="inbound_email"),
]
