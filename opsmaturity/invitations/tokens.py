"""The invitation link's token: the invitation's id and nonce, signed with SECRET_KEY.

A changed character fails the signature; an older link (before a resend) names an old
nonce; whether it is still open and not expired is the row's to say (services.open_for).
"""

from django.core import signing

SALT = "opsmaturity.invitations"
MAX_TOKEN_LENGTH = 200


def make_token(invitation):
    return signing.dumps([invitation.pk, invitation.nonce], salt=SALT, compress=False)


def read_token(token):
    """(id, nonce), or None for a token we did not sign."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        value = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not isinstance(value[0], int)
        or not isinstance(value[1], str)
    ):
        return None
    return value[0], value[1]
