"""No serious or critical accessibility violations on the pages people use most (axe-core)."""

from pathlib import Path

import pytest

from opsmaturity.campaigns import futures
from opsmaturity.maturity.models import Flag, FlagKind
from opsmaturity.operations.phases import Phase
from opsmaturity.operations.services import move_phase
from opsmaturity.teams.models import Role
from tests.browser.conftest import inject_axe, sign_in
from tests.campaigns.factories import start_campaign
from tests.operations.factories import OperationFactory
from tests.teams.factories import PASSWORD, MembershipFactory, TeamFactory, UserFactory

AXE = (
    Path(__file__).resolve().parents[2] / "var" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not AXE.exists(), reason="needs axe-core: `make test` installs it with npm"),
]


@pytest.fixture
def data():
    team = TeamFactory(name="Customer Support")
    manager = UserFactory(username="mika", first_name="Mika", last_name="Sato")
    MembershipFactory(user=manager, team=team, role=Role.MANAGER)
    op = OperationFactory(
        name="KYC checks",
        team=team,
        owner=manager,
        phase=Phase.LAUNCH,
        purpose="本人確認を二営業日以内に完了する",
    )
    Flag.objects.create(operation=op, kind=FlagKind.STALLED)
    other = OperationFactory(name="Refunds", team=team, owner=manager, phase=Phase.STANDARDIZE)
    move_phase(other, Phase.AUTOMATE, by=manager, note="Refund API")
    campaign = start_campaign(manager, [team], name="Standardize every launch by May")
    futures.propose(team, by=manager, kind="goal", horizon_years=3, title="Self-service refunds")
    return {"op": op, "campaign": campaign, "team": team}


def violations(page):
    inject_axe(page, AXE)
    found = page.evaluate("async () => (await axe.run()).violations")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard/",
        "/ops/?scope=all",
        "/ops/{op}/",
        "/ops/{op}/edit/",
        "/ops/{op}/move/",
        "/ops/new/",
        "/account/",
        "/accounts/password/change/",
        "/campaigns/",
        "/campaigns/new/",
        "/campaigns/{campaign}/",
        "/campaigns/future/{team}/",
    ],
)
def test_page_has_no_serious_violations(page, live_server, data, path):
    sign_in(page, live_server, "mika", PASSWORD)
    ids = {"op": data["op"].pk, "campaign": data["campaign"].pk, "team": data["team"].pk}
    page.goto(live_server.url + path.format(**ids))
    assert violations(page) == []


@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/password/reset/"])
def test_sign_in_page(page, live_server, path):
    page.goto(live_server.url + path)
    assert violations(page) == []
