"""The gap between a team's members and its planned roles: right numbers, constant queries."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from opsmaturity.operations.phases import Phase
from opsmaturity.organization.gap import (
    FAR,
    MET,
    OPERATIONS_PER_CARRIER,
    SHORT,
    AutomationCapacity,
    gap_status,
    team_gap,
)
from opsmaturity.organization.models import (
    Horizon,
    PlanStatus,
    RoleStatus,
    SkillCategory,
    SkillLevel,
)
from opsmaturity.teams.models import Role
from tests.operations.factories import OperationFactory
from tests.organization.factories import (
    JobRoleFactory,
    LearningPlanFactory,
    SkillFactory,
    SkillLevelFactory,
    role_needing,
)
from tests.teams.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def member(team, username, role=Role.MEMBER, **levels):
    user = UserFactory(username=username, first_name=username.title(), last_name="Test")
    MembershipFactory(user=user, team=team, role=role)
    for skill, level in levels.items():
        SkillLevelFactory(user=user, skill=skill, level=level)
    return user


def cell(gap, role, skill):
    row = next(r for r in gap.rows if r.role == role)
    return next(c for c in row.cells if c.skill == skill)


def test_status_of_a_cell():
    assert gap_status(3, 3) == MET
    assert gap_status(3, 4) == MET
    assert gap_status(3, 2) == SHORT
    assert gap_status(3, 1) == FAR
    assert gap_status(4, 0) == FAR


def test_a_cell_shows_the_best_confirmed_level_among_the_members(team):
    python, sql = SkillFactory(name="Python"), SkillFactory(name="SQL")
    role = role_needing(team, {python: 3, sql: 4})
    ann = member(team, "ann")
    SkillLevelFactory(user=ann, skill=python, level=1)
    SkillLevelFactory(user=ann, skill=sql, level=2)
    bob = member(team, "bob")
    SkillLevelFactory(user=bob, skill=python, level=3)

    gap = team_gap(team)
    assert [s.name for s in gap.skills] == ["Python", "SQL"]
    python_cell = cell(gap, role, python)
    assert (python_cell.required, python_cell.best, python_cell.status) == (3, 3, MET)
    assert python_cell.holders == ["Bob Test"]
    sql_cell = cell(gap, role, sql)
    assert (sql_cell.required, sql_cell.best, sql_cell.gap, sql_cell.status) == (4, 2, 2, FAR)
    assert gap.counts == {MET: 1, SHORT: 0, FAR: 1}


def test_only_confirmed_levels_count(team):
    python = SkillFactory(name="Python")
    role = role_needing(team, {python: 3})
    ann = member(team, "ann")
    SkillLevelFactory(user=ann, skill=python, level=2)
    # Bob proposed 4; nobody confirmed it yet.
    bob = member(team, "bob")
    SkillLevel.objects.create(user=bob, skill=python, proposed_level=4)

    python_cell = cell(team_gap(team), role, python)
    assert python_cell.best == 2
    assert python_cell.status == SHORT
    assert python_cell.proposed == 4  # shown as a hint, not counted

    # Ann proposes 4 on top of her confirmed 2: still 2 until confirmed.
    SkillLevel.objects.filter(user=ann, skill=python).update(proposed_level=4)
    assert cell(team_gap(team), role, python).best == 2


def test_levels_of_people_outside_the_team_do_not_count(team):
    python = SkillFactory(name="Python")
    role = role_needing(team, {python: 3})
    member(team, "ann")
    outsider = member(TeamFactory(name="Risk"), "olga")
    SkillLevelFactory(user=outsider, skill=python, level=4)
    python_cell = cell(team_gap(team), role, python)
    assert python_cell.best == 0
    assert python_cell.status == FAR


def test_rows_are_the_planned_roles_of_the_team_and_of_the_organisation(team):
    python = SkillFactory(name="Python")
    mine = role_needing(team, {python: 2}, name="Automation promoter")
    org_wide = role_needing(
        None, {python: 1}, name="Growth planner", horizon_years=Horizon.FIVE_YEARS
    )
    role_needing(team, {python: 4}, name="Operator", status=RoleStatus.CURRENT, horizon_years=None)
    role_needing(TeamFactory(name="Risk"), {python: 4}, name="Risk analyst")
    empty = JobRoleFactory(team=team, name="Workflow designer", horizon_years=Horizon.THREE_YEARS)

    gap = team_gap(team)
    assert [row.role for row in gap.rows] == [mine, empty, org_wide]  # by horizon, then name
    assert gap.fit_roles == [mine, org_wide]
    assert next(r for r in gap.rows if r.role == empty).required_count == 0


def test_each_member_is_shown_the_planned_role_they_are_closest_to(team):
    python, sql, cost = (
        SkillFactory(name="Python", category=SkillCategory.AUTOMATION),
        SkillFactory(name="SQL", category=SkillCategory.DATA),
        SkillFactory(name="Business case", category=SkillCategory.MANAGEMENT),
    )
    promoter = role_needing(team, {python: 3, sql: 2}, name="Automation promoter")
    planner = role_needing(team, {cost: 3, sql: 3}, name="Growth planner")
    ann = member(team, "ann")
    SkillLevelFactory(user=ann, skill=python, level=3)
    SkillLevelFactory(user=ann, skill=sql, level=1)
    bob = member(team, "bob")
    SkillLevelFactory(user=bob, skill=cost, level=2)
    SkillLevelFactory(user=bob, skill=sql, level=3)
    SkillLevel.objects.create(user=bob, skill=python, proposed_level=4)  # not counted

    fits = {m.user: m for m in team_gap(team).members}
    ann_fit = {f.role: f for f in fits[ann].fits}
    assert ann_fit[promoter].total_gap == 1
    assert ann_fit[planner].total_gap == 3 + 2
    assert [f.role for f in fits[ann].closest] == [promoter]
    assert [(s.name, have, need) for s, have, need in ann_fit[promoter].missing] == [("SQL", 1, 2)]
    bob_fit = {f.role: f for f in fits[bob].fits}
    assert bob_fit[planner].total_gap == 1
    assert bob_fit[promoter].total_gap == 3
    assert [f.role for f in fits[bob].closest] == [planner]


def test_learning_plans_and_pending_proposals_of_the_team(team):
    python = SkillFactory(name="Python")
    ann = member(team, "ann")
    open_plan = LearningPlanFactory(user=ann, skill=python)
    done = LearningPlanFactory(user=ann, skill=SkillFactory(name="SQL"), status=PlanStatus.DONE)
    LearningPlanFactory(user=ann, skill=SkillFactory(name="RPA"), status=PlanStatus.DROPPED)
    LearningPlanFactory(user=member(TeamFactory(name="Risk"), "olga"), skill=python)
    pending = SkillLevel.objects.create(user=ann, skill=python, proposed_level=2)

    gap = team_gap(team)
    assert gap.plans == [open_plan, done]
    assert gap.pending == [pending]


def test_automation_capacity_counts_operations_and_confirmed_carriers(team):
    automation = SkillFactory(name="Python", category=SkillCategory.AUTOMATION)
    rpa = SkillFactory(name="RPA", category=SkillCategory.AUTOMATION)
    data = SkillFactory(name="SQL", category=SkillCategory.DATA)
    for phase in [Phase.AUTOMATE] * 3 + [Phase.COST_OPTIMIZE] * 2 + [Phase.LAUNCH, Phase.RETIRE]:
        OperationFactory(team=team, phase=phase)
    OperationFactory(team=TeamFactory(name="Risk"), phase=Phase.AUTOMATE)
    ann = member(team, "ann")
    SkillLevelFactory(user=ann, skill=automation, level=3)
    SkillLevelFactory(user=ann, skill=rpa, level=4)  # one person, counted once
    bob = member(team, "bob")
    SkillLevelFactory(user=bob, skill=automation, level=2)  # not yet able to carry
    carol = member(team, "carol")
    SkillLevelFactory(user=carol, skill=data, level=4)  # not an automation skill
    dan = member(team, "dan")
    SkillLevel.objects.create(user=dan, skill=automation, proposed_level=4)  # not confirmed
    SkillLevelFactory(user=member(TeamFactory(name="Risk"), "olga"), skill=automation, level=4)

    capacity = team_gap(team).capacity
    assert (capacity.automate, capacity.cost_optimize, capacity.carriers) == (3, 2, 1)
    assert capacity.headline == "5 operations in automation, 1 person who can carry them"
    assert capacity.tone == "good"


@pytest.mark.parametrize(
    ("automate", "carriers", "tone", "words"),
    [
        (0, 0, "good", "nothing to carry"),
        (12, 0, "bad", "Nobody in the team"),
        (12, 2, "warn", "About 6 each"),
        (4, 2, "good", "the team can carry"),
    ],
)
def test_the_verdict_in_plain_words(automate, carriers, tone, words):
    capacity = AutomationCapacity(automate=automate, cost_optimize=0, carriers=carriers)
    assert capacity.tone == tone
    assert words in str(capacity.verdict)
    if tone == "warn":
        assert automate > OPERATIONS_PER_CARRIER * carriers
    assert capacity.headline.startswith(f"{automate} operation")


def test_the_headline_reads_as_in_the_brief():
    capacity = AutomationCapacity(automate=9, cost_optimize=3, carriers=2)
    assert capacity.headline == "12 operations in automation, 2 people who can carry them"


def build(team, people, skills_count, roles_count):
    skills = [
        SkillFactory(name=f"{team.name} skill {i}", category=SkillCategory.AUTOMATION)
        for i in range(skills_count)
    ]
    for r in range(roles_count):
        role_needing(team, {s: 1 + (r + i) % 4 for i, s in enumerate(skills)})
    for p in range(people):
        user = member(team, f"{team.name.lower()}{p}")
        for i, skill in enumerate(skills):
            SkillLevelFactory(user=user, skill=skill, level=(p + i) % 5)
        SkillLevel.objects.filter(user=user, skill=skills[0]).update(proposed_level=4)
        LearningPlanFactory(user=user, skill=skills[-1])
        OperationFactory(team=team, owner=user, phase=Phase.AUTOMATE)


def count_queries(client, team):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("organization:team_gap", args=[team.pk]))
    assert response.status_code == 200
    return len(queries)


def test_the_gap_view_runs_the_same_number_of_queries_for_a_small_and_a_large_team(client):
    small, large = TeamFactory(name="Small"), TeamFactory(name="Large")
    build(small, people=2, skills_count=2, roles_count=1)
    build(large, people=12, skills_count=7, roles_count=4)
    viewer = UserFactory(username="boss")
    MembershipFactory(user=viewer, team=small, role=Role.MANAGER)
    MembershipFactory(user=viewer, team=large, role=Role.MANAGER)
    client.force_login(viewer)
    count_queries(client, small)  # warm up: content types, session
    assert count_queries(client, small) == count_queries(client, large)


def test_csv_export_has_the_same_numbers_as_the_page(client, team):
    python = SkillFactory(name="Python", category=SkillCategory.AUTOMATION)
    sql = SkillFactory(name="SQL", category=SkillCategory.DATA)
    role_needing(team, {python: 3, sql: 2}, name="Automation promoter")
    ann = member(team, "ann")
    SkillLevelFactory(user=ann, skill=python, level=2)
    SkillLevelFactory(user=ann, skill=sql, level=3)
    SkillLevel.objects.create(user=member(team, "bob"), skill=python, proposed_level=4)
    client.force_login(ann)

    response = client.get(reverse("organization:team_gap_csv", args=[team.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:9] == [
        "team",
        "role",
        "horizon (years)",
        "skill",
        "category",
        "required level",
        "best confirmed level",
        "gap",
        "status",
    ]
    assert rows[1:] == [
        ["Billing", "Automation promoter", "1", "Python", "Automation", "3", "2", "1",
         "one short", "Ann Test"],
        ["Billing", "Automation promoter", "1", "SQL", "Data", "2", "3", "0", "met", "Ann Test"],
    ]  # fmt: skip
    page = client.get(reverse("organization:team_gap", args=[team.pk]))
    cells = {
        (c.skill.name, c.required, c.best, c.status)
        for row in page.context["gap"].rows
        for c in row.cells
    }
    assert cells == {("Python", 3, 2, SHORT), ("SQL", 2, 3, MET)}


def test_csv_cells_cannot_run_as_spreadsheet_formulas(client, team):
    skill = SkillFactory(name="=HYPERLINK(1)")
    role_needing(team, {skill: 2}, name="@role")
    client.force_login(member(team, "ann"))
    body = client.get(reverse("organization:team_gap_csv", args=[team.pk])).content.decode()
    assert "'=HYPERLINK(1)" in body and "'@role" in body


def test_the_page_shows_colours_verdict_and_plans(client, team):
    python = SkillFactory(name="Python", category=SkillCategory.AUTOMATION)
    role_needing(team, {python: 3}, name="Automation promoter")
    ann = member(team, "ann")
    SkillLevelFactory(user=ann, skill=python, level=2)
    LearningPlanFactory(user=ann, skill=python, goal_level=3)
    OperationFactory(team=team, phase=Phase.AUTOMATE)
    client.force_login(ann)
    page = client.get(reverse("organization:team_gap", args=[team.pk])).content.decode()
    assert 'class="gap-cell short"' in page
    assert "1 operation in automation, 0 people who can carry them" in page
    assert "Nobody in the team" in page
    assert "Python → 3" in page


def test_an_empty_team_says_what_to_do(client, team):
    manager = member(team, "boss", role=Role.MANAGER)
    client.force_login(manager)
    page = client.get(reverse("organization:team_gap", args=[team.pk])).content.decode()
    assert "No planned role for this team yet" in page
    assert "Plan a role" in page


def test_a_missing_team_is_404(client):
    client.force_login(UserFactory())
    assert client.get(reverse("organization:team_gap", args=[98765])).status_code == 404
    assert client.get(reverse("organization:team_gap_csv", args=[98765])).status_code == 404
