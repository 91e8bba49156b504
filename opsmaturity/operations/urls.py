from django.urls import path

from . import views

app_name = "operations"

urlpatterns = [
    path("", views.operation_list, name="list"),
    path("columns/", views.list_settings, name="list_settings"),
    path("bulk/", views.bulk_change, name="bulk"),
    path("bulk/done/", views.bulk_done, name="bulk_done"),
    path("people/", views.people_search, name="people_search"),
    path("new/", views.operation_create, name="create"),
    path("<int:pk>/", views.operation_detail, name="detail"),
    path("<int:pk>/edit/", views.operation_edit, name="edit"),
    path("<int:pk>/move/", views.operation_move, name="move"),
    path("<int:pk>/review/", views.purpose_review, name="review"),
    path("<int:pk>/checks/<int:criterion_pk>/", views.criterion_check, name="check"),
]
