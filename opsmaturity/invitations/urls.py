from django.urls import path

from . import views

app_name = "invitations"

urlpatterns = [
    path("teams/<int:team_pk>/", views.invite, name="invite"),
    path("<int:pk>/resend/", views.resend, name="resend"),
    path("<int:pk>/revoke/", views.revoke, name="revoke"),
    path("accept/<str:token>/", views.accept, name="accept"),
]
