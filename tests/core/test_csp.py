"""The Content-Security-Policy and Permissions-Policy every response carries.

The policy is enforced (not report-only) and allows no inline script or style, so
the pages must carry none: this reads the HTML of every main page for them. The
browser test (tests/browser/test_csp_browser.py) checks the same pages in Chromium.
"""

import re

import pytest
from django.urls import reverse

from tests.site_pages import build_site, main_pages

pytestmark = pytest.mark.django_db


def directives(header):
    """{"script-src": ["'self'"], …} from a Content-Security-Policy header."""
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


@pytest.fixture
def site():
    return build_site()


@pytest.fixture
def staff_client(client, site):
    client.force_login(site["staff"])
    return client


def test_a_page_carries_the_enforced_policy(staff_client):
    response = staff_client.get(reverse("dashboard:index"))
    assert response.status_code == 200
    assert "Content-Security-Policy-Report-Only" not in response
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert set(policy["img-src"]) <= {"'self'", "data:"}
    for values in policy.values():
        assert "'unsafe-inline'" not in values and "'unsafe-eval'" not in values, values
        assert "*" not in values and "https:" not in values, values


def test_the_sign_in_page_and_error_pages_carry_it_too(client):
    for path, status in [(reverse("login"), 200), ("/no-such-page/", 404)]:
        response = client.get(path)
        assert response.status_code == status
        assert directives(response["Content-Security-Policy"])["script-src"] == ["'self'"]


def test_permissions_policy_refuses_the_features_the_app_never_uses(client):
    response = client.get(reverse("login"))
    features = dict(
        item.strip().split("=", 1) for item in response["Permissions-Policy"].split(",")
    )
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert features.get(feature) == "()", feature


def test_the_other_security_headers(client):
    response = client.get(reverse("login"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_htmx_is_told_not_to_inject_styles_or_evaluate_code(client):
    page = client.get(reverse("login")).content.decode()
    config = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", page)
    assert config, "base.html sets htmx's configuration"
    assert '"includeIndicatorStyles": false' in config[1]
    assert '"allowEval": false' in config[1]


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>")
INLINE_STYLE = re.compile(r"<style\b|\sstyle=|\son[a-z]+=|javascript:", re.IGNORECASE)


def test_no_page_has_inline_script_or_style(staff_client, site):
    found = {}
    for path in main_pages(site):
        response = staff_client.get(path)
        assert response.status_code in (200, 404), (path, response.status_code)
        html = response.content.decode()
        hits = INLINE_SCRIPT.findall(html) + INLINE_STYLE.findall(html)
        if hits:
            found[path] = hits[:3]
    assert found == {}


def test_the_digest_is_framed_from_its_own_response_not_inlined(staff_client, site):
    page = staff_client.get(reverse("digests:preview")).content.decode()
    frame = re.search(r"<iframe[^>]*>", page)[0]
    assert 'src="?format=html"' in frame and "srcdoc" not in frame
    assert 'sandbox="allow-popups' in frame
    other = staff_client.get(reverse("digests:preview"), {"user": site["member"].pk})
    assert f'src="?user={site["member"].pk}&amp;format=html"' in other.content.decode()


def test_the_digest_html_has_a_policy_of_its_own(staff_client):
    """An email needs inline styles; its response allows those and nothing else, may
    be framed by the preview page only, and runs sandboxed even when opened alone."""
    response = staff_client.get(reverse("digests:preview"), {"format": "html"})
    assert response.status_code == 200
    assert 'style="' in response.content.decode(), "the email keeps its inline styles"
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'none'"]
    assert policy["style-src"] == ["'unsafe-inline'"]
    assert "script-src" not in policy, "no script at all: default-src 'none' applies"
    assert policy["frame-ancestors"] == ["'self'"]
    assert policy["form-action"] == ["'none'"]
    assert "allow-scripts" not in policy["sandbox"]
    assert "allow-same-origin" not in policy["sandbox"]


def test_the_preview_page_itself_keeps_the_strict_policy(staff_client):
    response = staff_client.get(reverse("digests:preview"))
    policy = directives(response["Content-Security-Policy"])
    assert policy["style-src"] == ["'self'"] and policy["frame-ancestors"] == ["'none'"]
