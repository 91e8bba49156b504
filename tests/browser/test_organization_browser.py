"""A manager reads the team's skills gap and confirms a level, in a real browser."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from opsmaturity.operations.phases import Phase
from opsmaturity.organization import services
from opsmaturity.organization.models import (
    Horizon,
    JobRole,
    LearningPlan,
    RequiredSkill,
    RoleStatus,
    Skill,
    SkillCategory,
    SkillLevel,
)
from opsmaturity.teams.models import Role
from tests.browser.conftest import inject_axe, sign_in
from tests.operations.factories import OperationFactory
from tests.teams.factories import PASSWORD, MembershipFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def billing():
    team = TeamFactory(name="Billing")
    manager = UserFactory(username="mika", first_name="Mika", last_name="Morita")
    MembershipFactory(user=manager, team=team, role=Role.MANAGER)
    ann = UserFactory(username="ann", first_name="Ann", last_name="Sato")
    ken = UserFactory(username="ken", first_name="Ken", last_name="Ito")
    for person in (ann, ken):
        MembershipFactory(user=person, team=team)

    skills = {
        name: Skill.objects.create(name=name, category=category)
        for name, category in [
            ("Written workflows", SkillCategory.OPERATIONS),
            ("Exception handling", SkillCategory.OPERATIONS),
            ("Python scripting", SkillCategory.AUTOMATION),
            ("No-code workflow tools", SkillCategory.AUTOMATION),
            ("SQL", SkillCategory.DATA),
            ("Business case and cost", SkillCategory.MANAGEMENT),
        ]
    }
    promoter = JobRole.objects.create(
        name="Automation promoter", team=team, horizon_years=Horizon.ONE_YEAR
    )
    planner = JobRole.objects.create(
        name="Growth planner", team=None, horizon_years=Horizon.THREE_YEARS
    )
    JobRole.objects.create(
        name="Operator", team=team, status=RoleStatus.CURRENT, horizon_years=None
    )
    for role, needs in [
        (promoter, {"Python scripting": 3, "No-code workflow tools": 2, "Written workflows": 3}),
        (planner, {"Business case and cost": 3, "SQL": 3, "Exception handling": 2}),
    ]:
        for name, level in needs.items():
            RequiredSkill.objects.create(role=role, skill=skills[name], level=level)

    def confirmed(person, name, level):
        SkillLevel.objects.create(
            user=person, skill=skills[name], level=level, confirmed_by=manager
        )

    confirmed(ann, "Python scripting", 2)
    confirmed(ann, "Written workflows", 3)
    confirmed(ken, "SQL", 3)
    confirmed(ken, "Exception handling", 4)
    confirmed(ken, "No-code workflow tools", 1)
    services.propose_level(ann, skills["Python scripting"], 3, note="Automated the refund export")
    LearningPlan.objects.create(
        user=ken,
        skill=skills["Business case and cost"],
        goal_level=3,
        target_date="2099-03-31",
        note="Finance course",
    )
    for phase in [Phase.AUTOMATE] * 4 + [Phase.COST_OPTIMIZE] * 2 + [Phase.LAUNCH]:
        OperationFactory(team=team, owner=ann, phase=phase)
    return {"team": team, "skills": skills, "promoter": promoter, "ann": ann}


def test_manager_reads_the_gap_and_confirms_a_proposed_level(
    page, live_server, billing, screenshot
):
    sign_in(page, live_server, "mika", PASSWORD)
    page.get_by_role("link", name="Team plan").click()
    page.get_by_role("link", name="Billing").click()
    expect(page.get_by_role("heading", name="Billing: the team the roadmap needs")).to_be_visible()

    capacity = page.locator(".capacity")
    expect(capacity).to_contain_text("6 operations in automation, 0 people who can carry them")
    expect(capacity).to_contain_text("Nobody in the team")

    python = billing["skills"]["Python scripting"]
    cell = page.locator(
        f'#gap-table td[data-role="{billing["promoter"].pk}"][data-skill="{python.pk}"]'
    )
    expect(cell).to_have_class("gap-cell short")
    expect(cell).to_contain_text("2/3")
    expect(cell).to_contain_text("↑3")  # proposed, not counted yet
    expect(page.locator("#gap-table td.gap-cell.met")).to_have_count(3)
    expect(page.locator("#gap-table td.gap-cell.far")).to_have_count(1)
    expect(page.get_by_role("row", name="Operator")).to_have_count(0)  # exists today: not a row
    expect(page.locator(".plans")).to_contain_text("Business case and cost → 3")
    screenshot(page, "organization-gap")

    pending = page.locator("#pending-h + .pending-list")
    expect(pending).to_contain_text("Ann Sato")
    page.get_by_label("Level of Ann Sato in Python scripting").select_option("3")
    page.get_by_role("button", name="Confirm").click()

    expect(page.locator("#gap-body .message.success")).to_contain_text(
        "Confirmed: Ann Sato, Python scripting at level 3."
    )
    expect(cell).to_have_class("gap-cell met")
    expect(cell).to_contain_text("3/3")
    expect(capacity).to_contain_text("6 operations in automation, 1 person who can carry them")
    expect(page.locator(".pending-list")).to_have_count(0)
    level = SkillLevel.objects.get(user=billing["ann"], skill=python)
    assert (level.level, level.proposed_level, level.confirmed_by.username) == (3, None, "mika")
    screenshot(page, "organization-gap-confirmed")


def test_member_proposes_a_level_and_is_told_of_a_bad_one(page, live_server, billing):
    sign_in(page, live_server, "ann", PASSWORD)
    page.goto(f"{live_server.url}/team-plan/me/")
    page.get_by_label("Skill").select_option(label="SQL (Data)")
    # The select offers only 0–4; a crafted value is refused at the field anyway.
    page.locator("#id_level").evaluate("el => { el.options[0].value = '9'; el.value = '9'; }")
    page.get_by_role("button", name="Propose").click()
    expect(page.locator("#row-level .error")).to_contain_text("Choose a level from 0 (none) to 4")
    page.get_by_label("Your level").select_option("2")
    page.get_by_role("button", name="Propose").click()
    expect(page.locator(".messages")).to_contain_text("Proposed: SQL at level 2.")
    assert SkillLevel.objects.get(user=billing["ann"], skill__name="SQL").proposed_level == 2


def settled(page):
    """Wait until htmx has swapped and settled the last response, so the new controls listen."""
    expect(
        page.locator(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added")
    ).to_have_count(0)


def test_manager_plans_a_role_and_requires_skills(page, live_server, billing, screenshot):
    sign_in(page, live_server, "mika", PASSWORD)
    page.goto(f"{live_server.url}/team-plan/teams/{billing['team'].pk}/")
    page.get_by_role("link", name="Add a role").click()
    page.get_by_label("Name").fill("Workflow designer")
    page.get_by_label("Status").select_option("planned")
    page.get_by_role("button", name="Add the role").click()
    expect(page.locator("#row-horizon_years .error")).to_contain_text("needs a horizon")
    page.get_by_label("Horizon").select_option("3")
    page.get_by_role("button", name="Add the role").click()
    expect(page.get_by_role("heading", name="Workflow designer")).to_be_visible()

    requirements = page.locator("#requirements")
    page.get_by_role("combobox", name="Skill").select_option(label="Written workflows (Operations)")
    page.get_by_role("combobox", name="Required level", exact=True).select_option("4")
    page.get_by_role("button", name="Require it").click()
    expect(requirements).to_contain_text("Written workflows at level 4.")
    settled(page)
    page.get_by_role("combobox", name="Skill").select_option(label="SQL (Data)")
    page.get_by_role("combobox", name="Required level", exact=True).select_option("2")
    page.get_by_role("button", name="Require it").click()
    expect(requirements.locator("tbody tr")).to_have_count(2)
    settled(page)
    # change a level in place
    page.get_by_label("Required level in Written workflows").select_option("3")
    expect(requirements).to_contain_text("Written workflows at level 3.")
    screenshot(page, "organization-role")
    role = JobRole.objects.get(name="Workflow designer")
    assert dict(role.requirements.values_list("skill__name", "level")) == {
        "Written workflows": 3,
        "SQL": 2,
    }

    page.get_by_role("link", name="Billing").click()
    row = page.get_by_role("row", name="Workflow designer")
    expect(row.locator("td.gap-cell.met")).to_have_count(2)


AXE = (
    Path(__file__).resolve().parents[2] / "var" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
)


@pytest.mark.skipif(not AXE.exists(), reason="needs axe-core: `make test` installs it with npm")
def test_team_plan_pages_have_no_serious_accessibility_violations(page, live_server, billing):
    sign_in(page, live_server, "mika", PASSWORD)
    team, role = billing["team"], billing["promoter"]
    for path in [
        "/team-plan/",
        f"/team-plan/teams/{team.pk}/",
        "/team-plan/me/",
        "/team-plan/skills/",
        "/team-plan/roles/",
        f"/team-plan/roles/{role.pk}/",
        f"/team-plan/plans/new/?team={team.pk}",
    ]:
        page.goto(live_server.url + path)
        inject_axe(page, AXE)
        found = page.evaluate("async () => (await axe.run()).violations")
        serious = [
            f"{v['id']}: {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in found
            if v["impact"] in ("serious", "critical")
        ]
        assert serious == [], path
