"""The signed token of the one-click unsubscribe link: who, signed, and when.

The link works without signing in, so the token is the only proof: it is
signed with SECRET_KEY and a salt of its own (a token made for something else
is refused here), and it expires after OPS_DIGEST_UNSUBSCRIBE_DAYS (90 days by
default), by which time newer digests carry newer links.
"""

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing

SALT = "opsmaturity.digests.unsubscribe"


class InvalidToken(Exception):
    """Tampered with, made for something else, or for a user who no longer exists."""


class ExpiredToken(InvalidToken):
    pass


def max_age():
    return dt.timedelta(days=settings.OPS_DIGEST_UNSUBSCRIBE_DAYS)


def make_token(user):
    return signing.dumps({"u": user.pk}, salt=SALT)


def user_from_token(token):
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age())
    except signing.SignatureExpired as exc:
        raise ExpiredToken(str(exc)) from exc
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise InvalidToken(str(exc)) from exc
    pk = data.get("u") if isinstance(data, dict) else None
    if not isinstance(pk, int):
        raise InvalidToken("no user in the token")
    try:
        return get_user_model().objects.get(pk=pk)
    except get_user_model().DoesNotExist as exc:
        raise InvalidToken("no such user") from exc
