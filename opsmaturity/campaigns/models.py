"""Campaigns: a batch of operations pushed towards one goal by a deadline.

The operations are fixed when the campaign starts (``CampaignMember``); every later
addition or removal is a ``CampaignChange``, written once. Whether an operation is
done is never stored while the campaign runs: it is one SQL condition per goal
(``progress.done_q``). When the campaign closes, each member's result is written
on its row and stays, whatever the operation does afterwards.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opsmaturity.lib.models import AppendOnly
from opsmaturity.operations.phases import Phase
from opsmaturity.organization.models import Horizon


class Goal(models.TextChoices):
    PHASE = "phase", _("Reach a phase")
    FLAG = "flag", _("Resolve a flag kind")
    REVIEW = "review", _("Review purposes")


class Campaign(models.Model):
    name = models.CharField(_("name"), max_length=200)
    goal = models.CharField(_("goal"), max_length=16, choices=Goal.choices, default=Goal.PHASE)
    # Reach this phase or one past it (retire counts only when it is the goal).
    goal_phase = models.CharField(
        _("phase to reach"), max_length=16, choices=Phase.choices, blank=True
    )
    # No standing flag of this kind (maturity.models.FlagKind; a key, so that a kind
    # added later needs no migration here).
    goal_flag = models.CharField(_("flag kind to resolve"), max_length=24, blank=True)
    teams = models.ManyToManyField("teams.Team", related_name="campaigns", verbose_name=_("teams"))
    # The scope as chosen, kept to say how the operations were picked.
    scope_phases = models.JSONField(_("phases in scope"), default=list, blank=True)
    scope_filter = models.CharField(
        _("list filter"),
        max_length=1000,
        blank=True,
        help_text=_("The operations list's filter the campaign was created from."),
    )
    deadline = models.DateField(_("deadline"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_campaigns",
        verbose_name=_("owning manager"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )
    # The result, written once when the campaign closes.
    result_done = models.PositiveIntegerField(_("done at close"), null=True, blank=True)
    result_total = models.PositiveIntegerField(_("operations at close"), null=True, blank=True)

    class Meta:
        ordering = ["closed_at", "deadline", "pk"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(
                condition=~Q(goal="phase") | ~Q(goal_phase=""),
                name="campaign_phase_goal_has_phase",
            ),
            models.CheckConstraint(
                condition=~Q(goal="flag") | ~Q(goal_flag=""),
                name="campaign_flag_goal_has_kind",
            ),
        ]
        indexes = [models.Index(fields=["closed_at", "deadline"], name="campaign_open_deadline")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("campaigns:detail", args=[self.pk])

    @property
    def is_closed(self):
        return self.closed_at is not None

    def goal_text(self):
        """The goal in words, in the active language."""
        from .progress import goal_text

        return goal_text(self)


class CampaignMember(models.Model):
    """An operation in a campaign. Removed ones keep their row (``removed_at``)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="members")
    operation = models.ForeignKey(
        "operations.Operation", on_delete=models.PROTECT, related_name="campaign_memberships"
    )
    added_at = models.DateTimeField(_("added at"), default=timezone.now)
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)
    # Written when the campaign closes: whether the goal held for it then.
    result_done = models.BooleanField(_("done at close"), null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("operation in a campaign")
        verbose_name_plural = _("operations in campaigns")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "operation"],
                condition=Q(removed_at__isnull=True),
                name="campaign_member_once",
                violation_error_message=_("This operation is already in the campaign."),
            )
        ]
        indexes = [
            models.Index(fields=["operation", "removed_at"], name="campaign_member_operation"),
        ]

    def __str__(self):
        return f"{self.campaign}: {self.operation}"


class ChangeAction(models.TextChoices):
    ADDED = "added", _("Added")
    REMOVED = "removed", _("Removed")


class CampaignChange(AppendOnly, models.Model):
    """An operation added to or removed from a campaign after it started."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="changes")
    operation = models.ForeignKey(
        "operations.Operation", on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("action"), max_length=16, choices=ChangeAction.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("campaign change")
        verbose_name_plural = _("campaign changes")

    def __str__(self):
        return f"{self.campaign}: {self.get_action_display()} {self.operation}"


class CampaignProgress(models.Model):
    """How far a campaign was on a day: written by the daily snapshot job (an upsert)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="progress")
    date = models.DateField(_("date"))
    done = models.PositiveIntegerField(_("done"), default=0)
    total = models.PositiveIntegerField(_("operations"), default=0)
    cost_done = models.DecimalField(
        _("monthly cost covered"), max_digits=18, decimal_places=2, default=0
    )
    cost_total = models.DecimalField(
        _("monthly cost in scope"), max_digits=18, decimal_places=2, default=0
    )

    class Meta:
        ordering = ["campaign", "date"]
        verbose_name = _("campaign progress")
        verbose_name_plural = _("campaign progress")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "date"], name="campaign_progress_daily")
        ]

    def __str__(self):
        return f"{self.campaign} {self.date}: {self.done}/{self.total}"


# --- planning the future with the team ------------------------------------------------


class ProposalKind(models.TextChoices):
    GOAL = "goal", _("A goal: where the company is going")
    ROLE = "role", _("A role the team will need")


class ProposalStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class FutureGoal(models.Model):
    """Where the company is going in 1, 3 or 5 years and where ops can contribute (or a
    role the team will need), proposed by anyone in the team, decided by a manager."""

    team = models.ForeignKey(
        "teams.Team", on_delete=models.CASCADE, related_name="future_goals", verbose_name=_("team")
    )
    kind = models.CharField(
        _("kind"), max_length=8, choices=ProposalKind.choices, default=ProposalKind.GOAL
    )
    horizon_years = models.PositiveSmallIntegerField(_("horizon"), choices=Horizon.choices)
    title = models.CharField(_("title"), max_length=200)
    direction = models.TextField(_("where the company is going"), blank=True)
    contribution = models.TextField(_("where ops can contribute"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ProposalStatus.choices,
        default=ProposalStatus.PROPOSED,
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    proposed_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    decision_reason = models.TextField(_("reason of the decision"), blank=True)
    roles = models.ManyToManyField(
        "organization.JobRole", blank=True, related_name="future_goals", verbose_name=_("roles")
    )
    campaigns = models.ManyToManyField(
        Campaign, blank=True, related_name="future_goals", verbose_name=_("campaigns")
    )

    class Meta:
        ordering = ["horizon_years", "proposed_at", "pk"]
        verbose_name = _("future goal")
        verbose_name_plural = _("future goals")
        constraints = [
            models.CheckConstraint(
                condition=Q(horizon_years__in=Horizon.values), name="futuregoal_horizon_known"
            )
        ]

    def __str__(self):
        return self.title


class NoteKind(models.TextChoices):
    COMMENT = "comment", _("Comment")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class FutureNote(AppendOnly, models.Model):
    """A comment on a goal, or a manager's decision with its reason: written once."""

    goal = models.ForeignKey(FutureGoal, on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField(_("kind"), max_length=16, choices=NoteKind.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    text = models.TextField(_("text"))

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("note on a future goal")
        verbose_name_plural = _("notes on future goals")

    def __str__(self):
        return f"{self.goal}: {self.get_kind_display()}"
