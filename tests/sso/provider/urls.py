"""The provider's pages: OAuth/OIDC under /o/, a sign-in form, and what tests set up."""

import json

from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.http import HttpResponseForbidden, JsonResponse
from django.urls import include, path
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from oauth2_provider.models import get_application_model

from .validator import CLAIMS

CLIENT_ID = "ops-maturity"


def _control(view):
    """Only the test that started the provider may set it up (a token it chose)."""

    @csrf_exempt
    @require_POST
    def guarded(request):
        import os

        token = request.headers.get("X-Control-Token", "")
        if not constant_time_compare(token, os.environ["PROVIDER_CONTROL_TOKEN"]):
            return HttpResponseForbidden()
        return view(request, json.loads(request.body))

    return guarded


@_control
def person(request, data):
    """Create or change one of the provider's people, with the claims it tells about them."""
    user, _ = get_user_model().objects.update_or_create(
        username=data["username"],
        defaults={
            "email": data.get("email", ""),
            "first_name": data.get("given_name", ""),
            "last_name": data.get("family_name", ""),
        },
    )
    user.set_password(data["password"])
    user.save()
    CLAIMS[user.username] = data.get("claims", {})
    return JsonResponse({"sub": str(user.pk)})


@_control
def client(request, data):
    """Register the app as a client, with the redirect URIs of this test run."""
    application, _ = get_application_model().objects.update_or_create(
        client_id=CLIENT_ID,
        defaults={
            "name": "Ops Maturity",
            "client_type": "confidential",
            "authorization_grant_type": "authorization-code",
            "algorithm": "RS256",
            "skip_authorization": True,
            "redirect_uris": " ".join(data["redirect_uris"]),
            "client_secret": data["client_secret"],
        },
    )
    return JsonResponse({"client_id": application.client_id})


urlpatterns = [
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("test/people/", person),
    path("test/client/", client),
]
