"""A manager invites someone from the team's page; the invitee accepts in their own
browser and lands signed in, in the team. In a real browser."""

import pytest
from django.core import mail
from playwright.sync_api import expect

from opsmaturity.teams.models import Membership, Role
from tests.browser.conftest import sign_in
from tests.browser.test_accessibility import AXE, violations
from tests.invitations.helpers import link_in, path_of
from tests.teams.factories import PASSWORD, MembershipFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WIDER_THAN_A_PHONE = """() => [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > 391)
    .map(e => e.tagName + '.' + e.className + ' ' + e.getBoundingClientRect().right)"""


def test_a_manager_invites_and_the_invitee_lands_in_the_team(
    page, browser, live_server, screenshot
):
    team = TeamFactory(name="Billing")
    manager = UserFactory(username="mika", first_name="Mika", last_name="Morita")
    MembershipFactory(user=manager, team=team, role=Role.MANAGER)

    sign_in(page, live_server, "mika", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Teams").click()
    page.get_by_role("link", name="Billing").click()
    expect(page.get_by_role("heading", name="Billing", level=1)).to_be_visible()
    page.get_by_label("Email addresses").fill("noa@example.com, not-an-address")
    page.locator("#id_invite-role").select_option("manager")
    page.get_by_role("button", name="Send the invitations").click()
    expect(page.get_by_text("Invitation sent to noa@example.com.")).to_be_visible()
    expect(page.get_by_text("This is not an email address: not-an-address")).to_be_visible()
    expect(page.locator("#invitations").get_by_text("noa@example.com")).to_be_visible()
    screenshot(page, "team-invited")
    if AXE.exists():
        assert violations(page) == []

    link = path_of(link_in(mail.outbox[0]))
    invitee = browser.new_context(viewport={"width": 390, "height": 844})
    guest = invitee.new_page()
    guest.goto(f"{live_server.url}{link}")
    expect(guest.get_by_role("heading", name="Join Billing")).to_be_visible()
    guest.get_by_label("First name").fill("Noa")
    guest.get_by_label("Last name").fill("Nakamura")
    guest.locator("#id_password1").fill("a-long-and-unusual-passphrase")
    guest.get_by_label("The same password again").fill("a-long-and-unusual-passphrase")
    screenshot(guest, "invitation-accept-phone")
    if AXE.exists():
        assert violations(guest) == []
    guest.get_by_role("button", name="Join the team").click()
    expect(guest.get_by_text("Welcome! You are in Billing.")).to_be_visible()
    expect(guest.get_by_role("heading", name="Billing", level=1)).to_be_visible()
    expect(guest.locator("header .who")).to_have_text("Noa Nakamura")
    screenshot(guest, "team-phone")
    wide = guest.evaluate(WIDER_THAN_A_PHONE)
    # a phone shows the team's page without sideways scrolling
    assert not wide, wide
    assert Membership.objects.get(team=team, user__email="noa@example.com").role == Role.MANAGER

    # the manager sees them in the team, and the invitation gone from the waiting list
    page.reload()
    expect(page.locator("#people strong", has_text="Noa Nakamura")).to_be_visible()
    expect(page.locator("#invitations").get_by_text("No invitation waiting.")).to_be_visible()
    expect(page.get_by_text("Noa Nakamura joined by invitation, as Manager.")).to_be_visible()
    # and makes them a member, in place (htmx): the section and the history change
    noa = Membership.objects.get(team=team, user__email="noa@example.com")
    page.evaluate("() => { window.notReloaded = true; }")
    page.locator(f"#role-{noa.pk}").select_option("member")
    page.locator(f"#role-{noa.pk}").locator("xpath=..").get_by_role("button", name="Set").click()
    expect(page.get_by_text("Noa Nakamura is now a member of the team.")).to_be_visible()
    expect(
        page.get_by_text("Mika Morita changed Noa Nakamura from Manager to Member.")
    ).to_be_visible()
    assert Membership.objects.get(pk=noa.pk).role == Role.MEMBER
    assert page.evaluate("() => window.notReloaded === true")
    invitee.close()
