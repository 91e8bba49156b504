"""The digest preview shows what users typed as text, never as markup (issue 12.1).

An operation named ``<script>…`` was run in the browser of staff previewing its
owner's digest: the text part, rendered with autoescape off, came back marked safe
and the page printed it as it was.
"""

import pytest
from django.urls import reverse
from django.utils.html import escape

from opsmaturity.digests import sending
from opsmaturity.digests.models import DigestSubscription
from opsmaturity.maturity.models import Flag, FlagKind
from opsmaturity.operations.phases import Phase
from tests.operations.factories import OperationFactory
from tests.teams.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>"\'&'
ESCAPED = escape(PAYLOAD)  # &lt;script&gt;alert(&quot;x&quot;)…


@pytest.fixture
def member():
    """Someone whose digest names their operation, their team and them: all typed by users."""
    user = UserFactory(first_name=PAYLOAD, last_name="")
    operation = OperationFactory(
        name=PAYLOAD, owner=user, team=TeamFactory(name=f"Team {PAYLOAD}"), phase=Phase.AUTOMATE
    )
    Flag.objects.create(operation=operation, kind=FlagKind.PERSON_DEPENDENT)
    return user


def get_preview(client, viewer, **params):
    client.force_login(viewer)
    return client.get(reverse("digests:preview"), params)


@pytest.mark.parametrize("viewer", ["self", "staff"])
def test_the_preview_page_shows_both_parts_escaped(client, member, viewer):
    who = member if viewer == "self" else UserFactory(is_staff=True)
    params = {} if viewer == "self" else {"user": member.pk}
    response = get_preview(client, who, **params)
    assert response.status_code == 200
    page = response.content.decode()
    assert PAYLOAD not in page
    assert "<script>alert" not in page and "<img src=x" not in page
    # the text part, in its <pre>, escaped once; the HTML part is a response of its own
    text = page.split("<pre", 1)[1].split("</pre>", 1)[0]
    assert ESCAPED in text
    assert 'src="?' in page.split("<iframe", 1)[1].split(">", 1)[0]
    alone = client.get(reverse("digests:preview"), {**params, "format": "html"}).content.decode()
    # (css-inline writes quotes in text as they are: only < > & need escaping there)
    assert "<script>alert" not in alone and "&lt;script&gt;alert" in alone


def test_the_email_parts_are_plain_text_not_marked_safe(member):
    rendered = sending.render_digest(member, DigestSubscription.for_user(member))
    for part in (rendered.subject, rendered.text, rendered.html):
        assert type(part) is str
    assert PAYLOAD in rendered.text  # a text email says what was typed, as typed
    assert PAYLOAD not in rendered.html and "<script" not in rendered.html


def test_the_html_alone_has_a_policy_of_its_own(client, member):
    response = get_preview(client, UserFactory(is_staff=True), user=member.pk, format="html")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    policy = dict(
        (d.strip().split(" ", 1) + [""])[:2] for d in response["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'none'"
    assert policy["style-src"] == "'unsafe-inline'"  # the email's inline styles, only
    assert policy["img-src"] == "data:"
    assert "script-src" not in policy and "sandbox" in policy
    assert "allow-scripts" not in policy["sandbox"] and "allow-same-origin" not in policy["sandbox"]
    assert policy["frame-ancestors"] == "'self'" and response["X-Frame-Options"] == "SAMEORIGIN"
    html = response.content.decode()
    assert PAYLOAD not in html and "<script" not in html and "<img" not in html


def test_the_text_alone_is_text(client, member):
    response = get_preview(client, member, format="text")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("default-src 'none';")
    assert "sandbox" in response["Content-Security-Policy"]
    assert PAYLOAD in response.content.decode()  # as typed: it is text, not a page
