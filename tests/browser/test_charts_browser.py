"""The charts as a person sees them at 390 px and 1280 px, in English and Japanese: text
at 12 px or more as rendered, no two texts meeting (measured on the page, with its real
fonts), and a week's figures shown on the keyboard's focus."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from opsmaturity.campaigns.models import CampaignProgress
from opsmaturity.maturity.models import Snapshot
from opsmaturity.operations.phases import ORDER, Phase
from opsmaturity.teams.models import Role
from tests.browser.conftest import SCREENSHOTS, sign_in, signed_in
from tests.campaigns.factories import start_campaign
from tests.operations.factories import OperationFactory
from tests.teams.factories import PASSWORD, MembershipFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Each visible chart's texts: their boxes on the page and their rendered font size.
MEASURE = """() => [...document.querySelectorAll('figure.chart svg')]
  .filter(svg => svg.getBoundingClientRect().width > 0)
  .map(svg => {
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    const texts = [...svg.querySelectorAll('text')]
      .filter(t => t.getBoundingClientRect().width > 0);
    return {
      chart: svg.getAttribute('class'),
      width: svg.getBoundingClientRect().width,
      figure: svg.parentElement.getBoundingClientRect().width,
      texts: texts.map(t => {
        const r = t.getBoundingClientRect();
        return {text: t.textContent, left: r.left, top: r.top, right: r.right, bottom: r.bottom,
                height: r.height, size: parseFloat(getComputedStyle(t).fontSize) * scale};
      }),
    };
  })"""


@pytest.fixture
def world():
    team = TeamFactory(name="カスタマーサポート")
    manager = UserFactory(username="mika", first_name="Mika", last_name="Sato")
    MembershipFactory(user=manager, team=team, role=Role.MANAGER)
    counts = {Phase.LAUNCH: 9, Phase.STANDARDIZE: 12, Phase.AUTOMATE: 11}
    for phase, n in counts.items():
        for i in range(n):
            OperationFactory(name=f"{phase} {i}", team=team, owner=manager, phase=phase)
    for phase in (Phase.COST_OPTIMIZE, Phase.RETIRE):
        OperationFactory(name=f"{phase}", team=team, owner=manager, phase=phase)
    today = timezone.localdate()
    for weeks in range(12, 0, -1):
        for i, phase in enumerate(ORDER):
            Snapshot.objects.create(
                date=today - dt.timedelta(weeks=weeks),
                team=team,
                phase=phase,
                count=(weeks * (i + 3)) % 13,
                monthly_cost=Decimal("1250000"),
            )
    campaign = start_campaign(manager, [team], name="Standardize every launch")
    CampaignProgress.objects.filter(campaign=campaign).delete()
    for day in range(20, 0, -1):
        CampaignProgress.objects.create(
            campaign=campaign, date=today - dt.timedelta(days=day), done=0, total=9
        )
    return {"campaign": campaign.pk}


def measured(page):
    charts = page.evaluate(MEASURE)
    assert charts
    for chart in charts:
        assert chart["width"] <= chart["figure"] + 0.5, chart["chart"]
        texts = chart["texts"]
        assert texts
        for t in texts:
            assert t["size"] >= 12 and t["height"] >= 12, (chart["chart"], t)
        for n, a in enumerate(texts):
            for b in texts[n + 1 :]:
                apart = (
                    a["right"] <= b["left"] + 0.5
                    or b["right"] <= a["left"] + 0.5
                    or a["bottom"] <= b["top"] + 0.5
                    or b["bottom"] <= a["top"] + 0.5
                )
                assert apart, (chart["chart"], a, b)
    return charts


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("width", [390, 1280])
def test_chart_text_is_readable_and_apart(browser, live_server, world, lang, width):
    context, page = signed_in(browser, live_server, width, lang)
    charts = measured(page)
    variant = "chart-v-s" if width == 390 else "chart-v-m"
    assert [c["chart"] for c in charts] == [f"chart-v {variant}"] * 2
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for n, figure in enumerate(page.locator("figure.chart").all()):
        figure.screenshot(path=str(SCREENSHOTS / f"chart-dashboard-{n}-{lang}-{width}.png"))
    page.goto(f"{live_server.url}/campaigns/{world['campaign']}/")
    charts = measured(page)
    variant = "chart-v-s" if width == 390 else "chart-v-l"
    assert [c["chart"] for c in charts] == [f"chart-v {variant}"]
    page.locator("figure.chart").screenshot(
        path=str(SCREENSHOTS / f"chart-burnup-{lang}-{width}.png")
    )
    context.close()


def test_a_weeks_figures_show_on_focus_and_tap(page, live_server, world):
    sign_in(page, live_server, "mika", PASSWORD)
    page.goto(f"{live_server.url}/dashboard/")
    bands = page.locator("figure.chart svg:visible .focus")
    assert bands.count() == 12  # the eleven weeks before this one, and today
    last = bands.last
    readout = last.locator(".readout")
    expect(readout).to_be_hidden()
    last.focus()
    expect(readout).to_be_visible()
    expect(readout).to_contain_text("Launch 9")
    name = last.get_attribute("aria-label")
    assert "Launch 9" in name and "Standardize 12" in name and "Automate 11" in name
    # the keyboard walks the weeks: Shift+Tab goes to the week before
    page.keyboard.press("Shift+Tab")
    expect(readout).to_be_hidden()
    expect(bands.nth(10).locator(".readout")).to_be_visible()
    # a tap (a click without a keyboard) shows them too
    page.locator("h1").click()
    bands.nth(3).click()
    expect(bands.nth(3).locator(".readout")).to_be_visible()
