"""Bad input gets a clear message at the field, and nothing is half-saved."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from opsmaturity.organization.models import (
    Horizon,
    JobRole,
    LearningPlan,
    LevelChange,
    PlanStatus,
    RequiredSkill,
    RoleStatus,
    Skill,
    SkillCategory,
    SkillLevel,
)
from opsmaturity.teams.models import Role
from tests.organization.factories import (
    LearningPlanFactory,
    SkillFactory,
    SkillLevelFactory,
    role_needing,
)
from tests.teams.factories import MembershipFactory, TeamFactory

pytestmark = pytest.mark.django_db


def errors_of(response, field):
    assert response.status_code == 200
    return [str(e) for e in response.context["form"].errors.get(field, [])]


def days(n):
    return (timezone.localdate() + dt.timedelta(days=n)).isoformat()


@pytest.mark.parametrize("level", ["7", "-1", "two", ""])
def test_a_level_outside_0_to_4_is_refused_at_the_field(client, member, level):
    python = SkillFactory(name="Python")
    client.force_login(member)
    response = client.post(reverse("organization:my_skills"), {"skill": python.pk, "level": level})
    assert errors_of(response, "level") == [
        "Choose a level from 0 (none) to 4 (can teach and lead)."
    ]
    assert not SkillLevel.objects.exists()
    assert not LevelChange.objects.exists()
    assert 'class="error"' in response.content.decode()


def test_proposing_ones_confirmed_level_again_is_refused(client, member):
    python = SkillFactory(name="Python")
    SkillLevelFactory(user=member, skill=python, level=2)
    client.force_login(member)
    response = client.post(reverse("organization:my_skills"), {"skill": python.pk, "level": 2})
    assert errors_of(response, "level") == ["2 is already your confirmed level in Python."]


@pytest.mark.parametrize("level", ["0", "5"])
def test_a_required_level_is_from_1_to_4(client, manager, team, level):
    python, sql = SkillFactory(name="Python"), SkillFactory(name="SQL")
    role = role_needing(team, {python: 2})
    client.force_login(manager)
    response = client.post(
        reverse("organization:requirement_set", args=[role.pk]), {"skill": sql.pk, "level": level}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["level"] == [
        "Choose a level from 1 (aware) to 4 (can teach and lead)."
    ]
    assert list(RequiredSkill.objects.values_list("skill__name", "level")) == [("Python", 2)]


def test_changing_a_required_level_from_the_role_page(client, manager, team):
    python = SkillFactory(name="Python")
    role = role_needing(team, {python: 2})
    client.force_login(manager)
    response = client.post(
        reverse("organization:requirement_set", args=[role.pk]),
        {"skill": python.pk, "level": 4},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "Python at level 4." in response.content.decode()
    assert RequiredSkill.objects.get(role=role, skill=python).level == 4


@pytest.mark.parametrize("name", ["python", "  PYTHON ", "Python"])
def test_a_duplicate_skill_name_is_refused_whatever_its_case(client, manager, name):
    SkillFactory(name="Python")
    client.force_login(manager)
    response = client.post(
        reverse("organization:skills"), {"name": name, "category": SkillCategory.AUTOMATION}
    )
    assert errors_of(response, "name") == ["A skill called “Python” already exists."]
    assert Skill.objects.count() == 1


def test_renaming_a_skill_to_its_own_name_in_another_case_is_fine(client, manager):
    skill = SkillFactory(name="Python")
    client.force_login(manager)
    response = client.post(
        reverse("organization:skill_edit", args=[skill.pk]),
        {"name": "PYTHON", "category": SkillCategory.AUTOMATION},
    )
    assert response.status_code == 302
    skill.refresh_from_db()
    assert skill.name == "PYTHON"


def test_a_planned_role_needs_a_horizon(client, manager, team):
    client.force_login(manager)
    data = {"name": "Automation promoter", "team": team.pk, "status": RoleStatus.PLANNED}
    response = client.post(reverse("organization:role_create"), data)
    assert errors_of(response, "horizon_years") == [
        "A planned role needs a horizon: in 1, 3 or 5 years."
    ]
    assert not JobRole.objects.exists()


def test_a_role_that_exists_today_keeps_no_horizon(client, manager, team):
    client.force_login(manager)
    data = {
        "name": "Operator",
        "team": team.pk,
        "status": RoleStatus.CURRENT,
        "horizon_years": Horizon.THREE_YEARS,
    }
    assert client.post(reverse("organization:role_create"), data).status_code == 302
    assert JobRole.objects.get().horizon_years is None


def test_a_horizon_other_than_1_3_5_is_refused(client, manager, team):
    client.force_login(manager)
    data = {"name": "X", "team": team.pk, "status": RoleStatus.PLANNED, "horizon_years": 2}
    response = client.post(reverse("organization:role_create"), data)
    assert errors_of(response, "horizon_years") == ["Choose a horizon of 1, 3 or 5 years."]


def test_a_duplicate_role_name_in_the_team_is_refused(client, manager, team):
    role_needing(team, {}, name="Automation promoter")
    client.force_login(manager)
    data = {
        "name": "automation  PROMOTER",
        "team": team.pk,
        "status": RoleStatus.PLANNED,
        "horizon_years": 1,
    }
    response = client.post(reverse("organization:role_create"), data)
    assert errors_of(response, "name") == [
        "Billing already has a role called “automation PROMOTER”."
    ]
    assert JobRole.objects.count() == 1
    # Another team may have its own.
    other = TeamFactory(name="Risk")
    MembershipFactory(user=manager, team=other, role=Role.MANAGER)
    data["team"] = other.pk
    assert client.post(reverse("organization:role_create"), data).status_code == 302


def plan_data(person, skill, **extra):
    return {
        "user": person.pk,
        "skill": skill.pk,
        "goal_level": 3,
        "target_date": days(90),
        "status": PlanStatus.PLANNED,
        "note": "",
        **extra,
    }


def test_a_target_date_in_the_past_is_refused(client, member):
    python = SkillFactory(name="Python")
    client.force_login(member)
    response = client.post(
        reverse("organization:plan_create"), plan_data(member, python, target_date=days(-1))
    )
    assert errors_of(response, "target_date") == [
        "This date has passed: choose a target date from today on."
    ]
    assert not LearningPlan.objects.exists()


def test_marking_an_overdue_plan_done_does_not_ask_for_a_new_date(client, member):
    plan = LearningPlanFactory(user=member, target_date=timezone.localdate() - dt.timedelta(days=5))
    client.force_login(member)
    data = plan_data(member, plan.skill, target_date=plan.target_date.isoformat(), status="done")
    response = client.post(reverse("organization:plan_edit", args=[plan.pk]), data)
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DONE


def test_moving_an_open_plan_to_a_past_date_is_refused(client, member):
    plan = LearningPlanFactory(user=member)
    client.force_login(member)
    response = client.post(
        reverse("organization:plan_edit", args=[plan.pk]),
        plan_data(member, plan.skill, target_date=days(-3)),
    )
    assert errors_of(response, "target_date")
    plan.refresh_from_db()
    assert plan.target_date > timezone.localdate()


def test_one_open_plan_per_person_and_skill(client, member):
    python = SkillFactory(name="Python")
    LearningPlanFactory(user=member, skill=python)
    client.force_login(member)
    response = client.post(reverse("organization:plan_create"), plan_data(member, python))
    assert errors_of(response, "skill") == [
        "Ann Lee already has an open plan for Python: update that one."
    ]
    assert LearningPlan.objects.count() == 1


def test_a_goal_at_or_below_the_confirmed_level_is_refused(client, member):
    python = SkillFactory(name="Python")
    SkillLevelFactory(user=member, skill=python, level=3)
    client.force_login(member)
    response = client.post(reverse("organization:plan_create"), plan_data(member, python))
    assert errors_of(response, "goal_level") == ["The confirmed level is already 3: aim higher."]


@pytest.mark.parametrize("goal", ["0", "5"])
def test_a_goal_level_is_from_1_to_4(client, member, goal):
    python = SkillFactory(name="Python")
    client.force_login(member)
    response = client.post(
        reverse("organization:plan_create"), plan_data(member, python, goal_level=goal)
    )
    assert errors_of(response, "goal_level") == [
        "Choose a level from 1 (aware) to 4 (can teach and lead)."
    ]


def test_a_plan_started_from_the_gap_view_goes_back_there(client, member, team):
    python = SkillFactory(name="Python")
    client.force_login(member)
    url = reverse("organization:plan_create")
    page = client.get(
        url, {"user": member.pk, "skill": python.pk, "goal_level": 3, "team": team.pk}
    )
    assert page.context["form"].initial["skill"] == str(python.pk)
    response = client.post(url, {**plan_data(member, python), "team": team.pk})
    assert response["Location"] == reverse("organization:team_gap", args=[team.pk])
    # a team that is not a number is ignored, not a 500
    assert client.get(url, {"team": "x'"}).status_code == 200
