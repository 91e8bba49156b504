"""Signing in with SSO in a browser, through the real test provider (tests/sso/fixtures.py)."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from opsmaturity.sso.config import parse_group_map
from opsmaturity.teams.models import Role
from tests.browser.test_accessibility import AXE, violations
from tests.sso.fixtures import oidc_provider, sso  # noqa: F401 - fixtures
from tests.teams.factories import TeamFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sso_live(sso, live_server, settings):  # noqa: F811 - the fixture imported above
    sso.register_client(f"{live_server.url}/sso/callback/")
    settings.OIDC_GROUPS_CLAIM = "groups"
    settings.OIDC_GROUP_MAP = parse_group_map("ops-billing-leads=Billing:manager")
    TeamFactory(name="Billing")
    return sso


def test_a_newcomer_signs_in_with_sso_and_lands_in_their_team(
    page, live_server, sso_live, screenshot
):
    sso_live.person("cara diaz", "cara.diaz@example.com", groups=["ops-billing-leads"])
    page.goto(f"{live_server.url}/accounts/login/")
    screenshot(page, "sso-sign-in")
    page.get_by_role("link", name="Sign in with SSO").click()

    expect(page.get_by_role("heading", name="Test identity provider")).to_be_visible()
    page.get_by_label("Provider username").fill("cara.diaz")
    page.get_by_label("Provider password").fill("idp-password")
    page.get_by_role("button", name="Continue").click()

    page.wait_for_url(re.compile(re.escape(live_server.url) + "/"))
    expect(page.locator(".topbar .who")).to_have_text("Cara Diaz")
    cara = get_user_model().objects.get(email="cara.diaz@example.com")
    assert cara.memberships.get().role == Role.MANAGER


def test_with_passwords_off_the_page_offers_only_sso(page, live_server, sso_live, settings):
    settings.PASSWORD_LOGIN = False
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.get_by_label("Password")).to_have_count(0)
    expect(page.get_by_role("link", name="Sign in with SSO")).to_be_visible()


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("passwords", [True, False], ids=["with-passwords", "sso-only"])
def test_the_sign_in_page_with_sso_fits_and_reads_well(
    page, live_server, sso_live, settings, screenshot, width, passwords
):
    settings.PASSWORD_LOGIN = passwords
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"{live_server.url}/accounts/login/")
    screenshot(page, f"sso-sign-in-{'both' if passwords else 'only'}-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if AXE.exists():
        assert violations(page) == []


def test_a_refusal_is_a_page_that_fits_and_reads_well(page, live_server, sso_live, screenshot):
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"{live_server.url}/sso/callback/?code=x&state=changed")
    expect(page.get_by_role("heading", name="Single sign-on did not work")).to_be_visible()
    screenshot(page, "sso-refused-390")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    if AXE.exists():
        assert violations(page) == []
