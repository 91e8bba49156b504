"""Sign in with a username or an email address.

The username is tried first, exactly as Django's own backend does. Anything else
with an "@" in it is taken as an email address, compared ignoring case; when two
accounts share that address, the address alone says nobody and is refused (those
people sign in with their username). django-axes stays in front (settings): it
counts failures per what was typed and address, and ``axes_username`` makes every
spelling of one address count as one.

The user of every request comes with their profile in one query (``get_user``), so
that the language, the zone and the name of the signed-in person cost nothing more.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


def _typed(credentials, request=None):
    value = (credentials or {}).get("username")
    if value is None and request is not None:
        value = getattr(request, "POST", {}).get("username")
    return (value or "").strip()


def looks_like_email(value):
    return "@" in value


def user_by_email(email):
    """The one active or inactive account with this address, or None (no one, or several)."""
    if not email:
        return None
    matches = list(get_user_model()._default_manager.filter(email__iexact=email)[:2])
    return matches[0] if len(matches) == 1 else None


def axes_username(request, credentials=None):
    """What django-axes counts failures against: an email address in one spelling."""
    typed = _typed(credentials, request)
    return typed.lower() if looks_like_email(typed) else typed


class UsernameOrEmailBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None or not username or password is None:
            return user
        users = get_user_model()._default_manager
        if users.filter(username=username).exists() or not looks_like_email(username.strip()):
            return None  # a username that exists with a wrong password stays refused
        user = user_by_email(username.strip())
        if user is None:
            # as slow as a wrong password, so that timing tells no address from another
            get_user_model()().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id):
        users = get_user_model()._default_manager.select_related("profile")
        try:
            user = users.get(pk=user_id)
        except get_user_model().DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


def forget_failures_of_the_address(sender, request, user, **kwargs):
    """A sign-in by email starts that address's count over too (AXES_RESET_ON_SUCCESS):
    django-axes itself starts over only the count of the account's username."""
    from axes.handlers.proxy import AxesProxyHandler
    from django.conf import settings

    if request is None or not getattr(settings, "AXES_RESET_ON_SUCCESS", False):
        return
    typed = axes_username(request)
    if looks_like_email(typed) and typed != user.get_username():
        AxesProxyHandler.get_implementation().reset_user_attempts(request, {"username": typed})
