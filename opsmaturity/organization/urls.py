from django.urls import path

from . import views

app_name = "organization"

urlpatterns = [
    path("", views.index, name="index"),
    path("teams/<int:team_pk>/", views.team_gap, name="team_gap"),
    path("teams/<int:team_pk>/gap.csv", views.team_gap_csv, name="team_gap_csv"),
    path(
        "teams/<int:team_pk>/levels/<int:pk>/confirm/",
        views.level_confirm,
        name="level_confirm",
    ),
    path("me/", views.my_skills, name="my_skills"),
    path("skills/", views.skill_list, name="skills"),
    path("skills/<int:pk>/edit/", views.skill_edit, name="skill_edit"),
    path("roles/", views.role_list, name="roles"),
    path("roles/new/", views.role_create, name="role_create"),
    path("roles/<int:pk>/", views.role_detail, name="role_detail"),
    path("roles/<int:pk>/edit/", views.role_edit, name="role_edit"),
    path("roles/<int:pk>/requirements/", views.requirement_set, name="requirement_set"),
    path(
        "roles/<int:pk>/requirements/<int:skill_pk>/remove/",
        views.requirement_remove,
        name="requirement_remove",
    ),
    path("plans/new/", views.plan_create, name="plan_create"),
    path("plans/<int:pk>/edit/", views.plan_edit, name="plan_edit"),
]
