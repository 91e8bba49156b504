"""Proposals and confirmations, what the digest asks, and the demo data."""

import datetime as dt
import random

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from opsmaturity.lib.concurrency import EditConflict
from opsmaturity.organization import services
from opsmaturity.organization.gap import team_gap
from opsmaturity.organization.models import (
    JobRole,
    LearningPlan,
    LevelChange,
    LevelChangeKind,
    PlanStatus,
    RequiredSkill,
    RoleStatus,
    Skill,
    SkillCategory,
    SkillLevel,
)
from opsmaturity.teams.models import Membership, Role
from opsmaturity.tooling.demo.organization import seed_organization
from tests.organization.factories import (
    LearningPlanFactory,
    SkillFactory,
    SkillLevelFactory,
    role_needing,
)
from tests.teams.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_proposal_waits_and_a_confirmation_keeps_who_and_when(member, manager):
    python = SkillFactory(name="Python")
    proposal = services.propose_level(member, python, 3, note="Automated the refunds export")
    assert (proposal.level, proposal.proposed_level, proposal.is_pending) == (None, 3, True)

    confirmed = services.confirm_level(
        proposal, by=manager, level=2, expected_version=proposal.version
    )
    assert (confirmed.level, confirmed.proposed_level) == (2, None)
    assert confirmed.confirmed_by == manager
    assert confirmed.confirmed_at is not None
    history = list(LevelChange.objects.order_by("at", "id").values_list("kind", "level", "by"))
    assert history == [
        (LevelChangeKind.PROPOSED, 3, member.pk),
        (LevelChangeKind.CONFIRMED, 2, manager.pk),
    ]
    assert LevelChange.objects.get(kind=LevelChangeKind.CONFIRMED).note == (
        "Adjusted from the proposed 3."
    )


def test_a_new_proposal_keeps_the_confirmed_level_until_it_is_confirmed(member, manager):
    python = SkillFactory(name="Python")
    SkillLevelFactory(user=member, skill=python, level=2, confirmed_by=manager)
    services.propose_level(member, python, 3)
    row = SkillLevel.objects.get(user=member, skill=python)
    assert (row.level, row.proposed_level) == (2, 3)


def test_confirming_a_proposal_that_changed_meanwhile_is_refused(member, manager):
    python = SkillFactory(name="Python")
    seen = services.propose_level(member, python, 2)
    services.propose_level(member, python, 4)  # the member changes their mind
    with pytest.raises(EditConflict):
        services.confirm_level(seen, by=manager, level=2, expected_version=seen.version)
    row = SkillLevel.objects.get(pk=seen.pk)
    assert (row.level, row.proposed_level) == (None, 4)
    assert not LevelChange.objects.filter(kind=LevelChangeKind.CONFIRMED).exists()


def test_confirming_twice_is_refused_the_second_time(member, manager):
    python = SkillFactory(name="Python")
    proposal = services.propose_level(member, python, 2)
    services.confirm_level(proposal, by=manager, level=2, expected_version=proposal.version)
    with pytest.raises(EditConflict):
        services.confirm_level(proposal, by=manager, level=3, expected_version=proposal.version)
    assert SkillLevel.objects.get(pk=proposal.pk).level == 2


def test_the_confirm_view_says_so_when_the_proposal_changed(client, member, manager, team):
    python = SkillFactory(name="Python")
    seen = services.propose_level(member, python, 2)
    services.propose_level(member, python, 4)
    client.force_login(manager)
    url = reverse("organization:level_confirm", args=[team.pk, seen.pk])
    response = client.post(
        url, {"level": 2, "version": seen.version}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "changed or was already confirmed meanwhile" in response.content.decode()
    assert SkillLevel.objects.get(pk=seen.pk).level is None


def test_the_confirm_view_refuses_a_level_outside_the_scale(client, member, manager, team):
    proposal = services.propose_level(member, SkillFactory(name="Python"), 2)
    client.force_login(manager)
    url = reverse("organization:level_confirm", args=[team.pk, proposal.pk])
    response = client.post(url, {"level": 9, "version": proposal.version}, follow=True)
    assert "Choose a level from 0 (none) to 4" in response.content.decode()
    assert SkillLevel.objects.get(pk=proposal.pk).level is None


def test_the_database_refuses_levels_outside_the_scale(member):
    python = SkillFactory(name="Python")
    with pytest.raises(IntegrityError), transaction.atomic():
        SkillLevel.objects.create(user=member, skill=python, level=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        role = role_needing(TeamFactory(), {})
        RequiredSkill.objects.create(role=role, skill=python, level=0)


def test_the_database_keeps_one_open_plan_per_person_and_skill(member):
    python = SkillFactory(name="Python")
    LearningPlanFactory(user=member, skill=python)
    LearningPlanFactory(user=member, skill=python, status=PlanStatus.DONE)  # closed ones: fine
    with pytest.raises(IntegrityError), transaction.atomic():
        LearningPlanFactory(user=member, skill=python, status=PlanStatus.IN_PROGRESS)


def test_level_changes_are_append_only(member):
    change = LevelChange.objects.create(
        user=member, skill=SkillFactory(), kind=LevelChangeKind.PROPOSED, level=1, by=member
    )
    with pytest.raises(ValueError, match="history"):
        change.save()


# --- What the weekly digest calls -----------------------------------------------------


def test_learning_plans_for_a_person_are_the_open_ones_soonest_first(member):
    today = timezone.localdate()
    later = LearningPlanFactory(user=member, target_date=today + dt.timedelta(days=90))
    sooner = LearningPlanFactory(
        user=member, target_date=today + dt.timedelta(days=10), status=PlanStatus.IN_PROGRESS
    )
    overdue = LearningPlanFactory(user=member, target_date=today - dt.timedelta(days=3))
    LearningPlanFactory(user=member, status=PlanStatus.DONE)
    LearningPlanFactory(user=member, status=PlanStatus.DROPPED)
    LearningPlanFactory()  # someone else's

    plans = list(services.learning_plans_for(member))
    assert plans == [overdue, sooner, later]
    assert [p.is_overdue() for p in plans] == [True, False, False]
    assert list(LearningPlan.objects.overdue()) == [overdue]


def test_team_learning_plans_lists_each_plan_once(team, member, manager):
    other = TeamFactory(name="Risk")
    MembershipFactory(user=member, team=other)  # in both teams
    mine = LearningPlanFactory(user=member)
    boss = LearningPlanFactory(user=manager, target_date=mine.target_date + dt.timedelta(days=1))
    outsider = UserFactory()
    MembershipFactory(user=outsider, team=TeamFactory(name="Elsewhere"))
    LearningPlanFactory(user=outsider)
    LearningPlanFactory(user=member, status=PlanStatus.DONE)

    assert list(services.team_learning_plans([team, other])) == [mine, boss]
    assert list(services.team_learning_plans(team)) == [mine, boss]
    assert list(services.team_learning_plans([other.pk])) == [mine]
    from opsmaturity.teams.models import Team

    assert list(services.team_learning_plans(Team.objects.filter(name="Risk"))) == [mine]
    with CaptureQueriesContext(connection) as queries:
        plans = list(services.team_learning_plans([team]))
        [(p.user.username, p.skill.name) for p in plans]
    assert len(queries) == 1


def test_levels_to_confirm_are_those_of_the_people_one_manages(team, member, manager):
    python = SkillFactory(name="Python")
    waiting = services.propose_level(member, python, 3)
    services.propose_level(manager, python, 4)  # the manager's own: not theirs to confirm
    stranger = UserFactory()
    MembershipFactory(user=stranger, team=TeamFactory(name="Risk"))
    services.propose_level(stranger, python, 2)

    assert list(services.levels_to_confirm(manager)) == [waiting]
    assert list(services.levels_to_confirm(member)) == []
    assert services.levels_to_confirm(UserFactory(is_staff=True)).count() == 3


def test_the_index_lists_what_waits_for_the_manager(client, team, member, manager):
    services.propose_level(member, SkillFactory(name="Python"), 3)
    client.force_login(manager)
    page = client.get(reverse("organization:index")).content.decode()
    assert "1 level waits for your confirmation" in page
    assert reverse("organization:team_gap", args=[team.pk]) in page


# --- Demo data --------------------------------------------------------------------------


@pytest.fixture
def demo_world():
    teams = [TeamFactory(name="Customer Support"), TeamFactory(name="Billing")]
    people = []
    for team in teams:
        boss = UserFactory(username=f"boss-{team.pk}")
        MembershipFactory(user=boss, team=team, role=Role.MANAGER)
        people.append(boss)
        for i in range(6):
            user = UserFactory(username=f"p{team.pk}-{i}")
            MembershipFactory(user=user, team=team)
            people.append(user)
    return teams, people


def test_seed_organization_builds_a_believable_team_plan(demo_world):
    teams, people = demo_world
    admin = UserFactory(username="admin", is_staff=True)
    result = seed_organization(teams, people, random.Random(7))

    assert result.skills == Skill.objects.count() >= 12
    assert set(Skill.objects.values_list("category", flat=True)) == set(SkillCategory.values)
    assert result.roles == JobRole.objects.count() == 2 * len(teams) + 2
    assert JobRole.objects.filter(team__isnull=True, status=RoleStatus.PLANNED).count() == 2
    assert JobRole.objects.filter(status=RoleStatus.CURRENT).count() == len(teams)
    assert not JobRole.objects.filter(requirements__isnull=True).exists()
    assert result.levels == SkillLevel.objects.count() > 0
    assert SkillLevel.objects.filter(proposed_level__isnull=False).count() == result.pending
    # confirmed by a manager of one of the person's teams, never by themselves; a manager
    # alone in their team by an administrator
    for level in SkillLevel.objects.select_related("confirmed_by"):
        assert level.confirmed_by_id != level.user_id
        assert (
            level.confirmed_by.is_staff
            or Membership.objects.filter(
                user=level.confirmed_by, role=Role.MANAGER, team__memberships__user=level.user
            ).exists()
        )
    assert SkillLevel.objects.filter(confirmed_by=admin).exists()
    assert result.plans == LearningPlan.objects.count() > 0
    assert LevelChange.objects.filter(kind=LevelChangeKind.CONFIRMED).count() == result.levels
    # and the gap view has something to show
    gap = team_gap(teams[0])
    assert len(gap.rows) == 3 and gap.skills and gap.members


def test_seed_organization_twice_adds_nothing(demo_world):
    teams, people = demo_world
    seed_organization(teams, people, random.Random(7))
    counts = [m.objects.count() for m in (Skill, JobRole, SkillLevel, LearningPlan, LevelChange)]
    again = seed_organization(teams, people, random.Random(8))
    assert (again.skills, again.roles, again.levels, again.plans) == (0, 0, 0, 0)
    assert [
        m.objects.count() for m in (Skill, JobRole, SkillLevel, LearningPlan, LevelChange)
    ] == counts


def test_seed_organization_is_reproducible_and_only_for_the_given_people(demo_world):
    teams, people = demo_world
    left_out = people[-1]
    seed_organization(teams, [p.pk for p in people[:-1]], random.Random(3))
    assert not SkillLevel.objects.filter(user=left_out).exists()
    first = sorted(SkillLevel.objects.values_list("user_id", "skill__name", "level"))
    SkillLevel.objects.all().delete()
    LearningPlan.objects.all().delete()
    seed_organization(teams, people[:-1], random.Random(3))
    assert sorted(SkillLevel.objects.values_list("user_id", "skill__name", "level")) == first


def test_seed_organization_makes_no_query_per_person():
    team = TeamFactory(name="Large")
    people = [UserFactory(username=f"p{i}") for i in range(60)]
    for i, user in enumerate(people):
        MembershipFactory(user=user, team=team, role=Role.MANAGER if i == 0 else Role.MEMBER)
    with CaptureQueriesContext(connection) as queries:
        result = seed_organization([team], people, random.Random(1))
    assert result.levels > 300
    assert len(queries) < 30


def test_seed_organization_takes_ids_and_everyone_by_default(demo_world):
    teams, people = demo_world
    result = seed_organization([t.pk for t in teams], None, random.Random(2))
    assert set(SkillLevel.objects.values_list("user_id", flat=True)) <= {p.pk for p in people}
    assert result.levels == SkillLevel.objects.count() > 0
    assert SkillLevel.objects.values("user_id").distinct().count() == len(people)


def test_confirming_what_someone_else_just_confirmed_says_so(client, member, manager, team):
    proposal = services.propose_level(member, SkillFactory(name="Python"), 2)
    services.confirm_level(proposal, by=manager, level=2, expected_version=proposal.version)
    client.force_login(manager)
    url = reverse("organization:level_confirm", args=[team.pk, proposal.pk])
    response = client.post(
        url, {"level": 3, "version": proposal.version}, headers={"HX-Request": "true"}
    )
    page = response.content.decode()
    assert 'class="message error"' in page
    assert "already confirmed meanwhile" in page
    assert SkillLevel.objects.get(pk=proposal.pk).level == 2
