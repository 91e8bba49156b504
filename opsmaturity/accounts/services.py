"""Every write to a profile: one function, one transaction."""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import Profile


@transaction.atomic
def update_profile(user, *, display_name, language, time_zone):
    """Save a person's profile (creating it the first time), and move their next digest
    to the morning of a new zone when the digest follows the profile's zone."""
    # from the database: the form has already put the new values on the user's profile
    saved_zone = (
        Profile.objects.select_for_update()
        .filter(user=user)
        .values_list("time_zone", flat=True)
        .first()
    )
    zone_changed = (saved_zone or "") != time_zone
    profile, _created = Profile.objects.update_or_create(
        user=user,
        defaults={"display_name": display_name, "language": language, "time_zone": time_zone},
    )
    user.profile = profile
    if zone_changed:
        _reschedule_digest(user)
    return profile


def _reschedule_digest(user):
    from opsmaturity.digests.models import DigestSubscription, Mode

    sub = (
        DigestSubscription.objects.select_for_update()
        .filter(user=user, time_zone="")
        .exclude(mode=Mode.NEVER)
        .first()
    )
    if sub is None:
        return
    sub.user = user  # with the profile just saved: its zone is the one to follow
    sub.reschedule(timezone.now())
    sub.save(update_fields=["next_digest_at"])


def claim_reset_mail(user, now=None):
    """Whether a password reset link may be mailed to this person now, claiming the send.

    At most one per PASSWORD_RESET_MAIL_MINUTES: a compare-and-set on the time of the
    last one, so two requests at once send one mail. Whoever asks is told the same
    either way (a link is on its way, if the account exists).
    """
    now = now or timezone.now()
    Profile.objects.get_or_create(user=user)
    since = now - dt.timedelta(minutes=settings.PASSWORD_RESET_MAIL_MINUTES)
    free = Q(reset_mailed_at__isnull=True) | Q(reset_mailed_at__lte=since)
    return Profile.objects.filter(free, user=user).update(reset_mailed_at=now) == 1


def set_list_settings(user, *, columns, page_size):
    """Remember what the operations list shows a person: its columns and page size."""
    profile, _created = Profile.objects.update_or_create(
        user=user, defaults={"list_columns": list(columns), "list_page_size": page_size}
    )
    user.profile = profile
    return profile
