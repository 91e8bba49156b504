"""The signed token of the one-click unsubscribe link: who, in which state, signed, and when.

The link works without signing in, so the token is the only proof: it is
signed with SECRET_KEY and a salt of its own (a token made for something else
is refused here), and it expires after OPS_DIGEST_UNSUBSCRIBE_DAYS (90 days by
default), by which time newer digests carry newer links.

It also names the state it was made in: how many times the person had
subscribed again (``DigestSubscription.resubscriptions``). Once they subscribe
again, the links of the digests sent before no longer unsubscribe them (a
digest forwarded, or read again in an old mailbox, cannot undo their choice);
the next digest carries a link that does.

Tokens made before the count existed name no count: they stand for a count of
0, so they work until the person's first re-subscription from then on. (A
re-subscription made before the count existed left no trace; such a token
still works until it expires.)
"""

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing

from .models import DigestSubscription

SALT = "opsmaturity.digests.unsubscribe"


class InvalidToken(Exception):
    """Tampered with, made for something else, or for a user who no longer exists."""


class ExpiredToken(InvalidToken):
    pass


class StaleToken(InvalidToken):
    """Made before the person subscribed again."""


def max_age():
    return dt.timedelta(days=settings.OPS_DIGEST_UNSUBSCRIBE_DAYS)


def make_token(user, subscription=None):
    subscription = subscription or DigestSubscription.for_user(user)
    return signing.dumps({"u": user.pk, "r": subscription.resubscriptions}, salt=SALT)


def subscription_from_token(token):
    """The subscription the token unsubscribes (unsaved when the user has none yet)."""
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age())
    except signing.SignatureExpired as exc:
        raise ExpiredToken(str(exc)) from exc
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise InvalidToken(str(exc)) from exc
    if not isinstance(data, dict):
        raise InvalidToken("not a token of ours")
    pk, count = data.get("u"), data.get("r", 0)
    if not isinstance(pk, int) or not isinstance(count, int) or isinstance(count, bool):
        raise InvalidToken("no user in the token")
    try:
        user = get_user_model().objects.select_related("digest_subscription").get(pk=pk)
    except get_user_model().DoesNotExist as exc:
        raise InvalidToken("no such user") from exc
    subscription = DigestSubscription.for_user(user)
    if count != subscription.resubscriptions:
        raise StaleToken("made before the person subscribed again")
    return subscription
