"""The campaign pages fit a phone (390 px) without sideways scrolling, in both languages."""

import datetime as dt

import pytest
from django.utils import timezone

from opsmaturity.campaigns import futures
from opsmaturity.campaigns.models import CampaignProgress
from opsmaturity.teams.models import Role
from tests.browser.conftest import signed_in
from tests.campaigns.factories import start_campaign
from tests.operations.factories import OperationFactory
from tests.teams.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_campaign_pages_fit_a_phone(browser, live_server, language, screenshot):
    team = TeamFactory(name="Customer Support")
    manager = UserFactory(username="mika", first_name="Mika", last_name="Sato")
    MembershipFactory(user=manager, team=team, role=Role.MANAGER)
    for i in range(3):
        OperationFactory(name=f"Refund approvals for premium customers {i}", team=team)
    campaign = start_campaign(
        manager, [team], name="Standardize every Customer Support operation in launch by May"
    )
    CampaignProgress.objects.filter(campaign=campaign).update(
        date=timezone.localdate() - dt.timedelta(days=14)
    )
    futures.propose(
        team,
        by=manager,
        kind="goal",
        horizon_years=3,
        title="Customers resolve most refund questions themselves",
        direction="Self-service everywhere",
        contribution="Written refund rules",
    )
    context, page = signed_in(browser, live_server, 390, language, height=844)
    for path in (
        "/campaigns/",
        "/campaigns/new/",
        campaign.get_absolute_url(),
        f"/campaigns/future/{team.pk}/",
    ):
        page.goto(f"{live_server.url}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        if path == campaign.get_absolute_url():
            screenshot(page, f"campaign-phone-{language}")
        assert width <= 390, f"{path} is {width} px wide in {language}"
    context.close()
