"""Browser tests: Playwright driving Debian's chromium against the live server."""

import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

# A loaded machine (CI runs beside other jobs) can take longer than expect's default
# 5 s to swap in an htmx answer; a real failure still fails, later.
expect.set_options(timeout=15_000)

# Playwright's sync API runs an event loop in this thread; Django refuses database
# access from a thread with a running loop unless told it is safe, which it is here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"

# Runs first in every document and frame, outside the page's policy: each violation
# of the Content-Security-Policy becomes a console error the watcher below reads.
CSP_MARKER = "CSP violation:"
CSP_RECORDER = f"""
document.addEventListener("securitypolicyviolation", (event) => {{
  console.error("{CSP_MARKER} " + event.effectiveDirective + " blocked "
    + (event.blockedURI || "inline") + " on " + event.documentURI
    + (event.sample ? " (" + event.sample + ")" : ""));
}}, true);
"""


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists():
        return
    skip = pytest.mark.skip(reason="needs Debian's chromium: apt-get install chromium")
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}}


@pytest.fixture(autouse=True)
def csp_violations(request, browser):
    """Fail a browser test when any page it opened broke the Content-Security-Policy
    (or sent a Permissions-Policy the browser could not read).

    Watches every context: the one pytest-playwright's ``page`` lives in and any a
    test makes with ``browser.new_context()``. A test that provokes a violation on
    purpose reads the list and empties it.
    """
    found = []

    def on_console(message):
        text = message.text
        # A Permissions-Policy feature the browser does not know is an error too.
        if text.startswith((CSP_MARKER, "Error with Permissions-Policy header")) or (
            "Content Security Policy" in text
        ):
            found.append(f"{message.page.url if message.page else '?'}: {text}")

    new_context = browser.new_context

    def watched_context(*args, **kwargs):
        context = new_context(*args, **kwargs)
        context.add_init_script(CSP_RECORDER)
        context.on("console", on_console)
        return context

    browser.new_context = watched_context
    try:
        request.getfixturevalue("context")
        yield found
    finally:
        browser.new_context = new_context
    if found:
        pytest.fail("Policy violations:\n" + "\n".join(found), pytrace=False)


def inject_axe(page, axe_path):
    """Load axe-core into the page as a function Playwright calls, not as an inline
    <script> (add_script_tag), which the page's policy refuses like any other."""
    page.evaluate("() => {" + Path(axe_path).read_text() + "\n}")


@pytest.fixture
def screenshot():
    """Save a full-page screenshot under var/screenshots/ to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name):
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def signed_in(browser, live_server, width, lang="en", username="mika", height=900, **options):
    """A new context at ``width`` in ``lang``, signed in as ``username`` (the factories'
    password), on the dashboard: (context, page). The fields are found by their names,
    since their labels are in the page's language."""
    from tests.teams.factories import PASSWORD

    context = browser.new_context(
        viewport={"width": width, "height": height},
        locale=lang,
        extra_http_headers={"Accept-Language": lang},
        **options,
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url("**/dashboard/")
    return context, page


def sign_in(page, live_server, username, password, refused=False):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    if refused:
        page.wait_for_load_state()
        return
    # Where signing in leads, loaded with its scripts: a filter changed before htmx has
    # read the page would reload nothing (a test then waits for a swap never asked for).
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.wait_for_load_state()
