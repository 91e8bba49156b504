"""A team member keeps an operation current, in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from opsmaturity.operations.models import Operation
from opsmaturity.operations.phases import Phase
from opsmaturity.teams.models import Role
from tests.browser.conftest import sign_in
from tests.operations.factories import OperationFactory
from tests.teams.factories import PASSWORD, MembershipFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def member():
    team = TeamFactory(name="Customer Support")
    user = UserFactory(username="mika", first_name="Mika", last_name="Sato")
    MembershipFactory(user=user, team=team, role=Role.MEMBER)
    return user


def test_member_records_fixes_a_mistake_and_moves_to_standardize(
    page, live_server, member, screenshot
):
    sign_in(page, live_server, "mika", PASSWORD)
    expect(page.get_by_role("heading", name="Operations")).to_be_visible()
    page.get_by_role("link", name="Record an operation").first.click()

    page.get_by_label("Name").fill("返金承認 Refund approvals")
    page.get_by_label("Purpose").fill("Customers get their refund within two days.")
    cost = page.get_by_label("Monthly cost")
    cost.fill("-300")
    page.get_by_label("Monthly value").click()  # leaving the field validates it
    error = page.locator("#err-monthly_cost")
    expect(error).to_contain_text("This cannot be negative.")
    screenshot(page, "operation-form-error")
    cost.fill("340000")
    page.get_by_label("Monthly value").fill("900000")
    expect(error).not_to_contain_text("negative")
    page.get_by_role("button", name="Record it").click()

    expect(page.get_by_role("heading", name="返金承認 Refund approvals")).to_be_visible()
    op = Operation.objects.get(name="返金承認 Refund approvals")
    assert op.monthly_cost == 340000

    page.get_by_role("link", name="Move phase").click()
    checklist = page.locator("#checklist")
    # What the data answers is checked from it; the volume was left at 0.
    expect(checklist).to_contain_text("from the data: purpose written")
    expect(checklist).to_contain_text("from the data: owned by Mika Sato")
    expect(checklist).to_contain_text("from the data: no monthly volume entered")
    expect(page.locator("#forward-hint")).to_contain_text("2 criteria not met")
    page.get_by_role("button", name="Mark as done").click()  # the manual steps, by hand
    expect(page.get_by_role("button", name="Undo")).to_be_visible()
    expect(page.locator("#forward-hint")).to_contain_text("1 criterion not met")
    page.get_by_label("Standardize").check()
    page.get_by_role("textbox", name="Note").fill("Volume is counted from next month.")
    page.get_by_role("button", name="Move", exact=True).click()

    expect(page.locator(".messages")).to_contain_text("Moved to Standardize.")
    timeline = page.locator(".timeline")
    expect(timeline).to_contain_text("Standardize")
    expect(timeline).to_contain_text("Launch")
    op.refresh_from_db()
    assert op.phase == Phase.STANDARDIZE
    screenshot(page, "operation-detail")


def test_two_people_edit_at_once_and_the_second_is_told(browser, live_server, member):
    colleague = UserFactory(username="ken", first_name="Ken", last_name="Ito")
    MembershipFactory(user=colleague, team=member.memberships.get().team)
    op = OperationFactory(name="KYC checks", team=member.memberships.get().team, owner=member)
    first, second = browser.new_context(), browser.new_context()
    try:
        page_a, page_b = first.new_page(), second.new_page()
        sign_in(page_a, live_server, "mika", PASSWORD)
        sign_in(page_b, live_server, "ken", PASSWORD)
        for page in (page_a, page_b):
            page.goto(f"{live_server.url}/ops/{op.pk}/edit/")
        page_a.get_by_label("Monthly cost").fill("200000")
        page_a.get_by_role("button", name="Save").click()
        expect(page_a.locator(".messages")).to_contain_text("Saved.")

        page_b.get_by_label("Monthly cost").fill("999000")
        page_b.get_by_role("button", name="Save").click()
        alert = page_b.get_by_role("alert")
        expect(alert).to_contain_text("Someone else saved this operation")
        expect(alert).to_contain_text("200000")
        op.refresh_from_db()
        assert op.monthly_cost == 200000
        # what the second person typed is still in the form
        expect(page_b.get_by_label("Monthly cost")).to_have_value("999000")
    finally:
        first.close()
        second.close()


def test_filters_live_in_the_url(page, live_server, member, screenshot):
    team = member.memberships.get().team
    OperationFactory(name="Invoice matching", team=team, phase=Phase.AUTOMATE)
    OperationFactory(name="Churn follow-up", team=team, phase=Phase.LAUNCH)
    sign_in(page, live_server, "mika", PASSWORD)
    page.locator("#list-filters").get_by_label("Phase").select_option("automate")
    expect(page.locator("#results")).not_to_contain_text("Churn follow-up")
    expect(page).to_have_url(re.compile(r"phase=automate"))
    screenshot(page, "operation-list")
    page.reload()
    expect(page.locator("#results")).to_contain_text("Invoice matching")
    expect(page.locator("#results")).not_to_contain_text("Churn follow-up")


def test_typing_through_the_create_form_logs_no_errors(page, live_server, member):
    """Each field is checked as it is typed and when it is left; a check overtaken by
    the next waits its turn instead of being aborted (which htmx logs as an error)."""
    errors = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    checks = []
    page.on("request", lambda request: checks.append(request) if request.method == "POST" else None)
    sign_in(page, live_server, "mika", PASSWORD)
    page.goto(f"{live_server.url}/ops/new/")
    for name, text in [
        ("name", "Refund approvals"),
        ("purpose", "Customers get their refund within two days."),
        ("monthly_volume", "120"),
        ("monthly_cost", "-300"),
        ("monthly_value", "900000"),
    ]:
        field = page.locator(f"form [name={name}]")
        field.click()
        field.fill(text)
        page.keyboard.press("Tab")
    expect(page.locator("#err-monthly_cost")).to_contain_text("This cannot be negative.")
    page.wait_for_timeout(1000)
    assert errors == []
    assert checks, "the fields were checked as they were typed"
