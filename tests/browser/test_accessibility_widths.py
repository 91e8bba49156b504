"""axe finds nothing serious or critical on the pages of the phone and laptop check
(dashboard with its charts, list, detail, create form, move page, team plan), at 390 px
and 1280 px, in English and Japanese."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from opsmaturity.maturity.models import Flag, FlagKind, Snapshot
from opsmaturity.operations.phases import ORDER, Phase
from opsmaturity.teams.models import Role
from tests.browser.conftest import signed_in
from tests.browser.test_accessibility import AXE, violations
from tests.operations.factories import OperationFactory
from tests.organization.factories import SkillFactory, SkillLevelFactory, role_needing
from tests.teams.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not AXE.exists(), reason="needs axe-core: `make test` installs it with npm"),
]

PAGES = [
    "/dashboard/",
    "/ops/",
    "/ops/{op}/",
    "/ops/new/",
    "/ops/{op}/move/",
    "/team-plan/teams/{team}/",
]


@pytest.fixture
def world():
    team = TeamFactory(name="カスタマーサポート")
    manager = UserFactory(username="mika", first_name="Mika", last_name="Sato")
    MembershipFactory(user=manager, team=team, role=Role.MANAGER)
    op = OperationFactory(
        name="本人確認",
        team=team,
        owner=manager,
        phase=Phase.LAUNCH,
        purpose="本人確認を二営業日以内に完了し、監査で指摘を受けないようにする",
        monthly_cost=Decimal("1250000"),
    )
    Flag.objects.create(operation=op, kind=FlagKind.STALLED)
    for i, phase in enumerate(ORDER):
        for n in range(i + 1):
            OperationFactory(name=f"{phase} {n}", team=team, owner=manager, phase=phase)
    for weeks in (3, 2, 1):
        for i, phase in enumerate(ORDER):
            Snapshot.objects.create(
                date=timezone.localdate() - dt.timedelta(weeks=weeks),
                team=team,
                phase=phase,
                count=i + weeks,
            )
    skills = [SkillFactory(name=f"Skill {n}") for n in range(4)]
    role_needing(team, {s: 3 for s in skills}, name="Automation engineer")
    SkillLevelFactory(user=manager, skill=skills[0], level=2)
    return {"op": op.pk, "team": team.pk}


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("width", [390, 1280])
def test_no_serious_violations_at_either_width(browser, live_server, world, lang, width):
    context, page = signed_in(browser, live_server, width, lang)
    found = {}
    for path in PAGES:
        page.goto(live_server.url + path.format(**world))
        if problems := violations(page):
            found[path] = problems
    context.close()
    assert found == {}
