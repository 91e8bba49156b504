from django.urls import path

from . import views

app_name = "webhooks"

urlpatterns = [
    path("", views.index, name="index"),
    path("webhooks/new/", views.webhook_new, name="webhook_new"),
    path("chat/new/", views.chat_new, name="chat_new"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/resume/", views.resume, name="resume"),
    path("<int:pk>/test/", views.send_test, name="test"),
    path("<int:pk>/secret/", views.rotate_secret, name="secret"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    path("<int:pk>/deliveries/<int:delivery_pk>/retry/", views.redeliver, name="redeliver"),
]
