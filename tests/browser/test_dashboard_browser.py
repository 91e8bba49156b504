"""A manager reads the dashboard, narrows it to a team, and follows a number to the list."""

import pytest
from playwright.sync_api import expect

from opsmaturity.maturity.scan import run_scan
from opsmaturity.operations.phases import Phase
from opsmaturity.teams.models import Role
from tests.browser.conftest import sign_in
from tests.operations.factories import OperationFactory
from tests.teams.factories import PASSWORD, MembershipFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_reads_filters_and_follows_a_number(page, live_server, screenshot):
    billing, support = TeamFactory(name="Billing"), TeamFactory(name="Support")
    manager = UserFactory(username="mika", first_name="Mika", last_name="Sato")
    for team in (billing, support):
        MembershipFactory(user=manager, team=team, role=Role.MANAGER)
    for i in range(3):
        OperationFactory.days_in_phase(90 + i, name=f"Billing stalled {i}", team=billing)
    OperationFactory.days_in_phase(80, name="Support stalled", team=support)
    OperationFactory(name="Support automated", team=support, phase=Phase.AUTOMATE)
    run_scan()

    sign_in(page, live_server, "mika", PASSWORD)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    stalled = page.locator(".kpi", has_text="stalled in launch")
    expect(stalled.locator(".kpi-n")).to_have_text("4")
    screenshot(page, "dashboard")

    page.get_by_label("Teams", exact=True).select_option(label="Support")
    expect(stalled.locator(".kpi-n")).to_have_text("1")
    expect(page.locator(".scope-line")).to_contain_text("Support: 2 operations running.")

    page.get_by_label("Teams", exact=True).select_option(label="Billing")
    expect(stalled.locator(".kpi-n")).to_have_text("3")
    stalled.click()
    expect(page.get_by_role("heading", name="Operations")).to_be_visible()
    expect(page.locator("#results .count")).to_contain_text("3 operations")
    for i in range(3):
        expect(page.locator("#results")).to_contain_text(f"Billing stalled {i}")
    expect(page.locator("#results")).not_to_contain_text("Support stalled")
