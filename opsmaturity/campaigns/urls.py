from django.urls import path

from . import views

app_name = "campaigns"

urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_create, name="create"),
    path("<int:pk>/", views.campaign_detail, name="detail"),
    path("<int:pk>/close/", views.campaign_close, name="close"),
    path("<int:pk>/add/", views.campaign_add, name="add"),
    path("<int:pk>/remove/", views.campaign_remove, name="remove"),
    path("future/<int:team_pk>/", views.future_plan, name="future"),
    path("future/<int:team_pk>/propose/", views.future_propose, name="future_propose"),
    path("future/goals/<int:pk>/comment/", views.future_comment, name="future_comment"),
    path("future/goals/<int:pk>/decide/", views.future_decide, name="future_decide"),
]
