"""The digest's pages: the preview, the preferences and the one-click unsubscribe."""

import datetime as dt
import re

import pytest
import time_machine
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from opsmaturity.digests import tokens
from opsmaturity.digests.models import DigestDelivery, DigestSubscription, Mode
from tests.digests.world import SITE, parse, send_to
from tests.teams.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE
    settings.TIME_ZONE = "UTC"
    settings.LANGUAGE_CODE = "en"


# --- preview ------------------------------------------------------------------------


def preview(client, viewer=None, **params):
    if viewer is not None:
        client.force_login(viewer)
    return client.get(reverse("digests:preview"), params)


def test_preview_needs_sign_in(client):
    response = preview(client)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_preview_shows_my_digest_as_it_would_be_sent_and_writes_nothing(client, world):
    response = preview(client, world["owner"])
    assert response.status_code == 200
    page = response.content.decode()
    assert "3 operations need you this week" in page
    assert "List-Unsubscribe" in page and "Refund desk" in page
    # the email sits in a sandboxed frame of its own response (which has its own CSP)
    assert 'sandbox="allow-popups' in page and 'src="?format=html"' in page
    assert "<script" not in response.context["rendered"].html
    assert not DigestSubscription.objects.exists() and not DigestDelivery.objects.exists()
    # the HTML alone, and the text
    alone = preview(client, format="html").content.decode()
    assert alone.lstrip().lower().startswith("<!doctype html>")
    assert "Refund desk" in preview(client, format="text").content.decode()
    # my own id is mine
    assert preview(client, user=world["owner"].pk).status_code == 200


def test_the_digest_has_a_place_in_the_nav(client, world):
    client.force_login(world["owner"])
    page = client.get(reverse("operations:list")).content.decode()
    assert f'<a href="{reverse("digests:preview")}">Weekly digest</a>' in page
    on_it = preview(client).content.decode()
    assert f'<a href="{reverse("digests:preview")}" aria-current="page">Weekly digest</a>' in on_it


@pytest.mark.parametrize("role", ["member", "manager"])
def test_preview_of_someone_else_is_refused_to_non_staff(client, world, role):
    viewer = world["idle"] if role == "member" else world["manager"]
    target = world["owner"]
    assert preview(client, viewer, user=target.pk).status_code == 403
    assert preview(client, user=999999).status_code == 403  # existence is not revealed
    assert preview(client, user="abc").status_code == 403


def test_staff_can_preview_anyones_digest(client, world):
    staff = UserFactory(is_staff=True)
    response = preview(client, staff, user=world["owner"].pk)
    assert response.status_code == 200
    assert response.context["target"] == world["owner"]
    page = response.content.decode()
    assert "3 operations need you this week" in page
    # the person is chosen by name, the one shown selected; no "user number" to know
    owner = world["owner"]
    assert f'<option value="{owner.pk}" selected>{owner.get_full_name()}</option>' in page
    assert "user number" not in page
    # the mail headers are there for a mail administrator, folded away
    assert re.search(r"<details[^>]*>\s*<summary>Technical headers", page)
    assert preview(client, user=999999).status_code == 404
    assert preview(client, user="abc").status_code == 404


def test_preview_says_why_a_digest_would_not_be_sent(client, world):
    response = preview(client, world["idle"])
    assert response.context["rendered"].would_send is False
    assert "only when something does" in response.content.decode()


# --- preferences ---------------------------------------------------------------------


def test_preferences_need_sign_in(client):
    url = reverse("digests:preferences")
    for response in (client.get(url), client.post(url, {"mode": "never"})):
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert not DigestSubscription.objects.exists()


def test_preferences_save_mode_and_time_zone_and_move_the_next_digest(client, world):
    user = world["owner"]
    client.force_login(user)
    assert client.get(reverse("digests:preferences")).status_code == 200
    response = client.post(
        reverse("digests:preferences"), {"mode": "always", "time_zone": "asia/tokyo"}
    )
    assert response.status_code == 302
    sub = DigestSubscription.objects.get(user=user)
    assert (sub.mode, sub.time_zone) == (Mode.ALWAYS, "Asia/Tokyo")
    # Monday 09:00 in Tokyo is Monday 00:00 UTC
    assert sub.next_digest_at == dt.datetime(2026, 3, 2, 0, 0, tzinfo=dt.UTC)
    page = client.get(reverse("digests:preferences")).content.decode()
    assert "Saved. Your next digest" in page and "Asia/Tokyo" in page

    client.post(reverse("digests:preferences"), {"mode": "never", "time_zone": ""})
    sub.refresh_from_db()
    assert sub.mode == Mode.NEVER and sub.next_digest_at is None and sub.unsubscribed_at


def test_a_bad_time_zone_gets_a_message_and_saves_nothing(client, world):
    client.force_login(world["owner"])
    response = client.post(
        reverse("digests:preferences"), {"mode": "always", "time_zone": "Mars/Olympus"}
    )
    assert response.status_code == 400
    assert "“Mars/Olympus” is not a time zone we know" in response.content.decode()
    assert 'value="Mars/Olympus"' in response.content.decode()  # what was typed stays
    assert not DigestSubscription.objects.exists()
    response = client.post(reverse("digests:preferences"), {"mode": "sometimes"})
    assert response.status_code == 400 and not DigestSubscription.objects.exists()


# --- unsubscribe ----------------------------------------------------------------------


def unsubscribe_url(token):
    return reverse("digests:unsubscribe", args=[token])


def test_unsubscribe_get_confirms_and_does_not_unsubscribe(client, world):
    user = world["owner"]
    response = client.get(unsubscribe_url(tokens.make_token(user)))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'method="post"' in page and user.email in page
    assert not DigestSubscription.objects.filter(mode=Mode.NEVER).exists()


def test_one_click_post_unsubscribes_without_sign_in_or_csrf(world, mailoutbox):
    user = world["owner"]
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        unsubscribe_url(tokens.make_token(user)),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    sub = DigestSubscription.objects.get(user=user)
    assert sub.mode == Mode.NEVER and sub.next_digest_at is None
    # and again: still fine
    assert client.post(unsubscribe_url(tokens.make_token(user))).status_code == 200
    assert send_to(user, mailoutbox) == []


def test_the_link_in_the_email_unsubscribes(world, mailoutbox, client):
    (message,) = send_to(world["owner"], mailoutbox)
    link = re.fullmatch(r"<(.+)>", parse(message)["List-Unsubscribe"].strip()).group(1)
    assert client.post(link.removeprefix(SITE)).status_code == 200
    assert DigestSubscription.objects.get(user=world["owner"]).mode == Mode.NEVER


def test_a_tampered_token_is_refused_with_a_clear_page(client, world):
    token = tokens.make_token(world["owner"])
    payload, timestamp, signature = token.split(":")
    other = tokens.make_token(world["manager"]).split(":")[0]
    wrong_salt = signing.dumps({"u": world["owner"].pk})
    for bad in (
        f"{other}:{timestamp}:{signature}",  # someone else's user id
        f"{payload}:{timestamp}:{signature[:-2]}xx",
        "garbage",
        wrong_salt,
    ):
        for method in (client.get, client.post):
            response = method(unsubscribe_url(bad))
            assert response.status_code == 400, bad
            assert "not valid" in response.content.decode()
    assert not DigestSubscription.objects.filter(mode=Mode.NEVER).exists()


def test_an_expired_token_is_refused(client, world):
    token = tokens.make_token(world["owner"])
    with time_machine.travel(timezone.now() + dt.timedelta(days=91)):
        response = client.post(unsubscribe_url(token))
    assert response.status_code == 400
    assert "has expired" in response.content.decode()
    with time_machine.travel(timezone.now() + dt.timedelta(days=89)):
        assert client.post(unsubscribe_url(token)).status_code == 200


def test_a_token_of_a_deleted_user_is_refused(client):
    user = UserFactory()
    token = tokens.make_token(user)
    user.delete()
    assert client.get(unsubscribe_url(token)).status_code == 400
