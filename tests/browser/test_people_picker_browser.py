"""Choosing performers in a real browser: with the script (search, chips that remove one
person) and without it (a plain list of checkboxes, posted as it is)."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from opsmaturity.operations.models import Operation
from opsmaturity.teams.models import Role
from tests.accounts.factories import ProfileFactory
from tests.browser.conftest import sign_in
from tests.teams.factories import PASSWORD, MembershipFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCROLL_WIDTH = "() => document.documentElement.scrollWidth"


@pytest.fixture
def team():
    team = TeamFactory(name="Customer Support")
    people = [
        ("mika", "Mika", "Sato", Role.MEMBER),
        ("kenji", "Kenji", "Sato", Role.MEMBER),
        ("bea", "Beatriz", "Costa", Role.MEMBER),
        ("olu", "Olu", "Adebayo", Role.MANAGER),
    ]
    for username, first, last, role in people:
        user = UserFactory(username=username, first_name=first, last_name=last)
        MembershipFactory(user=user, team=team, role=role)
    ProfileFactory(
        user=UserFactory._meta.model.objects.get(username="kenji"), display_name="佐藤 健二"
    )
    return team


def open_the_form(page, live_server):
    sign_in(page, live_server, "mika", PASSWORD)
    expect(page.get_by_role("link", name="Sign out")).to_have_count(0)  # signed in: a button
    expect(page.get_by_role("button", name="Sign out")).to_be_attached()
    page.goto(live_server.url + reverse("operations:create"))


def fill_the_rest(page, name):
    page.get_by_label("Name").fill(name)
    page.get_by_label("Purpose").fill("Customers get their refund within two days.")


def performers_shown(page):
    row = page.locator("dt", has_text="Performers").locator("xpath=following-sibling::dd[1]")
    return row.inner_text().strip()


def test_pick_two_remove_one_and_save(page, live_server, team, screenshot):
    open_the_form(page, live_server)
    fill_the_rest(page, "Refund approvals")
    picker = page.locator("[data-people-picker]")
    search = picker.get_by_label("Find a person")
    expect(search).to_be_visible()
    expect(picker.locator("[data-picker-none]")).to_have_text("Nobody yet")

    # Searching by name, then Enter picks the one person found (the form is not sent).
    search.fill("健二")
    expect(picker.locator("li[data-name]:visible")).to_have_count(1)
    search.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(reverse("operations:create")) + "$"))
    chips = picker.locator(".picker-chip")
    expect(chips).to_have_text(["佐藤 健二×"])

    # Another by ticking their box: the first stays chosen.
    search.fill("costa")
    picker.get_by_role("checkbox", name="Beatriz Costa").check()
    search.fill("")
    expect(picker.locator("li[data-name]:visible")).to_have_count(4)
    expect(chips).to_have_count(2)
    expect(picker.get_by_role("checkbox", name="佐藤 健二")).to_be_checked()

    # Removing one chip removes that one person only, and the keyboard stays near.
    picker.get_by_role("button", name="Remove Beatriz Costa").click()
    expect(chips).to_have_text(["佐藤 健二×"])
    expect(picker.get_by_role("checkbox", name="Beatriz Costa")).not_to_be_checked()
    expect(picker.locator("[data-picker-status]")).to_have_text("Beatriz Costa removed")

    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate(SCROLL_WIDTH) <= 390
    screenshot(page, "people-picker-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Record it").click()

    expect(page.get_by_role("heading", name="Refund approvals")).to_be_visible()
    assert performers_shown(page) == "佐藤 健二"
    op = Operation.objects.get(name="Refund approvals")
    assert [p.username for p in op.performers.all()] == ["kenji"]


def test_the_keyboard_alone_picks_and_removes(page, live_server, team):
    open_the_form(page, live_server)
    picker = page.locator("[data-people-picker]")
    search = picker.get_by_label("Find a person")
    search.focus()
    search.press_sequentially("olu")
    search.press("Enter")
    expect(picker.locator(".picker-chip")).to_have_count(1)
    search.press("Escape")  # the search emptied: everyone listed again
    expect(picker.locator("li[data-name]:visible")).to_have_count(4)
    remove = picker.get_by_role("button", name="Remove Olu Adebayo")
    remove.focus()
    page.keyboard.press("Enter")
    expect(picker.locator(".picker-chip")).to_have_count(0)
    expect(search).to_be_focused()  # no chip left: back to the search box


def test_without_javascript_the_checkboxes_post_as_they_are(browser, live_server, team):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        open_the_form(page, live_server)
        picker = page.locator("[data-people-picker]")
        expect(picker.get_by_label("Find a person")).to_be_hidden()  # needs the script
        fill_the_rest(page, "Ledger close")
        picker.get_by_role("checkbox", name="Beatriz Costa").check()
        picker.get_by_role("checkbox", name="Olu Adebayo").check()
        picker.get_by_role("checkbox", name="Beatriz Costa").uncheck()
        assert page.evaluate(SCROLL_WIDTH) <= 390
        page.get_by_role("button", name="Record it").click()
        expect(page.get_by_role("heading", name="Ledger close")).to_be_visible()
        assert performers_shown(page) == "Olu Adebayo"

        # Edited: the chosen come first, ticked; one more is added, none dropped.
        page.get_by_role("link", name="Edit").click()
        first = picker.locator("li").first
        expect(first).to_contain_text("Olu Adebayo")
        expect(first.get_by_role("checkbox")).to_be_checked()
        picker.get_by_role("checkbox", name="佐藤 健二").check()
        page.get_by_role("button", name="Save").click()
        expect(page.locator(".messages")).to_contain_text("Saved.")
        op = Operation.objects.get(name="Ledger close")
        assert sorted(p.username for p in op.performers.all()) == ["kenji", "olu"]
    finally:
        context.close()
