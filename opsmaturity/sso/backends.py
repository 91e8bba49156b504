"""Signing in: the single sign-on backend, and the switch that turns passwords off.

``SsoBackend`` answers only the SSO callback's call (its ``authenticate`` takes a nonce
and a PKCE verifier, which no password form sends). It trusts a person's email only
when the provider says it verified it, matches the account by that email (ignoring
case), creates one at the first sign-in, refuses people who left, and makes their
memberships follow their groups (memberships.py). Why a sign-in was refused is left on
the request for the callback page to say.
"""

import logging

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied, SuspiciousOperation, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from opsmaturity.lib.text import CONTROL, normalize_name

from . import memberships, provider

log = logging.getLogger(__name__)

# Why a sign-in was refused (views.REFUSALS words each).
UNVERIFIED = "unverified"
INACTIVE = "inactive"
AMBIGUOUS = "ambiguous"
INVALID = "invalid"
RETRY = "retry"


class PasswordSignInSwitch:
    """With PASSWORD_LOGIN off, refuse every password, whichever form or backend asks.

    Raising PermissionDenied stops Django's walk through the backends that follow, so
    the sign-in page, the admin's and any later one are all covered; django-axes, before
    this one, still counts the attempt. No ``get_user``: nobody is ever signed in by it,
    and ``force_login`` picks the first backend that has one.
    """

    def authenticate(self, request, password=None, **credentials):
        if password is not None and not settings.PASSWORD_LOGIN:
            raise PermissionDenied("password sign-in is turned off")
        return None


def not_a_password_attempt(request, credentials=None):
    """For django-axes (AXES_WHITELIST_CALLABLE): the SSO callback sends no password."""
    return credentials is not None and "password" not in credentials


def refuse(request, reason):
    if request is not None:
        request.sso_refusal = reason
    return None


def email_is_verified(claims):
    """The provider says it checked the address (some send the string "true")."""
    verified = claims.get("email_verified")
    return verified is True or (isinstance(verified, str) and verified.lower() == "true")


def clean_email(claims):
    email = claims.get("email")
    if not isinstance(email, str):
        return ""
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError:
        return ""
    return email


def clean_name(value, limit=150):
    if not isinstance(value, str):
        return ""
    return normalize_name(CONTROL.sub("", value))[:limit]


class SsoBackend(OIDCAuthenticationBackend):
    # Loaded on every request of a person signed in by SSO (the session names this
    # backend): nothing is read or fetched here, the endpoints only when a sign-in needs them.
    def __init__(self, *args, **kwargs):
        self.UserModel = get_user_model()
        self.request = None

    OIDC_RP_CLIENT_ID = property(lambda self: settings.OIDC_RP_CLIENT_ID)
    OIDC_RP_CLIENT_SECRET = property(lambda self: settings.OIDC_RP_CLIENT_SECRET)
    OIDC_RP_SIGN_ALGO = property(lambda self: settings.OIDC_RP_SIGN_ALGO)
    OIDC_RP_IDP_SIGN_KEY = None
    OIDC_OP_TOKEN_ENDPOINT = property(lambda self: provider.endpoint("OIDC_OP_TOKEN_ENDPOINT"))
    OIDC_OP_USER_ENDPOINT = property(lambda self: provider.endpoint("OIDC_OP_USER_ENDPOINT"))
    OIDC_OP_JWKS_ENDPOINT = property(lambda self: provider.endpoint("OIDC_OP_JWKS_ENDPOINT"))

    def authenticate(self, request, nonce=None, code_verifier=None):
        """Only the callback's call binds to this signature; password forms skip it."""
        if not settings.OIDC_ENABLED or request is None:
            return None
        return super().authenticate(request, nonce=nonce, code_verifier=code_verifier)

    def get_user(self, user_id):
        # As ModelBackend: a person who left is signed out at their next request.
        return ModelBackend.get_user(self, user_id)

    def user_can_authenticate(self, user):
        return getattr(user, "is_active", False)

    # --- the ID token --------------------------------------------------------------------

    def verify_token(self, token, **kwargs):
        """The signature and the nonce (the library), then who issued it and for whom."""
        payload = super().verify_token(token, **kwargs)
        issuer = settings.OIDC_ISSUER
        if issuer and str(payload.get("iss", "")).rstrip("/") != issuer:
            raise SuspiciousOperation("ID token from another issuer")
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if settings.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("ID token for another client")
        if len(audiences) > 1 and payload.get("azp") != settings.OIDC_RP_CLIENT_ID:
            raise SuspiciousOperation("ID token authorized for another client")
        return payload

    def get_userinfo(self, access_token, id_token, payload):
        """The ID token's claims, completed by the userinfo endpoint when there is one."""
        claims = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT:
            userinfo = super().get_userinfo(access_token, id_token, payload)
            if not isinstance(userinfo, dict) or userinfo.get("sub") != payload.get("sub"):
                # OpenID Connect Core 1.0, 5.3.2: otherwise the answer must not be used.
                raise SuspiciousOperation("userinfo for another subject")
            claims.update(userinfo)
        return claims

    # --- the person ------------------------------------------------------------------------

    def verify_claims(self, claims):
        return bool(clean_email(claims)) and email_is_verified(claims)

    def get_or_create_user(self, access_token, id_token, payload):
        try:
            claims = self.get_userinfo(access_token, id_token, payload)
        except requests.RequestException as exc:
            log.warning("Single sign-on: the userinfo endpoint failed: %s", exc)
            raise
        if not self.verify_claims(claims):
            log.info("Single sign-on refused: no verified email (sub %r)", claims.get("sub"))
            return refuse(self.request, UNVERIFIED)
        email = clean_email(claims)
        try:
            with transaction.atomic():
                people = list(
                    self.UserModel.objects.select_for_update().filter(email__iexact=email)[:2]
                )
                if len(people) > 1:
                    log.warning("Single sign-on refused: two accounts have the email %s", email)
                    return refuse(self.request, AMBIGUOUS)
                if people:
                    user = people[0]
                    if not user.is_active:
                        log.info("Single sign-on refused: %s has left", user.username)
                        return refuse(self.request, INACTIVE)
                else:
                    user = self.create_user(claims)
                groups = memberships.groups_from_claims(claims)
                if groups is not None:
                    self.request.sso_changes = memberships.follow_groups(user, groups)
        except IntegrityError:
            # Two first sign-ins of one person at once: the other one made the account.
            return refuse(self.request, RETRY)
        return user

    def create_user(self, claims):
        email = clean_email(claims)
        first = clean_name(claims.get("given_name"))
        last = clean_name(claims.get("family_name"))
        if not (first or last):
            first = clean_name(claims.get("name"))
        user = self.UserModel.objects.create_user(
            self.free_username(email), email=email, first_name=first, last_name=last
        )
        log.info("Single sign-on: created %s for %s", user.username, email)
        return user

    def free_username(self, email):
        """The email itself, as people know it; a number added when it is taken."""
        base = email.lower()[:140]
        taken = set(
            self.UserModel.objects.filter(username__istartswith=base).values_list(
                "username", flat=True
            )
        )
        taken = {name.lower() for name in taken}
        if base not in taken:
            return base
        number = 2
        while f"{base}-{number}" in taken:
            number += 1
        return f"{base}-{number}"
