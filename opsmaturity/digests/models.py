"""Who wants a weekly digest, when it is next due, and every digest made.

A user's ``DigestSubscription`` is created the first time it is needed (the
dispatcher creates the missing ones, the preferences page saves one); until
then the defaults apply. A ``DigestDelivery`` is both the history and the work
queue: the dispatcher writes one, pending, in the same transaction as it
claims the user's next digest time, and sending turns it into sent, skipped
(nothing to report) or failed (after the last retry).
"""

import datetime as dt
import functools
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opsmaturity.accounts.models import zone_of


def digest_weekday():
    """0 = Monday, as datetime.weekday()."""
    return settings.OPS_DIGEST_WEEKDAY


def digest_time():
    hour, minute = settings.OPS_DIGEST_TIME.split(":")
    return dt.time(int(hour), int(minute))


@functools.cache
def known_zones():
    """Canonical IANA zone names, keyed by their lower-case spelling."""
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def validate_time_zone(value):
    if value and value not in known_zones().values():
        raise ValidationError(
            _(
                "“%(value)s” is not a time zone we know. Use a name such as Europe/Paris or "
                "Asia/Tokyo."
            ),
            code="unknown_zone",
            params={"value": value},
        )


def installation_zone():
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def slot_on(day, zone):
    """The digest moment of one local day, as an aware datetime."""
    return dt.datetime.combine(day, digest_time(), tzinfo=zone)


def next_slot(after, zone):
    """The first digest moment (weekday and time, local to ``zone``) strictly after a moment."""
    local = after.astimezone(zone)
    day = local.date() + dt.timedelta(days=(digest_weekday() - local.weekday()) % 7)
    candidate = slot_on(day, zone)
    if candidate <= after:
        # computed from the calendar date, not by adding 7×24 h, so DST keeps it at 09:00
        candidate = slot_on(day + dt.timedelta(days=7), zone)
    return candidate


def last_slot(at, zone):
    """The latest digest moment at or before a moment: the one a due digest stands for."""
    local = at.astimezone(zone)
    day = local.date() - dt.timedelta(days=(local.weekday() - digest_weekday()) % 7)
    candidate = slot_on(day, zone)
    if candidate > at:
        candidate = slot_on(day - dt.timedelta(days=7), zone)
    return candidate


class Mode(models.TextChoices):
    WHEN_NEEDED = "when_needed", _("Only when something needs my attention")
    ALWAYS = "always", _("Every week, even when there is nothing to report")
    NEVER = "never", _("Never")


class DigestSubscriptionQuerySet(models.QuerySet):
    def due(self, now):
        """Subscriptions whose digest time has come, of people we can write to."""
        return (
            self.filter(next_digest_at__lte=now, user__is_active=True)
            .exclude(mode=Mode.NEVER)
            .exclude(user__email="")
        )


class DigestSubscription(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_subscription"
    )
    mode = models.CharField(
        _("send me the weekly digest"),
        max_length=16,
        choices=Mode.choices,
        default=Mode.WHEN_NEEDED,
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=_("Empty: the installation's time zone."),
    )
    next_digest_at = models.DateTimeField(_("next digest"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed at"), null=True, blank=True)
    # Each unsubscribe link carries this count: one made before the person subscribed
    # again no longer speaks for them (tokens.py).
    resubscriptions = models.PositiveIntegerField(
        _("subscribed again"),
        default=0,
        help_text=_("How many times this person subscribed again after unsubscribing."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = DigestSubscriptionQuerySet.as_manager()

    class Meta:
        verbose_name = _("digest subscription")
        verbose_name_plural = _("digest subscriptions")
        indexes = [models.Index(fields=["next_digest_at"], name="digestsub_next_at")]

    def __str__(self):
        return f"{self.user} · {self.get_mode_display()}"

    @classmethod
    def for_user(cls, user):
        """The saved subscription, or an unsaved one with the defaults (nothing is written)."""
        try:
            return user.digest_subscription
        except cls.DoesNotExist:
            sub = cls(user=user)
            sub.next_digest_at = sub.next_slot_after(timezone.now())
            return sub

    @property
    def zone(self):
        """The digest's own zone, else the one of the person's profile, else the
        installation's."""
        if self.time_zone:
            try:
                return zoneinfo.ZoneInfo(self.time_zone)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                pass  # a zone removed from tzdata since: fall back, never fail a send
        return zone_of(self.user if self.user_id else None) or installation_zone()

    @property
    def zone_name(self):
        return self.time_zone or str(self.zone)

    @property
    def is_active(self):
        return self.mode != Mode.NEVER

    def next_slot_after(self, moment):
        return next_slot(moment, self.zone)

    def follow_mode(self, was, now):
        """Keep the record of unsubscribing in step with a mode just changed from ``was``.

        Subscribing again counts, so that the unsubscribe links sent before stop
        working: a digest forwarded or left in an old mailbox cannot undo the choice.
        The caller saves ``unsubscribed_at`` and ``resubscriptions``.
        """
        if self.mode == Mode.NEVER:
            self.unsubscribed_at = self.unsubscribed_at or now
            return
        self.unsubscribed_at = None
        if was == Mode.NEVER:
            self.resubscriptions += 1

    def reschedule(self, now=None):
        """Set the next digest time from the current mode and zone (the caller saves)."""
        now = now or timezone.now()
        self.next_digest_at = None if self.mode == Mode.NEVER else self.next_slot_after(now)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Nothing to report")
    FAILED = "failed", _("Failed")


class DigestDelivery(models.Model):
    """One weekly digest for one user. The constraint makes a second send impossible."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_deliveries"
    )
    period = models.DateField(
        _("week starting"),
        help_text=_(
            "The local day of the week's digest slot (OPS_DIGEST_WEEKDAY, Monday by default)."
        ),
    )
    claimed_at = models.DateTimeField(_("claimed at"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    # Attempts so far; also the value a sender compares-and-sets to take one attempt.
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # When the next attempt may start: now for a new one, later after a failure
    # (backoff), or the end of the lease an attempt in progress holds.
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)

    class Meta:
        ordering = ["-period"]
        verbose_name = _("digest delivery")
        verbose_name_plural = _("digest deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "period"],
                name="digest_one_per_user_and_period",
                violation_error_message=_("This digest was already sent."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values),
                name="digest_delivery_status_known",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="digest_delivery_queue"),
        ]

    def __str__(self):
        return f"{self.user} · {self.period}"
