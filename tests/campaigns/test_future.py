"""Plan the future with the team: goals, roles, the campaigns and plans that serve them."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from opsmaturity.campaigns import futures
from opsmaturity.campaigns.models import FutureGoal, FutureNote, NoteKind, ProposalStatus
from opsmaturity.organization.models import RoleStatus
from opsmaturity.teams.models import Role
from tests.campaigns.factories import start_campaign
from tests.operations.factories import OperationFactory
from tests.organization.factories import LearningPlanFactory, SkillFactory, role_needing
from tests.permission_table import ALLOWED, DENIED, LOGIN, REFUSED, assert_outcome, cases
from tests.teams.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def propose(team, by, **kwargs):
    fields = {"kind": "goal", "horizon_years": 3, "title": "Self-service refunds", **kwargs}
    return futures.propose(team, by=by, **fields)


def test_a_member_proposes_the_team_argues_a_manager_decides(manager, member, team):
    goal = propose(team, member, direction="Customers serve themselves", contribution="Refunds")
    assert goal.status == ProposalStatus.PROPOSED
    futures.comment(goal, by=manager, text="What about chargebacks?")
    futures.comment(goal, by=member, text="Those too, in year 3.")
    with pytest.raises(ValidationError):
        futures.decide(goal, by=manager, accept=True, reason="  ")
    goal = futures.decide(goal, by=manager, accept=True, reason="It is where the company goes")
    assert goal.status == ProposalStatus.ACCEPTED
    goal = futures.decide(goal, by=manager, accept=False, reason="Budget moved to year 5")
    assert goal.status == ProposalStatus.DECLINED and goal.decision_reason.startswith("Budget")
    kinds = list(FutureNote.objects.filter(goal=goal).values_list("kind", flat=True))
    assert kinds == [NoteKind.COMMENT, NoteKind.COMMENT, NoteKind.ACCEPTED, NoteKind.DECLINED]
    with pytest.raises(ValueError):
        FutureNote.objects.first().delete()


def test_a_goal_links_roles_campaigns_and_the_learning_plans_that_serve_it(
    client, manager, member, team
):
    python = SkillFactory(name="Python")
    role = role_needing(team, {python: 3}, name="Automation promoter")
    assert role.status == RoleStatus.PLANNED
    LearningPlanFactory(user=member, skill=python, goal_level=3)
    LearningPlanFactory(user=UserFactory(username="elsewhere"), skill=python, goal_level=3)
    OperationFactory(team=team)
    campaign = start_campaign(manager, [team], name="Standardize Billing")
    propose(team, manager, roles=[role], campaigns=[campaign])
    page = futures.plan_page(team)
    goal = page["horizons"][1]["proposed"][0]
    assert [p.user for p in goal.learning_plans] == [member]
    client.force_login(member)
    html = client.get(reverse("campaigns:future", args=[team.pk])).content.decode()
    assert "Automation promoter" in html and "Standardize Billing" in html and "Python" in html
    assert "argue it out together" in html


def test_another_teams_role_or_campaign_is_refused(manager, outsider, team):
    other = outsider.memberships.get().team
    foreign_role = role_needing(other, {}, name="Risk analyst")
    with pytest.raises(ValidationError):
        propose(team, manager, roles=[foreign_role])
    OperationFactory(team=other)
    foreign = start_campaign(outsider, [other])
    with pytest.raises(ValidationError):
        propose(team, manager, campaigns=[foreign])
    assert not FutureGoal.objects.exists()


def test_the_page_takes_the_same_queries_at_any_size(client, manager, member, team):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(manager)
    url = reverse("campaigns:future", args=[team.pk])

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    skill = SkillFactory(name="SQL")
    role = role_needing(team, {skill: 2}, name="Data steward")
    goal = propose(team, member, roles=[role])
    futures.comment(goal, by=manager, text="Yes")
    first = count()
    for i in range(5):
        g = propose(team, member, title=f"Goal {i}", horizon_years=[1, 3, 5][i % 3], roles=[role])
        futures.comment(g, by=member, text="Why not")
        futures.decide(g, by=manager, accept=i % 2 == 0, reason="Agreed in the meeting")
    assert count() == first


# --- who may do what ------------------------------------------------------------------


@pytest.fixture
def world():
    team = TeamFactory(name="Support")
    users = {
        "outsider": UserFactory(username="o"),
        "member": UserFactory(username="m"),
        "manager": UserFactory(username="boss"),
        "staff": UserFactory(username="root", is_staff=True),
    }
    MembershipFactory(user=users["outsider"], team=TeamFactory(name="Risk"), role=Role.MANAGER)
    MembershipFactory(user=users["member"], team=team, role=Role.MEMBER)
    MembershipFactory(user=users["manager"], team=team, role=Role.MANAGER)
    goal = propose(team, users["member"], title="Existing")
    return {"team": team, "users": users, "goal": goal}


def propose_action(world):
    data = {"kind": "role", "horizon_years": "5", "title": "Growth planner"}
    url = reverse("campaigns:future_propose", args=[world["team"].pk])
    return url, data, lambda: FutureGoal.objects.filter(title="Growth planner").exists()


def propose_nothing(world):
    url = reverse("campaigns:future_propose", args=[world["team"].pk])
    return url, {"kind": "goal", "horizon_years": "4", "title": ""}, lambda: False


def comment_action(world):
    url = reverse("campaigns:future_comment", args=[world["goal"].pk])
    return url, {"text": "Agreed"}, lambda: FutureNote.objects.filter(text="Agreed").exists()


def decide_action(world):
    goal = world["goal"]

    def happened():
        goal.refresh_from_db()
        return goal.status == ProposalStatus.DECLINED

    url = reverse("campaigns:future_decide", args=[goal.pk])
    return url, {"decision": "decline", "reason": "Not this year"}, happened


def decide_without_reason(world):
    url = reverse("campaigns:future_decide", args=[world["goal"].pk])
    return url, {"decision": "accept", "reason": ""}, lambda: FutureNote.objects.exists()


TABLE = {
    # anonymous, outsider (manages another team), member, manager, staff
    propose_action: [LOGIN, DENIED, ALLOWED, ALLOWED, ALLOWED],
    propose_nothing: [LOGIN, DENIED, REFUSED, REFUSED, REFUSED],
    comment_action: [LOGIN, DENIED, ALLOWED, ALLOWED, ALLOWED],
    decide_action: [LOGIN, DENIED, DENIED, ALLOWED, ALLOWED],
    decide_without_reason: [LOGIN, DENIED, DENIED, REFUSED, REFUSED],
}


@pytest.mark.parametrize(("action", "role", "expected"), cases(TABLE))
def test_permissions(client, world, action, role, expected):
    assert_outcome(client, world, action, role, expected)


def test_everyone_signed_in_reads_and_a_missing_team_is_404(client, world):
    client.force_login(world["users"]["outsider"])
    url = reverse("campaigns:future", args=[world["team"].pk])
    page = client.get(url).content.decode()
    assert "Existing" in page and "Propose it" not in page
    assert client.get(reverse("campaigns:future", args=[999999])).status_code == 404
    assert client.post(reverse("campaigns:future_comment", args=[999999])).status_code == 404
