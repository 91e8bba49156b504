"""Webhook endpoints that staff add, and the record of every delivery to them."""

import secrets
import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Event(models.TextChoices):
    OPERATION_CREATED = "operation.created", _("Operation recorded")
    OPERATION_CHANGED = "operation.changed", _("Operation changed")
    OPERATION_MOVED = "operation.moved", _("Operation moved to another phase")
    FLAG_OPENED = "flag.opened", _("Flag opened")
    FLAG_RESOLVED = "flag.resolved", _("Flag resolved")
    SNOOZE_ASKED = "snooze.asked", _("Snooze asked for")
    SNOOZE_DECIDED = "snooze.decided", _("Snooze decided")
    CAMPAIGN_DEADLINE_NEAR = "campaign.deadline_near", _("Campaign deadline near")
    CAMPAIGN_CLOSED = "campaign.closed", _("Campaign closed")
    WEEKLY_SUMMARY = "summary.weekly", _("Weekly summary")
    # Sent by hand from the endpoint's page, to that endpoint only.
    PING = "ping", _("Test delivery")


def new_secret():
    return secrets.token_urlsafe(32)


class Kind(models.TextChoices):
    WEBHOOK = "webhook", _("Signed webhook")
    SLACK = "slack", _("Slack")
    TEAMS = "teams", _("Microsoft Teams")


class Endpoint(models.Model):
    """Where events go: a signed webhook (staff), or a team's Slack or Microsoft Teams
    channel (its incoming-webhook URL, kept by the team's managers)."""

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.WEBHOOK)
    # A chat channel hears only of its team's operations; a webhook of every team's.
    team = models.ForeignKey(
        "teams.Team",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="chat_channels",
        verbose_name=_("team"),
    )
    weekly_summary = models.BooleanField(
        _("weekly summary"),
        default=False,
        help_text=_("A summary of the team's flags each week, when the digests go out."),
    )
    # The Monday of the last week a summary went out: each week's is claimed once.
    summary_week = models.DateField(_("last summary for the week of"), null=True, blank=True)
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(_("secret"), max_length=200, default=new_secret)
    is_active = models.BooleanField(_("active"), default=True)
    # Consecutive failed attempts; at OPS_WEBHOOK_PAUSE_AFTER the endpoint is paused.
    failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    paused_reason = models.CharField(_("why paused"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="webhook") | models.Q(team__isnull=False),
                name="endpoint_chat_has_a_team",
            )
        ]

    def __str__(self):
        return self.url

    @property
    def shown_url(self):
        """The URL as pages show it: a chat channel's incoming-webhook URL is as good as
        a password (whoever has it posts to the channel), so only its start."""
        if self.kind == Kind.WEBHOOK:
            return self.url
        scheme, _sep, rest = self.url.partition("://")
        host, _slash, path = rest.partition("/")
        first = path.split("/", 1)[0][:24]
        return f"{scheme}://{host}/{first}/…" if path else self.url

    @property
    def receiving(self):
        return self.is_active and self.paused_at is None


class Status(models.TextChoices):
    PENDING = "pending", _("Pending")
    RETRYING = "retrying", _("Retrying")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class Delivery(models.Model):
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    uid = models.UUIDField(_("delivery id"), default=uuid.uuid4, unique=True, editable=False)
    event = models.CharField(_("event"), max_length=40, choices=Event.choices)
    payload = models.JSONField(_("payload"), encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    response_status = models.PositiveIntegerField(_("response status"), null=True, blank=True)
    response_excerpt = models.CharField(_("response excerpt"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(_("time taken (ms)"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self):
        return f"{self.event} → {self.endpoint_id} ({self.status})"
