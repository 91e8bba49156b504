"""The future ops team: roles, skills, who can do what today, and how the gap closes.

The method (DESIGN.md, point 5) asks managers to plan, beside the operations,
which roles the team will need as automation grows and which skills today's
members have. A ``JobRole`` exists today or is planned for a horizon of 1, 3 or
5 years; it requires skills (``RequiredSkill``) at a level of the one scale
``Level``. Each person's level in a skill (``SkillLevel``) is proposed by the
person and confirmed by a manager of one of their teams; only confirmed levels
count in the gap. ``LevelChange`` keeps every proposal and confirmation, and
``LearningPlan`` says how a person will close a gap, by when.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opsmaturity.lib.models import AppendOnly


class Level(models.IntegerChoices):
    """One scale for every skill, used by roles' requirements and by people's levels."""

    NONE = 0, _("None")
    AWARE = 1, _("Aware")
    WITH_HELP = 2, _("Can do with help")
    INDEPENDENT = 3, _("Independent")
    LEADS = 4, _("Can teach and lead")

    @property
    def description(self):
        return LEVEL_DESCRIPTIONS[self]


LEVEL_DESCRIPTIONS = {
    Level.NONE: _("Has not worked with it."),
    Level.AWARE: _("Knows what it is and when it is needed; has not done it."),
    Level.WITH_HELP: _("Has done it with someone experienced alongside."),
    Level.INDEPENDENT: _("Does it alone, reliably, and handles the usual exceptions."),
    Level.LEADS: _("Teaches others, sets the team's standard, leads the work."),
}
MIN_LEVEL, MAX_LEVEL = Level.NONE.value, Level.LEADS.value
# A requirement of level 0 would ask for nothing: requirements start at 1.
MIN_REQUIRED_LEVEL = Level.AWARE.value
# The level from which someone can carry an automation on their own.
CARRIER_LEVEL = Level.INDEPENDENT.value


class SkillCategory(models.TextChoices):
    OPERATIONS = "operations", _("Operations")
    AUTOMATION = "automation", _("Automation")
    DATA = "data", _("Data")
    MANAGEMENT = "management", _("Management")


def category_position(category):
    """Categories in the order of the method: operations first, management last."""
    return SkillCategory.values.index(category) if category in SkillCategory.values else 99


def category_order():
    """The same order, as an expression to sort a queryset of skills by."""
    return models.Case(
        *[models.When(category=c, then=models.Value(i)) for i, c in enumerate(SkillCategory)],
        default=models.Value(99),
        output_field=models.IntegerField(),
    )


class Skill(models.Model):
    """A skill of the organisation's shared catalogue."""

    name = models.CharField(_("name"), max_length=120)
    category = models.CharField(
        _("category"),
        max_length=16,
        choices=SkillCategory.choices,
        default=SkillCategory.OPERATIONS,
    )
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["category", "name"]
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="skill_name_unique",
                violation_error_message=_("A skill with this name already exists."),
            ),
            models.CheckConstraint(
                condition=Q(category__in=SkillCategory.values), name="skill_category_known"
            ),
        ]

    def __str__(self):
        return self.name


class RoleStatus(models.TextChoices):
    CURRENT = "current", _("Exists today")
    PLANNED = "planned", _("Planned")


class Horizon(models.IntegerChoices):
    ONE_YEAR = 1, _("In 1 year")
    THREE_YEARS = 3, _("In 3 years")
    FIVE_YEARS = 5, _("In 5 years")


class JobRoleQuerySet(models.QuerySet):
    def planned(self):
        return self.filter(status=RoleStatus.PLANNED)

    def for_team(self, team):
        """The team's own roles and the organisation-wide ones."""
        return self.filter(Q(team=team) | Q(team__isnull=True))


class JobRole(models.Model):
    """A role in the ops team: one that exists today, or one planned for a horizon."""

    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=RoleStatus.choices, default=RoleStatus.PLANNED
    )
    horizon_years = models.PositiveSmallIntegerField(
        _("horizon"),
        choices=Horizon.choices,
        null=True,
        blank=True,
        help_text=_("When a planned role is needed. Roles that exist today have none."),
    )
    team = models.ForeignKey(
        "teams.Team",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="job_roles",
        verbose_name=_("team"),
        help_text=_("Empty: a role of the whole organisation."),
    )
    skills = models.ManyToManyField(
        Skill, through="RequiredSkill", related_name="roles", verbose_name=_("required skills")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = JobRoleQuerySet.as_manager()

    class Meta:
        ordering = ["horizon_years", "name"]
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                "team",
                condition=Q(team__isnull=False),
                name="jobrole_name_unique_in_team",
                violation_error_message=_("This team already has a role with this name."),
            ),
            models.UniqueConstraint(
                Lower("name"),
                condition=Q(team__isnull=True),
                name="jobrole_name_unique_in_organisation",
                violation_error_message=_("The organisation already has a role with this name."),
            ),
            models.CheckConstraint(
                condition=(
                    Q(status=RoleStatus.PLANNED, horizon_years__in=Horizon.values)
                    | Q(status=RoleStatus.CURRENT, horizon_years__isnull=True)
                ),
                name="jobrole_horizon_only_when_planned",
                violation_error_message=_(
                    "A planned role needs a horizon; a role that exists today has none."
                ),
            ),
        ]

    def __str__(self):
        return self.name


class RequiredSkill(models.Model):
    """A role needs a skill at a level."""

    role = models.ForeignKey(
        JobRole, on_delete=models.CASCADE, related_name="requirements", verbose_name=_("role")
    )
    skill = models.ForeignKey(
        Skill, on_delete=models.PROTECT, related_name="requirements", verbose_name=_("skill")
    )
    level = models.PositiveSmallIntegerField(_("required level"), choices=Level.choices)

    class Meta:
        ordering = ["role", "skill__category", "skill__name"]
        verbose_name = _("required skill")
        verbose_name_plural = _("required skills")
        constraints = [
            models.UniqueConstraint(
                fields=["role", "skill"],
                name="requiredskill_one_per_role_and_skill",
                violation_error_message=_("This role already requires this skill."),
            ),
            models.CheckConstraint(
                condition=Q(level__gte=MIN_REQUIRED_LEVEL, level__lte=MAX_LEVEL),
                name="requiredskill_level_in_scale",
                violation_error_message=_("A required level is from 1 to 4."),
            ),
        ]

    def __str__(self):
        return f"{self.role}: {self.skill} ≥ {self.level}"


class SkillLevelQuerySet(models.QuerySet):
    def confirmed(self):
        return self.filter(level__isnull=False)

    def pending(self):
        return self.filter(proposed_level__isnull=False)


class SkillLevel(models.Model):
    """One person's level in one skill: the confirmed level and a pending proposal.

    The person proposes (``proposed_level``); a manager of one of their teams
    confirms it, possibly adjusted, which moves it to ``level`` and clears the
    proposal. Only ``level`` counts in the gap. ``version`` grows with every
    change, so a confirmation of a proposal that changed meanwhile is refused.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="skill_levels",
        verbose_name=_("person"),
    )
    skill = models.ForeignKey(
        Skill, on_delete=models.CASCADE, related_name="levels", verbose_name=_("skill")
    )
    level = models.PositiveSmallIntegerField(
        _("confirmed level"), choices=Level.choices, null=True, blank=True
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    proposed_level = models.PositiveSmallIntegerField(
        _("proposed level"), choices=Level.choices, null=True, blank=True
    )
    proposed_at = models.DateTimeField(_("proposed at"), null=True, blank=True)
    proposal_note = models.CharField(_("note"), max_length=300, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    objects = SkillLevelQuerySet.as_manager()

    class Meta:
        ordering = ["user", "skill__category", "skill__name"]
        verbose_name = _("skill level")
        verbose_name_plural = _("skill levels")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "skill"],
                name="skilllevel_one_per_person_and_skill",
                violation_error_message=_("This person already has a level in this skill."),
            ),
            models.CheckConstraint(
                condition=Q(level__isnull=True) | Q(level__gte=MIN_LEVEL, level__lte=MAX_LEVEL),
                name="skilllevel_level_in_scale",
                violation_error_message=_("A level is from 0 to 4."),
            ),
            models.CheckConstraint(
                condition=Q(proposed_level__isnull=True)
                | Q(proposed_level__gte=MIN_LEVEL, proposed_level__lte=MAX_LEVEL),
                name="skilllevel_proposed_level_in_scale",
                violation_error_message=_("A level is from 0 to 4."),
            ),
        ]
        indexes = [
            models.Index(fields=["skill", "level"], name="skilllevel_skill_level"),
        ]

    def __str__(self):
        return f"{self.user} · {self.skill}: {self.level if self.level is not None else '—'}"

    @property
    def is_pending(self):
        return self.proposed_level is not None


class LevelChangeKind(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    CONFIRMED = "confirmed", _("Confirmed")


class LevelChange(AppendOnly, models.Model):
    """A proposal or a confirmation of someone's level. Append-only."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="level_changes",
        verbose_name=_("person"),
    )
    skill = models.ForeignKey(
        Skill, on_delete=models.CASCADE, related_name="level_changes", verbose_name=_("skill")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=LevelChangeKind.choices)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("level change")
        verbose_name_plural = _("level changes")
        indexes = [models.Index(fields=["user", "skill", "at"], name="levelchange_user_skill_at")]

    def __str__(self):
        return f"{self.user} · {self.skill}: {self.get_kind_display()} {self.level}"


class PlanStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    DROPPED = "dropped", _("Dropped")


OPEN_PLAN_STATUSES = (PlanStatus.PLANNED, PlanStatus.IN_PROGRESS)


class LearningPlanQuerySet(models.QuerySet):
    def open(self):
        """Planned or in progress: what still asks for attention."""
        return self.filter(status__in=OPEN_PLAN_STATUSES)

    def overdue(self, today=None):
        """Open, and its target date has passed."""
        return self.open().filter(target_date__lt=today or timezone.localdate())


class LearningPlan(models.Model):
    """How one person will reach a level in a skill, by when."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="learning_plans",
        verbose_name=_("person"),
    )
    skill = models.ForeignKey(
        Skill, on_delete=models.PROTECT, related_name="learning_plans", verbose_name=_("skill")
    )
    goal_level = models.PositiveSmallIntegerField(_("goal level"), choices=Level.choices)
    target_date = models.DateField(_("target date"))
    status = models.CharField(
        _("status"), max_length=16, choices=PlanStatus.choices, default=PlanStatus.PLANNED
    )
    note = models.TextField(_("how"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = LearningPlanQuerySet.as_manager()

    class Meta:
        ordering = ["target_date", "id"]
        verbose_name = _("learning plan")
        verbose_name_plural = _("learning plans")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "skill"],
                condition=Q(status__in=OPEN_PLAN_STATUSES),
                name="learningplan_one_open_per_person_and_skill",
                violation_error_message=_("There is already an open learning plan for this skill."),
            ),
            models.CheckConstraint(
                condition=Q(goal_level__gte=MIN_REQUIRED_LEVEL, goal_level__lte=MAX_LEVEL),
                name="learningplan_goal_in_scale",
                violation_error_message=_("A goal level is from 1 to 4."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=PlanStatus.values), name="learningplan_status_known"
            ),
        ]
        indexes = [models.Index(fields=["status", "target_date"], name="learningplan_open_due")]

    def __str__(self):
        return f"{self.user} · {self.skill} → {self.goal_level} by {self.target_date}"

    @property
    def is_open(self):
        return self.status in OPEN_PLAN_STATUSES

    def is_overdue(self, today=None):
        return self.is_open and self.target_date < (today or timezone.localdate())
