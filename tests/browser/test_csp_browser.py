"""The pages work under the enforced Content-Security-Policy in a real browser.

The ``csp_violations`` fixture (conftest.py) fails any browser test whose pages
broke the policy; here every main page is opened as staff, the admin's included.
"""

import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.site_pages import build_site, main_pages
from tests.teams.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site():
    return build_site()


def wait_for(condition, seconds=5.0):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


def test_the_watcher_catches_a_violation(page, live_server, csp_violations):
    """The fixture is only worth its name if it sees one: an inline style set from a
    script is refused by style-src 'self' and reported."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.evaluate("document.body.setAttribute('style', 'background: red')")
    page.wait_for_timeout(100)  # the console message comes back over the wire
    assert wait_for(lambda: csp_violations), "no violation was recorded"
    assert any("style-src" in text for text in csp_violations), csp_violations
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background != "rgb(255, 0, 0)", "the policy is enforced, not only reported"
    csp_violations.clear()


def test_every_main_page_keeps_the_policy(page, live_server, site):
    sign_in(page, live_server, "root", PASSWORD)
    expect(page.get_by_role("heading", level=1).first).to_be_visible()
    for path in main_pages(site):
        response = page.goto(live_server.url + path)
        assert response.status in (200, 404), (path, response.status)
        page.wait_for_load_state("load")
        # htmx ran and configured itself from the page (no inline <style> of its own).
        if not path.startswith("/admin/"):
            assert page.evaluate("window.htmx.config.includeIndicatorStyles") is False, path


def test_the_digest_renders_with_its_styles_in_its_frame(page, live_server, site):
    sign_in(page, live_server, "root", PASSWORD)
    page.goto(f"{live_server.url}/digests/preview/?user={site['member'].pk}")
    frame = page.frame_locator("iframe.digest-frame")
    expect(frame.locator("body")).to_contain_text("Ops Maturity")
    # The email's inline styles apply inside the frame (its own policy allows them),
    # the frame is sandboxed (no script runs in it), and the page's own policy holds.
    background = frame.locator("body").evaluate("b => getComputedStyle(b).backgroundColor")
    assert background == "rgb(246, 247, 249)"
    assert frame.locator("body").evaluate("b => b.ownerDocument.defaultView.origin") == "null"


def test_htmx_updates_keep_the_policy(page, live_server, site):
    sign_in(page, live_server, "root", PASSWORD)
    page.goto(f"{live_server.url}/ops/?scope=all")
    with page.expect_response(lambda r: "/ops/" in r.url and r.request.headers.get("hx-request")):
        page.locator("#list-filters").get_by_label("Phase").select_option("launch")
    expect(page.get_by_role("link", name="KYC checks")).to_be_visible()


def test_the_lockout_page_keeps_the_policy(page, live_server, site, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        sign_in(page, live_server, "ann", "wrong password", refused=True)
    expect(page.get_by_role("heading", name="Sign-in paused")).to_be_visible()
