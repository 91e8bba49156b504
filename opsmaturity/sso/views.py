"""The two ends of a single sign-on: off to the provider, and back from it.

Both are mozilla-django-oidc's views with the endpoints found when needed
(provider.py) and every way a sign-in can fail answered with a page that says why:
a link that was changed, used twice or is too old (400), a person the app refuses
(403), a provider that cannot be reached or refuses us (503).
"""

import logging

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import SuspiciousOperation
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.generic import View
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from opsmaturity.teams.models import Role

from . import backends, provider

log = logging.getLogger(__name__)

EXPIRED = "expired"
CANCELLED = "cancelled"
UNAVAILABLE = "unavailable"
MISCONFIGURED = "misconfigured"

REFUSALS = {
    EXPIRED: (
        400,
        _(
            "This sign-in could not be finished: its link was changed, used already, or "
            "started in another browser. Start again from the sign-in page."
        ),
    ),
    backends.INVALID: (
        400,
        _(
            "The identity provider's answer could not be checked, so nobody was signed in. "
            "Start again; if it happens again, tell an administrator."
        ),
    ),
    CANCELLED: (400, _("The identity provider did not sign you in.")),
    backends.UNVERIFIED: (
        403,
        _(
            "Your identity provider has not confirmed your email address, so it cannot be "
            "matched to a person here. Ask your administrator to verify it."
        ),
    ),
    backends.INACTIVE: (
        403,
        _(
            "Your account here has been closed, so signing in is no longer possible. "
            "Ask a manager or an administrator if this is a mistake."
        ),
    ),
    backends.AMBIGUOUS: (
        403,
        _(
            "More than one account here has your email address, so it is not clear which "
            "one is yours. An administrator must sort that out first."
        ),
    ),
    backends.RETRY: (409, _("Your account was being set up at the same moment. Try again.")),
    MISCONFIGURED: (
        503,
        _(
            "The identity provider does not accept this site's single sign-on settings. "
            "Tell an administrator."
        ),
    ),
    UNAVAILABLE: (
        503,
        _("The identity provider cannot be reached right now. Try again in a few minutes."),
    ),
}


def token_error(exc):
    """The OAuth error code of a refused token request ("invalid_grant"…), or None."""
    try:
        body = exc.response.json()
    except (AttributeError, ValueError):
        return None
    return body.get("error") if isinstance(body, dict) else None


def membership_message(team, role):
    if role == Role.MANAGER:
        text = _("You are now a manager of %(team)s, as your organisation's groups say.")
    elif role == Role.MEMBER:
        text = _("You are now a member of %(team)s, as your organisation's groups say.")
    else:
        text = _("You are no longer in %(team)s, as your organisation's groups say.")
    return text % {"team": team}


def refused(request, reason):
    status, message = REFUSALS[reason]
    return render(request, "sso/refused.html", {"message": message}, status=status)


class Start(OIDCAuthenticationRequestView):
    """Send the person to the provider with a fresh state, nonce and PKCE challenge."""

    def __init__(self, **kwargs):
        View.__init__(self, **kwargs)

    def get(self, request):
        if not settings.OIDC_ENABLED:
            raise Http404
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider.endpoint("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except provider.ProviderUnavailable:
            return refused(request, UNAVAILABLE)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)


class Callback(OIDCAuthenticationCallbackView):
    """Back from the provider: exchange the code, check the token, sign the person in."""

    def get(self, request):
        if not settings.OIDC_ENABLED:
            raise Http404
        if request.GET.get("error"):
            super().get(request)  # forgets the state, signs out
            return refused(request, CANCELLED)
        states = request.session.get("oidc_states")
        state = request.GET.get("state")
        if (
            not request.GET.get("code")
            or not isinstance(states, dict)
            or not isinstance(state, str)
            or state not in states
        ):
            return refused(request, EXPIRED)
        try:
            return super().get(request)
        except provider.ProviderUnavailable:
            return refused(request, UNAVAILABLE)
        except requests.HTTPError as exc:
            log.warning("Single sign-on: the provider refused: %s", exc)
            if token_error(exc) == "invalid_grant":
                # The code: used already, too old, or a PKCE verifier that does not
                # match the challenge.
                return refused(request, EXPIRED)
            # Our client id or secret, or anything else the provider has against us.
            return refused(request, MISCONFIGURED)
        except (requests.RequestException, ValueError) as exc:
            log.warning("Single sign-on: the provider could not be asked: %s", exc)
            return refused(request, UNAVAILABLE)
        except (SuspiciousOperation, jwt.InvalidTokenError, KeyError) as exc:
            log.warning("Single sign-on: the provider's answer failed its checks: %s", exc)
            return refused(request, backends.INVALID)

    def login_success(self):
        response = super().login_success()
        for team, _old, new in getattr(self.request, "sso_changes", ()):
            messages.info(self.request, membership_message(team.name, new))
        return response

    def login_failure(self):
        return refused(self.request, getattr(self.request, "sso_refusal", backends.INVALID))
