import secrets

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opsmaturity.teams.models import Role


def new_nonce():
    return secrets.token_urlsafe(16)


class State(models.TextChoices):
    PENDING = "pending", _("pending")
    EXPIRED = "expired", _("expired")
    ACCEPTED = "accepted", _("accepted")
    REVOKED = "revoked", _("revoked")


class InvitationQuerySet(models.QuerySet):
    def open(self):
        """Neither accepted nor revoked (an expired one is open: a resend renews it)."""
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True)


class Invitation(models.Model):
    """An address asked to join a team with a role.

    Its link carries the row's id and ``nonce``, signed (invitations.tokens): a resend
    draws a new nonce, so the links sent before it stop working, and accepting or
    revoking closes the row, so that no link works twice.
    """

    team = models.ForeignKey(
        "teams.Team", on_delete=models.CASCADE, related_name="invitations", verbose_name=_("team")
    )
    email = models.EmailField(_("email"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("invited by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    send_count = models.PositiveIntegerField(_("times sent"), default=1)
    expires_at = models.DateTimeField(_("expires at"))
    nonce = models.CharField(max_length=32, default=new_nonce)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted by"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_at", "-pk"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(
                "team",
                Lower("email"),
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_team_and_email",
                violation_error_message=_("This address is already invited to this team."),
            ),
        ]

    def __str__(self):
        return f"{self.email} → {self.team}"

    @property
    def state(self):
        if self.accepted_at:
            return State.ACCEPTED
        if self.revoked_at:
            return State.REVOKED
        if self.expires_at <= timezone.now():
            return State.EXPIRED
        return State.PENDING
