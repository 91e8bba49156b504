"""The exit checklist in a real browser: what the data answers, the buttons for the rest,
on the operation's page with and without JavaScript, at a phone's width and a laptop's."""

import pytest
from playwright.sync_api import expect

from opsmaturity.operations.models import CriterionCheck, Operation
from opsmaturity.operations.phases import Phase
from opsmaturity.teams.models import Role
from tests.browser.conftest import inject_axe, sign_in
from tests.browser.test_accessibility import AXE
from tests.operations.factories import OperationFactory
from tests.teams.factories import PASSWORD, MembershipFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCROLL_WIDTH = "() => document.documentElement.scrollWidth"


@pytest.fixture
def op():
    team = TeamFactory(name="Customer Support")
    user = UserFactory(username="mika", first_name="Mika", last_name="Sato")
    MembershipFactory(user=user, team=team, role=Role.MEMBER)
    return OperationFactory(
        name="Refund approvals", team=team, owner=user, monthly_volume=320, performers=[user]
    )


def serious(page):
    if not AXE.exists():
        return []
    inject_axe(page, AXE)
    found = page.evaluate("async () => (await axe.run({include: ['#checklist']})).violations")
    return [f"{v['id']}: {v['help']}" for v in found if v["impact"] in ("serious", "critical")]


def test_the_operations_page_ticks_in_place(page, live_server, op, screenshot):
    sign_in(page, live_server, "mika", PASSWORD)
    expect(page.get_by_role("button", name="Sign out")).to_be_attached()
    page.goto(live_server.url + op.get_absolute_url())
    checklist = page.locator("#checklist")
    expect(checklist).to_contain_text("from the data: purpose written")
    expect(checklist).to_contain_text("from the data: owned by Mika Sato")
    expect(checklist).to_contain_text("from the data: 320 times a month")
    assert serious(page) == []
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate(SCROLL_WIDTH) <= width
        screenshot(page, f"checklist-detail-{width}")

    checklist.get_by_label("Evidence for “Manual steps listed”").fill("steps in the wiki")
    checklist.get_by_role("button", name="Mark as done").click()
    expect(checklist.get_by_role("button", name="Undo")).to_be_visible()
    expect(checklist).to_contain_text("Evidence: steps in the wiki")
    assert page.url.endswith(op.get_absolute_url())  # swapped in place, no reload
    assert CriterionCheck.objects.current().get().evidence == "steps in the wiki"
    checklist.get_by_role("button", name="Undo").click()
    expect(checklist.get_by_role("button", name="Mark as done")).to_be_visible()
    assert not CriterionCheck.objects.current().exists()


def test_the_runbook_link_without_javascript(browser, live_server, op):
    Operation.objects.filter(pk=op.pk).update(phase=Phase.STANDARDIZE, runbook_url="")
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        sign_in(page, live_server, "mika", PASSWORD)
        expect(page.get_by_role("button", name="Sign out")).to_be_attached()
        page.goto(live_server.url + op.get_absolute_url())
        checklist = page.locator("#checklist")
        expect(checklist).to_contain_text("from the data: no runbook linked")
        expect(checklist).to_contain_text("from the data: 1 performer listed, 2 needed")
        checklist.get_by_label("Runbook link").fill("https://wiki.example.com/refunds")
        checklist.get_by_role("button", name="Link the runbook").click()
        expect(page.locator("#checklist")).to_contain_text("from the data: runbook linked")
        expect(page.get_by_role("link", name="https://wiki.example.com/refunds")).to_be_visible()
        assert page.evaluate(SCROLL_WIDTH) <= 390
        page.get_by_role("button", name="Mark as done").click()  # No step needs judgement
        expect(page.locator("#checklist").get_by_role("button", name="Undo")).to_be_visible()
    finally:
        context.close()
