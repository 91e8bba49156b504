"""A small installation with one of everything, and the pages a person opens in it.

Shared by the header tests (tests/core/test_csp.py) and the browser test that
checks the same pages under the policy (tests/browser/test_csp_browser.py).
"""

from opsmaturity.maturity.models import Flag, FlagKind
from opsmaturity.operations.phases import Phase
from opsmaturity.teams.models import Role
from tests.operations.factories import OperationFactory
from tests.organization.factories import (
    JobRoleFactory,
    LearningPlanFactory,
    SkillFactory,
    SkillLevelFactory,
)
from tests.teams.factories import MembershipFactory, TeamFactory, UserFactory


def build_site():
    staff = UserFactory(username="root", is_staff=True, is_superuser=True)
    manager = UserFactory(username="mika", first_name="Mika", last_name="Sato")
    member = UserFactory(username="ann", first_name="Ann", last_name="Ito")
    team = TeamFactory(name="Customer Support")
    MembershipFactory(user=manager, team=team, role=Role.MANAGER)
    MembershipFactory(user=member, team=team, role=Role.MEMBER)
    operation = OperationFactory.days_in_phase(
        70, name="KYC checks", team=team, owner=member, phase=Phase.LAUNCH
    )
    flag = Flag.objects.create(operation=operation, kind=FlagKind.STALLED)
    skill = SkillFactory(name="Written workflows")
    role = JobRoleFactory(name="Automation promoter", team=team)
    SkillLevelFactory(user=member, skill=skill, level=2)
    plan = LearningPlanFactory(user=member, skill=skill)
    return {
        "staff": staff,
        "manager": manager,
        "member": member,
        "team": team,
        "op": operation,
        "flag": flag,
        "skill": skill,
        "role": role,
        "plan": plan,
    }


def main_pages(site):
    """Every main page, as staff sees it: the app's and the admin's."""
    op, team = site["op"].pk, site["team"].pk
    return [
        "/dashboard/",
        "/ops/?scope=all",
        "/ops/new/",
        f"/ops/{op}/",
        f"/ops/{op}/edit/",
        f"/ops/{op}/move/",
        f"/ops/{op}/review/",
        f"/maturity/flags/{site['flag'].pk}/snooze/",
        "/team-plan/",
        f"/team-plan/teams/{team}/",
        "/team-plan/me/",
        "/team-plan/skills/",
        f"/team-plan/skills/{site['skill'].pk}/edit/",
        "/team-plan/roles/",
        "/team-plan/roles/new/",
        f"/team-plan/roles/{site['role'].pk}/",
        f"/team-plan/roles/{site['role'].pk}/edit/",
        f"/team-plan/plans/new/?team={team}",
        f"/team-plan/plans/{site['plan'].pk}/edit/",
        "/ops/import/",
        "/digests/preview/",
        "/digests/preferences/",
        "/api/tokens/",
        "/admin/",
        "/admin/operations/operation/",
        f"/admin/operations/operation/{op}/change/",
        "/admin/axes/accessattempt/",
        "/no-such-page/",
    ]
