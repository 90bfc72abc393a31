from django.urls import path

from headend.inventory import element_views, views

app_name = "inventory"
urlpatterns = [
    path("", views.service_list_view, name="service_list"),
    path("<id:service_id>/", views.service_detail_view, name="service_detail"),
]
urlpatterns += [
    path("board/", views.service_board_view, name="service_board"),
    path("<id:service_id>/move/", views.service_move_view, name="service_move"),
]
urlpatterns += [
    path("<id:service_id>/elements/", element_views.service_element_bind_view, name="service_element_bind"),
    path(
        "<id:service_id>/elements/<id:element_id>/unbind/",
        element_views.service_element_unbind_view,
        name="service_element_unbind",
    ),
]
