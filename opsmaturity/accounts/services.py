"""Every write to a profile: one function, one transaction."""

from django.db import transaction
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
