"""The digest tests' shared world: the dates, the site, and how a digest is read."""

import datetime as dt
import email
import email.policy

from opsmaturity.digests import sending
from opsmaturity.digests.building import build_digest
from opsmaturity.digests.models import DigestSubscription

SITE = "https://ops.example.com"
# A Sunday noon; the next digest slot is Monday 2 March 2026, 09:00 UTC.
SUNDAY = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
MONDAY = dt.date(2026, 3, 2)


def digest_of(user):
    return build_digest(user, MONDAY)


def parse(message):
    return email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)


def send_to(user, mailoutbox, mode=None):
    if mode:
        DigestSubscription.objects.update_or_create(user=user, defaults={"mode": mode})
    sending.dispatch(user_ids=[user.pk])
    return [m for m in mailoutbox if m.to == [user.email]]
