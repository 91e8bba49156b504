"""Factories for the team plan (roles, skills, levels, learning plans), shared by the
tests/organization/ files. No tests here."""

import datetime as dt

import factory
from django.utils import timezone

from opsmaturity.organization.models import (
    Horizon,
    JobRole,
    LearningPlan,
    PlanStatus,
    RequiredSkill,
    RoleStatus,
    Skill,
    SkillCategory,
    SkillLevel,
)
from tests.teams.factories import TeamFactory, UserFactory


class SkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Skill
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Skill {n}")
    category = SkillCategory.OPERATIONS


class JobRoleFactory(factory.django.DjangoModelFactory):
    """A role planned for next year in a team."""

    class Meta:
        model = JobRole

    name = factory.Sequence(lambda n: f"Role {n}")
    team = factory.SubFactory(TeamFactory)
    status = RoleStatus.PLANNED
    horizon_years = Horizon.ONE_YEAR


class RequiredSkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RequiredSkill

    role = factory.SubFactory(JobRoleFactory)
    skill = factory.SubFactory(SkillFactory)
    level = 3


class SkillLevelFactory(factory.django.DjangoModelFactory):
    """A confirmed level, with no proposal waiting."""

    class Meta:
        model = SkillLevel

    user = factory.SubFactory(UserFactory)
    skill = factory.SubFactory(SkillFactory)
    level = 2
    confirmed_at = factory.LazyFunction(timezone.now)


class LearningPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LearningPlan

    user = factory.SubFactory(UserFactory)
    skill = factory.SubFactory(SkillFactory)
    goal_level = 3
    target_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=90))
    status = PlanStatus.PLANNED


def role_needing(team, requirements, **kwargs):
    """A planned role of ``team`` requiring {skill: level}."""
    role = JobRoleFactory(team=team, **kwargs)
    for skill, level in requirements.items():
        RequiredSkillFactory(role=role, skill=skill, level=level)
    return role
