from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from opsmaturity.lib.models import AppendOnly


class Role(models.TextChoices):
    MEMBER = "member", _("Member")
    MANAGER = "manager", _("Manager")


class TeamQuerySet(models.QuerySet):
    def active(self):
        """Teams that take new operations: not archived."""
        return self.filter(archived_at__isnull=True)


class Team(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="teams"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # An archived team keeps its operations, people and history; it only stops being
    # offered for new operations and roles. Archiving is undone by clearing it.
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)

    objects = TeamQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self):
        return self.name

    @property
    def is_archived(self):
        return self.archived_at is not None


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(_("joined at"), auto_now_add=True)

    class Meta:
        ordering = ["team__name", "user__username"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "team"],
                name="membership_one_per_user_and_team",
                violation_error_message=_("This person is already in this team."),
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.team} ({self.get_role_display()})"


class ChangeKind(models.TextChoices):
    CREATED = "created", _("created the team")
    RENAMED = "renamed", _("renamed the team")
    ARCHIVED = "archived", _("archived the team")
    RESTORED = "restored", _("restored the team")
    ADDED = "added", _("added a person")
    REMOVED = "removed", _("removed a person")
    ROLE = "role", _("changed a role")
    INVITED = "invited", _("invited someone")
    REVOKED = "revoked", _("revoked an invitation")
    JOINED = "joined", _("joined by invitation")


class MembershipChange(AppendOnly, models.Model):
    """One change to a team or its people: who did it, when, to whom, and from what to
    what. Written by teams.services (and invitations.services) in the same transaction
    as the change itself; never edited."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(_("change"), max_length=16, choices=ChangeKind.choices)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person"),
    )
    # An invitation names an address before there is a person.
    email = models.EmailField(_("email"), blank=True)
    from_role = models.CharField(_("from role"), max_length=16, choices=Role.choices, blank=True)
    to_role = models.CharField(_("to role"), max_length=16, choices=Role.choices, blank=True)
    old_name = models.CharField(_("old name"), max_length=120, blank=True)
    new_name = models.CharField(_("new name"), max_length=120, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("team change")
        verbose_name_plural = _("team changes")

    def __str__(self):
        return f"{self.team} · {self.get_kind_display()}"
