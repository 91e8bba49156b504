"""Driving a whole sign-in: the app (Django's test client) and the provider (requests)."""

import re
from urllib.parse import parse_qs, urljoin, urlsplit

import requests
from django.urls import reverse

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def to_provider(client, next_path=None):
    """Press "Sign in with SSO": the app's answer, a redirect to the provider."""
    response = client.get(reverse("sso:login"), {"next": next_path} if next_path else {})
    assert response.status_code == 302, response.content[:500]
    return response["Location"]


def at_provider(authorize_url, person):
    """Sign in at the provider as ``person``; returns where it sends the browser back."""
    browser = requests.Session()
    url = authorize_url
    for _step in range(8):
        response = browser.get(url, allow_redirects=False, timeout=10)
        if response.status_code == 200 and "csrfmiddlewaretoken" in response.text:
            response = browser.post(
                response.url,
                {
                    "csrfmiddlewaretoken": CSRF.search(response.text)[1],
                    "username": person["username"],
                    "password": person["password"],
                    "next": _next_of(response.url),
                },
                allow_redirects=False,
                timeout=10,
            )
        assert response.status_code == 302, (response.status_code, response.text[:800])
        url = urljoin(response.url, response.headers["Location"])
        if urlsplit(url).netloc == "testserver":
            return url
    raise AssertionError(f"the provider never sent the browser back: {url}")


def _next_of(url):
    return parse_qs(urlsplit(url).query).get("next", [""])[0]


def back_at_app(client, callback_url):
    parts = urlsplit(callback_url)
    return client.get(f"{parts.path}?{parts.query}")


def sign_in(client, person, next_path=None):
    """The whole authorization-code flow with PKCE; returns the app's last answer."""
    return back_at_app(client, at_provider(to_provider(client, next_path), person))
