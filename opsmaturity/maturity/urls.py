from django.urls import path

from . import views

app_name = "maturity"

urlpatterns = [
    path("flags/<int:pk>/snooze/", views.snooze, name="snooze"),
    path("flags/<int:pk>/decide/", views.decide, name="decide"),
    path("flags/<int:pk>/lift/", views.lift, name="lift"),
    path("checks/operation/<int:pk>/", views.check_operation, name="check-operation"),
    path("checks/team/<int:team_pk>/", views.check_team, name="check-team"),
    path("checks/<uuid:task_id>/", views.check_status, name="check-status"),
]
