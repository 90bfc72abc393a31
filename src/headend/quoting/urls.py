from django.urls import path

from headend.quoting import approval_views, builder_views, survey_views, upgrade_views, views

app_name = "quoting"
urlpatterns = [
    path("", views.quote_list_view, name="quote_list"),
    path("new/", views.quote_create_view, name="quote_create"),
    path("upgrades/", upgrade_views.upgrade_offer_list_view, name="upgrade_offer_list"),
    path("approvals/", approval_views.approval_inbox_view, name="approval_inbox"),
    path("<id:quote_id>/", views.quote_detail_view, name="quote_detail"),
    path("<id:quote_id>/lines/", views.quote_line_add_view, name="quote_line_add"),
    path("<id:quote_id>/lines/<id:line_id>/remove/", views.quote_line_remove_view, name="quote_line_remove"),
    path("<id:quote_id>/lines/<id:line_id>/discount/", views.quote_line_discount_view, name="quote_line_discount"),
    path("<id:quote_id>/approvals/<id:approval_id>/", views.quote_approval_view, name="quote_approval"),
    path("<id:quote_id>/revise/", views.quote_revise_view, name="quote_revise"),
    path("<id:quote_id>/submit/", approval_views.quote_submit_view, name="quote_submit"),
    path("<id:quote_id>/surveys/<id:survey_id>/waive/", survey_views.survey_waive_view, name="survey_waive"),
    path("<id:quote_id>/sites/", views.quote_sites_import_view, name="quote_sites_import"),
    path("<id:quote_id>/sites/<id:job_id>/", views.site_import_job_view, name="site_import_job"),
    path("<id:quote_id>/sites/template.csv", builder_views.quote_sites_template_view, name="quote_sites_template"),
    path("<id:quote_id>/sites/<id:job_id>/import/", builder_views.site_import_valid_view, name="site_import_valid"),
    path("<id:quote_id>/lines/sites/", builder_views.quote_sites_add_view, name="quote_sites_add"),
    path("<id:quote_id>/changes/", views.quote_line_change_view, name="quote_line_change"),
    path("<id:quote_id>/lines/bulk/", views.quote_lines_update_view, name="quote_lines_update"),
    path("<id:quote_id>/discount/", views.quote_discount_view, name="quote_discount"),
    path("<id:quote_id>/compare/<id:other_id>/", views.quote_compare_view, name="quote_compare"),
    path("<id:quote_id>/<str:action>/", views.quote_transition_view, name="quote_transition"),
]
