"""A person switches their profile to Japanese and the pages follow, in a real browser."""

import pytest
from playwright.sync_api import expect

from opsmaturity.accounts.models import Profile
from tests.browser.conftest import sign_in
from tests.teams.factories import PASSWORD, MembershipFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_switching_the_language_on_the_profile_turns_the_pages_japanese(page, live_server):
    ann = UserFactory(username="ann", first_name="Ann", last_name="Lee", email="ann@example.com")
    MembershipFactory(user=ann, team=TeamFactory(name="Billing"))
    page.set_extra_http_headers({"Accept-Language": "en"})
    sign_in(page, live_server, "ann@example.com", PASSWORD)  # by email
    expect(page.locator("a.who")).to_have_text("Ann Lee")

    page.locator("a.who").click()
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()
    page.get_by_label("Display name").fill("Annie")
    page.get_by_label("Language").select_option("ja")
    page.get_by_label("Time zone").fill("Asia/Tokyo")
    page.get_by_role("button", name="Save").click()

    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.get_by_text("プロフィールを保存しました。")).to_be_visible()
    expect(page.locator("a.who")).to_have_text("Annie")
    profile = Profile.objects.get(user=ann)
    assert (profile.language, profile.time_zone) == ("ja", "Asia/Tokyo")

    page.goto(f"{live_server.url}/ops/")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.get_by_role("button", name="ログアウト")).to_be_visible()

    # and back: the browser's English again once the profile says nothing
    page.goto(f"{live_server.url}/account/")
    page.get_by_label("言語").select_option("")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
