"""Unsubscribe links are bound to the subscription's state (issue 12.12): a link sent
before the person subscribed again no longer unsubscribes them."""

import datetime as dt
import email
import email.policy
import re

import pytest
import time_machine
from django.core import signing
from django.test import Client
from django.urls import reverse

from opsmaturity.digests import sending, tokens
from opsmaturity.digests.models import DigestSubscription, Mode
from opsmaturity.maturity.models import Flag, FlagKind
from opsmaturity.operations.phases import Phase
from tests.operations.factories import OperationFactory
from tests.teams.factories import UserFactory

pytestmark = pytest.mark.django_db

SITE = "https://ops.example.com"
SUNDAY = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE
    settings.TIME_ZONE = "UTC"
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def clock():
    with time_machine.travel(SUNDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def user(clock):
    """Someone with an open flag on their operation: each week's digest is sent."""
    person = UserFactory()
    operation = OperationFactory(owner=person, phase=Phase.STANDARDIZE)
    Flag.objects.create(operation=operation, kind=FlagKind.PERSON_DEPENDENT)
    return person


def weekly_link(user, mailoutbox, clock):
    """Send the coming week's digest; the unsubscribe link it carries, as a path."""
    clock.shift(dt.timedelta(days=7))
    before = len(mailoutbox)
    sending.dispatch(user_ids=[user.pk])
    assert len(mailoutbox) == before + 1
    parsed = email.message_from_bytes(
        mailoutbox[-1].message().as_bytes(), policy=email.policy.default
    )
    header = re.fullmatch(r"<(.+)>", parsed["List-Unsubscribe"].strip()).group(1)
    text = parsed.get_body(("plain",)).get_content()
    assert header in text  # the same link in the header and the text part
    return header.removeprefix(SITE)


def subscription(user):
    return DigestSubscription.objects.get(user=user)


def resubscribe(user, mode="when_needed"):
    client = Client()
    client.force_login(user)
    response = client.post(reverse("digests:preferences"), {"mode": mode, "time_zone": ""})
    assert response.status_code == 302


def test_a_link_from_before_subscribing_again_no_longer_unsubscribes(user, mailoutbox, clock):
    link_a = weekly_link(user, mailoutbox, clock)
    client = Client()
    assert client.post(link_a).status_code == 200
    assert subscription(user).mode == Mode.NEVER
    assert client.post(link_a).status_code == 200  # pressed twice: still unsubscribed, fine

    resubscribe(user)
    before = subscription(user)
    assert before.mode == Mode.WHEN_NEEDED and before.next_digest_at is not None

    for method in (client.get, client.post):
        response = method(link_a)
        assert response.status_code == 400
        page = response.content.decode()
        assert "This unsubscribe link is no longer valid" in page
        assert "You subscribed to the digest again" in page
    after = subscription(user)
    assert (after.mode, after.next_digest_at, after.unsubscribed_at) == (
        Mode.WHEN_NEEDED,
        before.next_digest_at,
        None,
    )

    link_b = weekly_link(user, mailoutbox, clock)
    assert link_b != link_a
    assert client.get(link_b).status_code == 200  # the confirmation page
    assert client.post(link_b).status_code == 200
    assert subscription(user).mode == Mode.NEVER


def test_the_mail_clients_one_click_with_an_old_link_changes_nothing(user, mailoutbox, clock):
    link_a = weekly_link(user, mailoutbox, clock)
    Client().post(link_a)
    resubscribe(user, "always")
    response = Client(enforce_csrf_checks=True).post(
        link_a, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert subscription(user).mode == Mode.ALWAYS


def test_changing_how_often_or_where_keeps_the_link_working(user, mailoutbox, clock):
    link = weekly_link(user, mailoutbox, clock)
    client = Client()
    client.force_login(user)
    client.post(reverse("digests:preferences"), {"mode": "always", "time_zone": "Asia/Tokyo"})
    client.post(reverse("digests:preferences"), {"mode": "when_needed", "time_zone": ""})
    assert Client().post(link).status_code == 200
    assert subscription(user).mode == Mode.NEVER


def test_subscribing_again_in_the_admin_also_retires_the_old_links(user, mailoutbox, clock):
    link_a = weekly_link(user, mailoutbox, clock)
    Client().post(link_a)
    sub = subscription(user)
    staff = UserFactory(is_staff=True, is_superuser=True)
    admin = Client()
    admin.force_login(staff)
    url = reverse("admin:digests_digestsubscription_change", args=[sub.pk])
    response = admin.post(url, {"user": user.pk, "mode": "always", "time_zone": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    sub.refresh_from_db()
    assert sub.mode == Mode.ALWAYS and sub.resubscriptions == 1 and sub.unsubscribed_at is None
    assert Client().post(link_a).status_code == 400
    assert subscription(user).mode == Mode.ALWAYS


def test_a_link_made_before_the_count_existed_works_until_the_person_subscribes_again(user, clock):
    old = signing.dumps({"u": user.pk}, salt=tokens.SALT)  # the token of earlier digests
    url = reverse("digests:unsubscribe", args=[old])
    assert Client().get(url).status_code == 200
    assert Client().post(url).status_code == 200
    resubscribe(user)
    assert Client().post(url).status_code == 400
    assert subscription(user).mode == Mode.WHEN_NEEDED


@pytest.mark.parametrize("count", [-1, 1, "0", True, None])
def test_a_token_with_another_count_is_refused(user, count):
    token = signing.dumps({"u": user.pk, "r": count}, salt=tokens.SALT)
    response = Client().post(reverse("digests:unsubscribe", args=[token]))
    assert response.status_code == 400
    assert not DigestSubscription.objects.filter(mode=Mode.NEVER).exists()


def test_subscribing_again_while_an_old_link_is_read_wins(user, mailoutbox, clock, monkeypatch):
    link = weekly_link(user, mailoutbox, clock)
    Client().post(link)  # unsubscribed with it
    read = tokens.subscription_from_token

    def read_while_someone_subscribes_again(token):
        found = read(token)  # still unsubscribed, as the link was made for
        DigestSubscription.objects.filter(pk=found.pk).update(
            mode=Mode.ALWAYS, resubscriptions=1, unsubscribed_at=None
        )
        return found

    monkeypatch.setattr(tokens, "subscription_from_token", read_while_someone_subscribes_again)
    response = Client().post(link)
    assert response.status_code == 400
    assert "no longer valid" in response.content.decode()
    assert subscription(user).mode == Mode.ALWAYS
