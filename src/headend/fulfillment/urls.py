from django.urls import path

from headend.fulfillment import dispatch_views, survey_views, views

app_name = "fulfillment"
urlpatterns = [
    path("", views.work_order_list_view, name="work_order_list"),
    path("my-tasks/", views.my_tasks_view, name="my_tasks"),
    path("my-work/", views.my_work_view, name="my_work"),
    path("attachments/<id:attachment_id>/", views.attachment_view, name="attachment"),
    path("<id:work_order_id>/", views.work_order_detail_view, name="work_order_detail"),
    # Before the task's other actions: "complete" is a form of its own (a page, or the task's row with htmx).
    path("tasks/<id:task_id>/complete/", views.task_complete_view, name="task_complete"),
    path("tasks/<id:task_id>/<str:action>/", views.task_action_view, name="task_action"),
]
urlpatterns += [
    path("board/", views.work_order_board_view, name="board"),
    path("<id:work_order_id>/move/", views.work_order_move_view, name="work_order_move"),
    path("<id:work_order_id>/gantt/", views.work_order_gantt_view, name="work_order_gantt"),
    path("<id:work_order_id>/survey/", survey_views.survey_outcome_view, name="survey_outcome"),
    path("orders/<id:order_id>/gantt/", views.order_gantt_view, name="order_gantt"),
]
urlpatterns += [
    path("dispatch/", dispatch_views.dispatch_view, name="dispatch"),
    path("dispatch/tasks/<id:task_id>/move/", dispatch_views.dispatch_move_view, name="dispatch_move"),
]
