"""The project's URLs and a stand-in for the sso app's start page (mozilla-django-oidc's name)."""

from django.http import HttpResponse
from django.urls import path

from opsmaturity.urls import handler500
from opsmaturity.urls import urlpatterns as project

urlpatterns = [
    *project,
    path("oidc/authenticate/", lambda r: HttpResponse(), name="oidc_authentication_init"),
]
__all__ = ["handler500", "urlpatterns"]
