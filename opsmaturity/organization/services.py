"""Changes to levels, requirements and learning plans that must happen together or not at all.

Also the queries the weekly digest calls: ``learning_plans_for(user)``,
``team_learning_plans(teams)`` and ``levels_to_confirm(user)``.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opsmaturity.lib.concurrency import lock_current
from opsmaturity.teams import access
from opsmaturity.teams.models import Membership, Team

from .models import (
    LearningPlan,
    LevelChange,
    LevelChangeKind,
    RequiredSkill,
    SkillLevel,
)


def propose_level(user, skill, level, *, note="", at=None):
    """Record a person's own proposal of their level in a skill; it waits for a manager."""
    at = at or timezone.now()
    with transaction.atomic():
        skill_level, _created = SkillLevel.objects.select_for_update().get_or_create(
            user=user, skill=skill
        )
        skill_level.proposed_level = level
        skill_level.proposed_at = at
        skill_level.proposal_note = note
        skill_level.version += 1
        skill_level.full_clean()
        skill_level.save()
        LevelChange.objects.create(
            user=user,
            skill=skill,
            kind=LevelChangeKind.PROPOSED,
            level=level,
            by=user,
            at=at,
            note=note,
        )
    return skill_level


def confirm_level(skill_level, *, by, level, expected_version, at=None):
    """Confirm a pending proposal, as proposed or adjusted to ``level``.

    Raises EditConflict when the proposal is no longer the one the manager saw.
    """
    at = at or timezone.now()
    with transaction.atomic():
        current = lock_current(
            SkillLevel.objects,
            skill_level.pk,
            expected_version,
            still=lambda row: row.proposed_level is not None,
            message=_(
                "This proposal changed or was already confirmed meanwhile; check it and try again."
            ),
        )
        proposed = current.proposed_level
        current.level = level
        current.confirmed_by = by
        current.confirmed_at = at
        current.proposed_level = None
        current.proposed_at = None
        current.proposal_note = ""
        current.version += 1
        current.full_clean()
        current.save()
        note = ""
        if level != proposed:
            note = _("Adjusted from the proposed %(proposed)s.") % {"proposed": proposed}
        LevelChange.objects.create(
            user_id=current.user_id,
            skill_id=current.skill_id,
            kind=LevelChangeKind.CONFIRMED,
            level=level,
            by=by,
            at=at,
            note=note,
        )
    return current


def set_requirement(role, skill, level):
    """Require ``skill`` at ``level`` for ``role``, or change the level it is required at."""
    requirement, _created = RequiredSkill.objects.update_or_create(
        role=role, skill=skill, defaults={"level": level}
    )
    return requirement


def remove_requirement(role, skill):
    return RequiredSkill.objects.filter(role=role, skill=skill).delete()[0] > 0


@transaction.atomic
def create_learning_plan(*, by, **fields):
    plan = LearningPlan(created_by=by, **fields)
    plan.full_clean()
    plan.save()
    return plan


@transaction.atomic
def update_learning_plan(plan, changes):
    for name, value in changes.items():
        setattr(plan, name, value)
    plan.full_clean()
    plan.save()
    return plan


# --- What the weekly digest asks ----------------------------------------------------


def learning_plans_for(user):
    """The person's open learning plans (planned or in progress), soonest target first.

    Each has ``skill`` loaded; ``plan.is_overdue()`` says whether its date has passed.
    """
    return (
        LearningPlan.objects.open()
        .filter(user=user)
        .select_related("skill")
        .order_by("target_date", "id")
    )


def _team_ids(teams):
    if isinstance(teams, Team):
        return [teams.pk]
    if hasattr(teams, "values_list"):
        return teams.values("pk")
    return [getattr(team, "pk", team) for team in teams]


def team_learning_plans(teams):
    """The open learning plans of everyone in the given teams (Teams, a queryset or ids).

    Each plan once, even for someone in several of the teams; ``user`` and
    ``skill`` loaded; soonest target first.
    """
    people = Membership.objects.filter(team_id__in=_team_ids(teams)).values("user_id")
    return (
        LearningPlan.objects.open()
        .filter(user_id__in=people)
        .select_related("user__profile", "skill")
        .order_by("target_date", "user__username", "id")
    )


def levels_to_confirm(user):
    """Pending level proposals that ``user`` may confirm: those of people in a team the
    user manages (everyone's, for staff), never the user's own."""
    pending = SkillLevel.objects.pending().select_related("user__profile", "skill")
    return access.confirmable_levels(user, pending).order_by("proposed_at", "id")


def open_plan_exists(user_id, skill_id, exclude_pk=None):
    plans = LearningPlan.objects.open().filter(user_id=user_id, skill_id=skill_id)
    if exclude_pk:
        plans = plans.exclude(pk=exclude_pk)
    return plans.exists()
