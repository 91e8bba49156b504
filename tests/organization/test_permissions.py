"""Every view of the team plan that changes data, against every role. One table."""

import datetime as dt

import pytest
from django.urls import reverse
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
from opsmaturity.teams.models import Role
from tests.organization.factories import (
    JobRoleFactory,
    LearningPlanFactory,
    SkillFactory,
    role_needing,
)
from tests.permission_table import ALLOWED, DENIED, LOGIN, REFUSED, ROLES, assert_outcome, cases
from tests.teams.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    team, other_team = TeamFactory(name="Billing"), TeamFactory(name="Risk")
    users = {
        # The outsider manages another team: a manager, but not of these people.
        "outsider": UserFactory(username="outsider"),
        "member": UserFactory(username="member"),
        "manager": UserFactory(username="manager"),
        "staff": UserFactory(username="staff", is_staff=True),
    }
    MembershipFactory(user=users["outsider"], team=other_team, role=Role.MANAGER)
    MembershipFactory(user=users["member"], team=team, role=Role.MEMBER)
    MembershipFactory(user=users["manager"], team=team, role=Role.MANAGER)
    python = SkillFactory(name="Python", category=SkillCategory.AUTOMATION)
    sql = SkillFactory(name="SQL", category=SkillCategory.DATA)
    role = role_needing(team, {python: 3}, name="Automation promoter")
    org_role = JobRoleFactory(team=None, name="Growth planner", horizon_years=Horizon.FIVE_YEARS)
    proposal = SkillLevel.objects.create(
        user=users["member"], skill=python, proposed_level=3, version=2
    )
    plan = LearningPlanFactory(user=users["member"], skill=sql, goal_level=2)
    return {
        "team": team,
        "users": users,
        "python": python,
        "sql": sql,
        "role": role,
        "org_role": org_role,
        "proposal": proposal,
        "plan": plan,
    }


def future(days=60):
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def add_skill(world):
    data = {"name": "Kaizen", "category": SkillCategory.MANAGEMENT}
    return reverse("organization:skills"), data, Skill.objects.filter(name="Kaizen").exists


def edit_skill(world):
    skill = world["python"]
    data = {"name": "Python scripting", "category": SkillCategory.AUTOMATION}
    return (
        reverse("organization:skill_edit", args=[skill.pk]),
        data,
        Skill.objects.filter(pk=skill.pk, name="Python scripting").exists,
    )


def role_form(team, **extra):
    return {
        "name": "Growth partner",
        "team": team.pk if team else "",
        "status": RoleStatus.PLANNED,
        "horizon_years": Horizon.THREE_YEARS,
        "description": "",
        **extra,
    }


def add_role(world):
    return (
        reverse("organization:role_create"),
        role_form(world["team"]),
        JobRole.objects.filter(name="Growth partner", team=world["team"]).exists,
    )


def add_org_role(world):
    return (
        reverse("organization:role_create"),
        role_form(None),
        JobRole.objects.filter(name="Growth partner", team__isnull=True).exists,
    )


def edit_role(world):
    role = world["role"]
    return (
        reverse("organization:role_edit", args=[role.pk]),
        role_form(world["team"]),
        JobRole.objects.filter(pk=role.pk, name="Growth partner").exists,
    )


def edit_org_role(world):
    role = world["org_role"]
    return (
        reverse("organization:role_edit", args=[role.pk]),
        role_form(None),
        JobRole.objects.filter(pk=role.pk, name="Growth partner").exists,
    )


def require_skill(world):
    role, sql = world["role"], world["sql"]
    return (
        reverse("organization:requirement_set", args=[role.pk]),
        {"skill": sql.pk, "level": 2},
        RequiredSkill.objects.filter(role=role, skill=sql, level=2).exists,
    )


def remove_requirement(world):
    role, python = world["role"], world["python"]
    return (
        reverse("organization:requirement_remove", args=[role.pk, python.pk]),
        {},
        lambda: not RequiredSkill.objects.filter(role=role, skill=python).exists(),
    )


def propose_own_level(world):
    sql = world["sql"]
    return (
        reverse("organization:my_skills"),
        {"skill": sql.pk, "level": 2, "note": "Wrote the monthly report query"},
        SkillLevel.objects.filter(skill=sql, proposed_level=2).exists,
    )


def confirm_level(world):
    proposal = world["proposal"]
    return (
        reverse("organization:level_confirm", args=[world["team"].pk, proposal.pk]),
        {"level": 2, "version": proposal.version},
        SkillLevel.objects.filter(pk=proposal.pk, level=2, proposed_level__isnull=True).exists,
    )


def create_plan_for_member(world):
    data = {
        "user": world["users"]["member"].pk,
        "skill": world["python"].pk,
        "goal_level": 3,
        "target_date": future(),
        "status": PlanStatus.PLANNED,
        "note": "",
    }
    return (
        reverse("organization:plan_create"),
        data,
        LearningPlan.objects.filter(skill=world["python"]).exists,
    )


def edit_member_plan(world):
    plan = world["plan"]
    data = {
        "skill": plan.skill_id,
        "goal_level": 3,
        "target_date": future(30),
        "status": PlanStatus.IN_PROGRESS,
        "note": "Pairing on Fridays",
    }
    return (
        reverse("organization:plan_edit", args=[plan.pk]),
        data,
        LearningPlan.objects.filter(pk=plan.pk, status=PlanStatus.IN_PROGRESS).exists,
    )


TABLE = {
    #                        anonymous outsider member   manager  staff
    add_skill: [LOGIN, ALLOWED, DENIED, ALLOWED, ALLOWED],
    edit_skill: [LOGIN, ALLOWED, DENIED, ALLOWED, ALLOWED],
    add_role: [LOGIN, REFUSED, DENIED, ALLOWED, ALLOWED],
    add_org_role: [LOGIN, REFUSED, DENIED, REFUSED, ALLOWED],
    edit_role: [LOGIN, DENIED, DENIED, ALLOWED, ALLOWED],
    edit_org_role: [LOGIN, DENIED, DENIED, DENIED, ALLOWED],
    require_skill: [LOGIN, DENIED, DENIED, ALLOWED, ALLOWED],
    remove_requirement: [LOGIN, DENIED, DENIED, ALLOWED, ALLOWED],
    propose_own_level: [LOGIN, ALLOWED, ALLOWED, ALLOWED, ALLOWED],
    confirm_level: [LOGIN, DENIED, DENIED, ALLOWED, ALLOWED],
    create_plan_for_member: [LOGIN, REFUSED, ALLOWED, ALLOWED, ALLOWED],
    edit_member_plan: [LOGIN, DENIED, ALLOWED, ALLOWED, ALLOWED],
}
CASES = cases(TABLE)


@pytest.mark.parametrize(("action", "role", "expected"), CASES)
def test_permission_table(client, world, action, role, expected):
    assert_outcome(client, world, action, role, expected)


@pytest.mark.parametrize("role", ROLES[1:])
def test_every_signed_in_user_can_read(client, world, role):
    client.force_login(world["users"][role])
    team = world["team"]
    for url in [
        reverse("organization:index"),
        reverse("organization:team_gap", args=[team.pk]),
        reverse("organization:team_gap_csv", args=[team.pk]),
        reverse("organization:skills"),
        reverse("organization:roles"),
        reverse("organization:role_detail", args=[world["role"].pk]),
        reverse("organization:role_detail", args=[world["org_role"].pk]),
        reverse("organization:my_skills"),
    ]:
        assert client.get(url).status_code == 200, url


def test_anonymous_reads_nothing(client, world):
    for url in [
        reverse("organization:index"),
        reverse("organization:team_gap", args=[world["team"].pk]),
        reverse("organization:team_gap_csv", args=[world["team"].pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_only_editors_see_the_edit_controls(client, world):
    url = reverse("organization:team_gap", args=[world["team"].pk])
    confirm = reverse("organization:level_confirm", args=[world["team"].pk, world["proposal"].pk])
    client.force_login(world["users"]["member"])
    assert confirm not in client.get(url).content.decode()  # nobody confirms their own level
    client.force_login(world["users"]["manager"])
    assert confirm in client.get(url).content.decode()
    client.force_login(world["users"]["outsider"])
    assert confirm not in client.get(url).content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "organization:skill_edit",
        "organization:role_edit",
        "organization:role_detail",
        "organization:plan_edit",
        "organization:team_gap",
    ],
)
def test_missing_objects_are_404_not_500(client, world, url):
    client.force_login(world["users"]["staff"])
    assert client.get(reverse(url, args=[987654])).status_code == 404


def test_missing_objects_in_posts_are_404(client, world):
    client.force_login(world["users"]["staff"])
    team, role = world["team"], world["role"]
    for url in [
        reverse("organization:requirement_set", args=[987654]),
        reverse("organization:requirement_remove", args=[role.pk, 987654]),
        reverse("organization:requirement_remove", args=[role.pk, world["sql"].pk]),
        reverse("organization:level_confirm", args=[team.pk, 987654]),
        reverse("organization:level_confirm", args=[987654, world["proposal"].pk]),
    ]:
        assert client.post(url, {"level": 2, "version": 2}).status_code == 404, url


def test_a_level_is_confirmed_from_a_team_the_person_is_in(client, world):
    other = TeamFactory(name="Elsewhere")
    client.force_login(world["users"]["staff"])
    url = reverse("organization:level_confirm", args=[other.pk, world["proposal"].pk])
    assert client.post(url, {"level": 3, "version": 2}).status_code == 404


def test_a_manager_does_not_confirm_their_own_level(client, world):
    manager = world["users"]["manager"]
    own = SkillLevel.objects.create(user=manager, skill=world["sql"], proposed_level=4)
    client.force_login(manager)
    url = reverse("organization:level_confirm", args=[world["team"].pk, own.pk])
    assert client.post(url, {"level": 4, "version": own.version}).status_code == 403
    own.refresh_from_db()
    assert own.level is None


def test_post_only_views_refuse_a_get(client, world):
    client.force_login(world["users"]["staff"])
    url = reverse("organization:level_confirm", args=[world["team"].pk, world["proposal"].pk])
    assert client.get(url).status_code == 405
    url = reverse("organization:requirement_set", args=[world["role"].pk])
    assert client.get(url).status_code == 405


def test_a_member_without_a_managed_team_cannot_open_the_role_form(client, world):
    client.force_login(world["users"]["member"])
    assert client.get(reverse("organization:role_create")).status_code == 403
    assert client.get(reverse("organization:role_edit", args=[world["role"].pk])).status_code == 403


def test_the_plan_form_offers_only_people_one_may_plan_for(client, world):
    client.force_login(world["users"]["manager"])
    form = client.get(reverse("organization:plan_create")).context["form"]
    people = set(form.fields["user"].queryset.values_list("username", flat=True))
    assert people == {"member", "manager"}
    client.force_login(world["users"]["member"])
    form = client.get(reverse("organization:plan_create")).context["form"]
    assert set(form.fields["user"].queryset.values_list("username", flat=True)) == {"member"}
