"""The API's pages in a real browser: Swagger UI draws from the app's own files under
the enforced policy, and a token is made and revoked on /api/tokens/."""

import pytest
from playwright.sync_api import expect

from opsmaturity.api.models import ApiToken
from tests.browser.conftest import sign_in
from tests.teams.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_swagger_ui_draws_the_schema_under_the_policy(page, live_server):
    outside = []
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None,
    )
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.get_by_text("Ops Maturity API").first).to_be_visible(timeout=15000)
    expect(
        page.get_by_role("button", name="POST /api/v1/operations/{id}/move/", exact=True)
    ).to_be_visible()
    assert outside == [], "no CDN, nothing from outside the app"


def test_a_token_is_made_shown_once_and_revoked(page, live_server):
    UserFactory(username="ann", first_name="Ann", last_name="Lee")
    sign_in(page, live_server, "ann", PASSWORD)
    page.goto(f"{live_server.url}/api/tokens/")
    page.get_by_label("Name").fill("stall report")
    page.get_by_label("Read and write").check()
    page.get_by_role("button", name="Make the token").click()
    shown = page.locator("code.api-token").inner_text()
    assert shown.startswith("om_")
    assert ApiToken.objects.get().prefix == shown[:10]
    page.goto(f"{live_server.url}/api/tokens/")
    expect(page.locator("code.api-token")).to_have_count(0)
    page.get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("is revoked")).to_be_visible()
    assert ApiToken.objects.get().revoked_at is not None
