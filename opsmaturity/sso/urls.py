from django.urls import path

from . import views

app_name = "sso"

urlpatterns = [
    path("login/", views.Start.as_view(), name="login"),
    path("callback/", views.Callback.as_view(), name="callback"),
]
