"""A manager drives a launch → standardize campaign, in a real browser (issue 16)."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from opsmaturity.campaigns.models import Campaign, CampaignProgress
from opsmaturity.operations.phases import Phase
from opsmaturity.teams.models import Role
from tests.browser.conftest import sign_in
from tests.operations.factories import OperationFactory
from tests.teams.factories import PASSWORD, MembershipFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def support():
    team = TeamFactory(name="Support")
    manager = UserFactory(username="mika", first_name="Mika", last_name="Sato")
    MembershipFactory(user=manager, team=team, role=Role.MANAGER)
    for name in ("Refund approvals", "Chargeback replies", "VIP callbacks", "Refund audits"):
        OperationFactory(name=name, team=team, owner=manager, phase=Phase.LAUNCH)
    OperationFactory(name="Ticket triage", team=team, owner=manager, phase=Phase.AUTOMATE)
    OperationFactory(name="Payroll", team=TeamFactory(name="Back office"), phase=Phase.LAUNCH)
    return team


def move_to_standardize(page, name):
    page.get_by_role("link", name=name).click()
    page.get_by_role("link", name="Move phase").click()
    page.get_by_label("Standardize").check()
    page.get_by_role("textbox", name="Note").fill("Runbook agreed with the team")
    page.get_by_role("button", name="Move", exact=True).click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()


def test_a_manager_creates_a_campaign_from_the_lists_filter_and_sees_it_move(
    page, live_server, support, screenshot
):
    sign_in(page, live_server, "mika", PASSWORD)
    page.goto(f"{live_server.url}/ops/?scope=all&team={support.pk}&phase=launch")
    expect(page.locator("#results")).to_contain_text("4 operations")
    page.get_by_role("link", name="Start a campaign with these").click()

    expect(page.get_by_role("heading", name="Start a campaign")).to_be_visible()
    expect(page.get_by_label("Support")).to_be_checked()
    expect(page.get_by_label("Launch")).to_be_checked()
    deadline = timezone.localdate() + dt.timedelta(days=60)
    page.get_by_label("Name").fill(f"Standardize every Support operation in launch by {deadline}")
    page.get_by_label("Reach a phase").check()
    page.get_by_label("Phase to reach").select_option("standardize")
    page.get_by_label("Deadline").fill(deadline.isoformat())
    page.get_by_role("button", name="Start it").click()

    expect(page.locator("#campaign-done")).to_have_text("0 / 4")
    expect(page.locator("#forecast-sentence")).to_contain_text("No forecast yet")
    campaign = Campaign.objects.get()
    # as if it had started two weeks ago with nothing done
    CampaignProgress.objects.filter(campaign=campaign).update(
        date=timezone.localdate() - dt.timedelta(days=14)
    )

    for name in ("Refund approvals", "VIP callbacks"):
        page.goto(f"{live_server.url}{campaign.get_absolute_url()}")
        move_to_standardize(page, name)
        expect(page.get_by_role("heading", name="In campaigns")).to_be_visible()

    page.goto(f"{live_server.url}{campaign.get_absolute_url()}")
    expect(page.locator("#campaign-done")).to_have_text("2 / 4")
    sentence = page.locator("#forecast-sentence")
    expect(sentence).to_contain_text("the 2 operations left will be done by")
    expect(sentence).to_contain_text("On track for the deadline.")
    expect(page.locator("#not-done")).not_to_contain_text("Refund approvals")
    expect(page.locator("#done-list")).to_contain_text("VIP callbacks")
    screenshot(page, "campaign-page")

    page.goto(f"{live_server.url}/digests/preview/?format=text")
    expect(page.locator("body")).to_contain_text("2 / 4")
