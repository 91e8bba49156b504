"""Who may do what with roles, skills, levels and learning plans. One helper per kind.

As for operations, every signed-in user may read everything here. People
propose their own levels and keep their own learning plans; a manager of one
of a person's teams confirms that person's levels and may keep their plans;
managers keep the skill catalogue and the roles of the teams they manage;
staff may do everything, including the organisation-wide roles. Views use the
``get_*_for_*`` helpers: a missing object is a 404, a forbidden change a 403.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404

from opsmaturity.teams.models import Membership, Team
from opsmaturity.teams.roles import is_manager, managed_team_ids

from .models import JobRole, LearningPlan, Skill, SkillLevel


def can_manage_team(user, team_id):
    return user.is_staff or team_id in managed_team_ids(user)


def can_edit_skills(user):
    """The skill catalogue is shared: any manager may add to it and correct it."""
    return is_manager(user)


def can_edit_role(user, role):
    """A team's roles by its managers; the organisation-wide ones by staff."""
    if user.is_staff:
        return True
    return role.team_id is not None and role.team_id in managed_team_ids(user)


def manages_person(user, person_id):
    """Whether the user manages one of the teams the person is in."""
    managed = managed_team_ids(user)
    if not managed:
        return False
    return Membership.objects.filter(user_id=person_id, team_id__in=managed).exists()


def can_confirm_level(user, skill_level):
    """Staff, or a manager of one of the person's teams; nobody confirms their own level."""
    if user.is_staff:
        return True
    return skill_level.user_id != user.pk and manages_person(user, skill_level.user_id)


def can_edit_plan(user, plan):
    return user.is_staff or plan.user_id == user.pk or manages_person(user, plan.user_id)


def role_teams(user):
    """Teams for which the user may keep roles."""
    if user.is_staff:
        return Team.objects.all()
    return Team.objects.filter(pk__in=managed_team_ids(user))


def plannable_people(user):
    """People for whom the user may keep learning plans: themselves and whom they manage."""
    people = get_user_model().objects.filter(is_active=True)
    if user.is_staff:
        return people
    managed = Membership.objects.filter(team_id__in=managed_team_ids(user)).values("user_id")
    return people.filter(Q(pk__in=managed) | Q(pk=user.pk))


def get_skill_for_edit(user, pk):
    skill = get_object_or_404(Skill, pk=pk)
    if not can_edit_skills(user):
        raise PermissionDenied
    return skill


def get_role_for_edit(user, pk):
    role = get_object_or_404(JobRole.objects.select_related("team"), pk=pk)
    if not can_edit_role(user, role):
        raise PermissionDenied
    return role


def get_level_for_confirm(user, pk):
    skill_level = get_object_or_404(SkillLevel.objects.select_related("user", "skill"), pk=pk)
    if not can_confirm_level(user, skill_level):
        raise PermissionDenied
    return skill_level


def get_plan_for_edit(user, pk):
    plan = get_object_or_404(LearningPlan.objects.select_related("user", "skill"), pk=pk)
    if not can_edit_plan(user, plan):
        raise PermissionDenied
    return plan
