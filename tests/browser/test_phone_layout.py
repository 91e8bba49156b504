"""Every page people use fits a phone (390 px) and a laptop (1280 px) in both languages:
nothing scrolls sideways (wide tables scroll inside their card), and on a phone the
top bar's links fold into a menu that opens, closes with Escape, and stays dark."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from opsmaturity.maturity.models import Flag, FlagKind, Snapshot
from opsmaturity.operations.phases import Phase
from opsmaturity.teams.models import Role
from tests.browser.conftest import sign_in, signed_in
from tests.operations.factories import OperationFactory
from tests.organization.factories import SkillFactory, SkillLevelFactory, role_needing
from tests.teams.factories import PASSWORD, MembershipFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = [
    "/dashboard/",
    "/ops/?scope=all",
    "/ops/{op}/",
    "/ops/{op}/edit/",
    "/ops/{op}/move/",
    "/ops/new/",
    "/team-plan/",
    "/team-plan/teams/{team}/",
    "/teams/",
    "/teams/{team}/",
    "/account/",
    "/accounts/password/change/",
]


@pytest.fixture
def world():
    """Long names, long links, Japanese text, many columns: what widens a page."""
    team = TeamFactory(name="カスタマーサポート・アカウント管理部門")
    manager = UserFactory(
        username="mika", first_name="Mika", last_name="Morita-Vandenberghe", is_staff=True
    )
    MembershipFactory(user=manager, team=team, role=Role.MANAGER)
    op = OperationFactory(
        name="請求書の照合と差異の確認（月末締め処理を含む）",
        team=team,
        owner=manager,
        phase=Phase.LAUNCH,
        purpose="本人確認を二営業日以内に完了し、監査で指摘を受けないようにする" * 3,
        runbook_url="https://wiki.example.com/ops/customer-support/very/long/path/" + "x" * 80,
        monthly_cost=Decimal("1250000"),
        monthly_value=Decimal("900000"),
    )
    Flag.objects.create(operation=op, kind=FlagKind.STALLED)
    Flag.objects.create(operation=op, kind=FlagKind.UNJUSTIFIED)
    for n in range(6):
        OperationFactory(name=f"Operation number {n} with a long name", team=team, owner=manager)
    skills = [SkillFactory(name=f"Skill with a long name {n}") for n in range(10)]
    role_needing(team, {s: 3 for s in skills}, name="Automation engineer of the future")
    SkillLevelFactory(user=manager, skill=skills[0], level=2)
    for weeks in (2, 1):
        Snapshot.objects.create(
            date=timezone.localdate() - dt.timedelta(weeks=weeks),
            team=team,
            phase=Phase.LAUNCH,
            count=7,
            monthly_cost=Decimal("1250000"),
        )
    return {"op": op.pk, "team": team.pk}


def overflow(page):
    """How far the page is wider than the window, in px (0 when it fits)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("width", [390, 1280])
def test_no_page_scrolls_sideways(browser, live_server, world, lang, width):
    context, page = signed_in(browser, live_server, width, lang, height=800)
    wide = {}
    for path in PAGES:
        response = page.goto(live_server.url + path.format(**world))
        assert response.status == 200, path
        assert page.locator("html").get_attribute("lang") == lang
        if overflow(page) > 0:
            wide[path] = overflow(page)
    context.close()
    assert wide == {}


def test_on_a_phone_the_nav_is_a_menu(browser, live_server, world):
    context = browser.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    sign_in(page, live_server, "mika", PASSWORD)
    page.goto(live_server.url + "/ops/?scope=all")
    menu = page.get_by_role("button", name="Menu")
    nav = page.get_by_role("navigation", name="Main")
    sign_out = page.get_by_role("button", name="Sign out")
    assert menu.get_attribute("aria-expanded") == "false"
    assert not nav.is_visible() and not sign_out.is_visible()

    menu.click()
    assert menu.get_attribute("aria-expanded") == "true"
    assert nav.get_by_role("link", name="Dashboard").is_visible()
    # the opened menu stays inside the dark bar: its links are white on the bar's colour
    bar = page.locator("header.topbar").bounding_box()
    link = nav.get_by_role("link", name="Team plan").bounding_box()
    assert bar["y"] <= link["y"] and link["y"] + link["height"] <= bar["y"] + bar["height"]
    assert sign_out.is_visible()

    page.keyboard.press("Escape")
    assert menu.get_attribute("aria-expanded") == "false"
    assert not nav.is_visible()
    context.close()


def test_on_a_laptop_the_links_are_in_the_bar(page, live_server, world):
    sign_in(page, live_server, "mika", PASSWORD)
    page.goto(live_server.url + "/dashboard/")
    assert not page.get_by_role("button", name="Menu").is_visible()
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Operations").is_visible()
    assert page.get_by_role("button", name="Sign out").is_visible()


def test_without_javascript_the_phone_nav_stays_open(browser, live_server, world):
    context = browser.new_context(viewport={"width": 390, "height": 800}, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live_server, "mika", PASSWORD)
    page.goto(live_server.url + "/dashboard/")
    assert not page.get_by_role("button", name="Menu").is_visible()
    assert page.get_by_role("navigation", name="Main").get_by_role("link", name="Team plan")
    assert page.get_by_role("link", name="Team plan").is_visible()
    context.close()
