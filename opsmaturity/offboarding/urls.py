from django.urls import path

from . import views

app_name = "offboarding"

urlpatterns = [
    path("", views.people, name="people"),
    path("<int:pk>/leave/", views.leave, name="leave"),
    path("<int:pk>/reactivate/", views.reactivate, name="reactivate"),
    path("<int:pk>/reassign/", views.reassign, name="reassign"),
]
