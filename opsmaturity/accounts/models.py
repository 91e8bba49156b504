"""A person's profile: the name the app shows, the language it speaks to them, their zone.

One per user, created the first time it is saved (``Profile.of`` hands back an
unsaved one with the defaults until then, and writes nothing). Blank language or
zone: the installation's (``LANGUAGE_CODE``, ``TIME_ZONE``).

The signed-in person's profile comes with their user in one query (backends.py);
pages that list people load theirs with ``select_related("…__profile")``, and
``lib.people.display_name`` reads a profile only when it is already loaded.
"""

import functools
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

DISPLAY_NAME_MAX_LENGTH = 150


@functools.cache
def known_zones():
    """Canonical IANA zone names, keyed by their lower-case spelling."""
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def zone_names():
    return sorted(known_zones().values())


def validate_time_zone(value):
    if value and value not in known_zones().values():
        raise ValidationError(
            _(
                "“%(value)s” is not a time zone we know. Pick one from the list, such as "
                "Europe/Paris or Asia/Tokyo."
            ),
            code="unknown_zone",
            params={"value": value},
        )


def language_codes():
    return [code for code, _name in settings.LANGUAGES]


def validate_language(value):
    if value and value not in language_codes():
        raise ValidationError(_("Pick one of the languages offered."), code="unknown_language")


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    display_name = models.CharField(
        _("display name"),
        max_length=DISPLAY_NAME_MAX_LENGTH,
        blank=True,
        help_text=_("How the app names you. Empty: your first and last name."),
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        validators=[validate_language],
        help_text=_("Empty: the installation's language."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=_("Empty: the installation's time zone."),
    )
    # When the last password reset link was mailed: one per PASSWORD_RESET_MAIL_MINUTES,
    # so that the reset form cannot be used to flood someone's mailbox (services.py).
    reset_mailed_at = models.DateTimeField(_("reset link mailed at"), null=True, blank=True)
    # What the operations list shows this person: the columns (keys of
    # operations.lists.COLUMNS) and rows per page; empty for the list's defaults. Kept
    # here, as the profile comes with the user of every request: no query to read them.
    list_columns = models.JSONField(_("operations list columns"), null=True, blank=True)
    list_page_size = models.PositiveSmallIntegerField(
        _("operations per page"), null=True, blank=True
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")
        constraints = [
            # A language the app does not speak is refused by the database too: a
            # row written by hand must never make a page fall back silently.
            models.CheckConstraint(
                condition=Q(language__in=["", "en", "ja"]),
                name="profile_language_known",
                violation_error_message=_("Pick one of the languages offered."),
            ),
        ]

    def __str__(self):
        return str(self.user)

    @classmethod
    def of(cls, user):
        """The saved profile, or an unsaved one with the defaults (nothing is written).

        A profile already loaded with the user (select_related, or an earlier call)
        costs no query; "no profile" is remembered on the user too.
        """
        try:
            return user.profile
        except cls.DoesNotExist:
            return cls(user=user)

    @property
    def zone(self):
        """The zone to show times in, or None for the installation's."""
        if self.time_zone:
            try:
                return zoneinfo.ZoneInfo(self.time_zone)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                pass  # a zone removed from tzdata since: the installation's, never a 500
        return None


def loaded_profile(user):
    """The user's profile if it is already loaded (or known to be missing), else None.

    Never a query: for code that names many people and must not ask once per person.
    """
    if user is None:
        return None
    cache = getattr(getattr(user, "_state", None), "fields_cache", {})
    return cache.get("profile")


def language_of(user):
    """The language to speak to a person: theirs, or the installation's."""
    return Profile.of(user).language or settings.LANGUAGE_CODE


def zone_of(user):
    """The zone to show a person times in: theirs, or None for the installation's."""
    return None if user is None else Profile.of(user).zone
