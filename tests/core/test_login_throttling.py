"""Sign-in throttling (django-axes): guessing a password gets nowhere.

Failures count per username and address together, in the database; the pause
lasts AXES_COOLOFF_MINUTES after the last failure; staff can lift it.
"""

import datetime as dt

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from opsmaturity.core.security import client_address
from opsmaturity.teams.models import Role
from tests.core.test_settings import settings_in_subprocess
from tests.teams.factories import PASSWORD, MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.9"
COLLEAGUE = "198.51.100.7"


@pytest.fixture
def mika():
    return UserFactory(username="mika")


def sign_in(client, username, password, address="127.0.0.1", **headers):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        **headers,
    )


def signed_in_as(client):
    return client.get(reverse("digests:preferences")).wsgi_request.user.username or None


def guess(client, username, times, address="127.0.0.1"):
    for attempt in range(times):
        response = sign_in(client, username, f"guess-{attempt}", address)
        assert response.status_code in (200, 429)
    return response


def test_fifty_wrong_passwords_then_the_right_one_is_refused(client, mika):
    guess(client, "mika", 50)
    response = sign_in(client, "mika", PASSWORD)
    assert response.status_code == 429
    page = response.content.decode()
    assert "Sign-in paused" in page
    assert "The password for “mika” was wrong 5 times in a row from your address" in page
    assert "Try again in 15 minutes" in page
    assert reverse("login") in page, "a way back to the sign-in page"
    assert signed_in_as(client) is None


def test_the_pause_begins_at_the_limit_not_before(client, mika, settings):
    settings.AXES_FAILURE_LIMIT = 3
    assert guess(client, "mika", 2).status_code == 200, "two failures: the form again"
    assert guess(client, "mika", 1).status_code == 429, "the third failure pauses"


def test_after_the_cool_off_the_right_password_works(client, mika):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        guess(client, "mika", 50)
    with time_machine.travel(start + dt.timedelta(minutes=14), tick=False):
        assert sign_in(client, "mika", PASSWORD).status_code == 429
    # That refused attempt started the wait again.
    with time_machine.travel(start + dt.timedelta(minutes=28), tick=False):
        assert sign_in(client, "mika", PASSWORD).status_code == 429
    with time_machine.travel(start + dt.timedelta(minutes=44), tick=False):
        response = sign_in(client, "mika", PASSWORD)
        assert response.status_code == 302
        assert signed_in_as(client) == "mika"


def test_someone_elses_failures_from_the_same_address_lock_only_their_username(client, mika):
    UserFactory(username="ann")
    guess(client, "ann", 50)
    assert sign_in(client, "mika", PASSWORD).status_code == 302
    assert signed_in_as(client) == "mika"


def test_the_same_username_from_another_address_is_not_locked(client, mika):
    guess(client, "mika", 50, address=ATTACKER)
    assert sign_in(client, "mika", PASSWORD, address=COLLEAGUE).status_code == 302
    assert signed_in_as(client) == "mika"


def test_a_username_nobody_has_is_throttled_the_same(client):
    """The answer does not tell an account that exists from one that does not."""
    assert guess(client, "nobody", 5).status_code == 429


def test_failures_are_counted_in_the_database(client, mika):
    guess(client, "mika", 3)
    attempt = AccessAttempt.objects.get(username="mika")
    assert attempt.failures_since_start == 3 and attempt.ip_address == "127.0.0.1"
    assert sign_in(client, "mika", PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username="mika").exists(), "a success starts over"


def test_the_lockout_page_speaks_japanese(client, mika):
    guess(client, "mika", 5)
    response = sign_in(client, "mika", PASSWORD, HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 429
    page = response.content.decode()
    assert "ログインを一時停止しました" in page
    assert "15 分後" in page


# --- Staff lift the pause; managers never see the records ---------------------------


def test_staff_lift_the_pause_in_the_admin(client, mika):
    guess(client, "mika", 5)
    staff = UserFactory(username="root", is_staff=True, is_superuser=True)
    admin_client = client.__class__()
    admin_client.force_login(staff)
    listing = admin_client.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and "mika" in listing.content.decode()
    assert "Access attempts" in admin_client.get("/admin/").content.decode()
    attempt = AccessAttempt.objects.get(username="mika")
    response = admin_client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert sign_in(client, "mika", PASSWORD).status_code == 302


def test_staff_lift_the_pause_from_the_command_line(client, mika):
    guess(client, "mika", 5)
    call_command("axes_reset_username", "mika")
    assert sign_in(client, "mika", PASSWORD).status_code == 302


@pytest.mark.parametrize("granted", [False, True])
def test_a_manager_browsing_the_admin_never_sees_the_sign_in_records(client, mika, granted):
    manager = UserFactory(username="boss")
    MembershipFactory(user=manager, team=TeamFactory(), role=Role.MANAGER)
    if granted:  # even a permission given by mistake does not open them
        manager.user_permissions.add(*Permission.objects.filter(content_type__app_label="axes"))
    guess(client, "mika", 5)
    client.force_login(manager)
    index = client.get("/admin/")
    assert index.status_code == 200
    assert "Access attempts" not in index.content.decode()
    assert "axes" not in index.content.decode()
    attempt = AccessAttempt.objects.get(username="mika")
    for path in (
        "/admin/axes/accessattempt/",
        f"/admin/axes/accessattempt/{attempt.pk}/change/",
        "/admin/axes/accesslog/",
        "/admin/axes/accessfailurelog/",
    ):
        assert client.get(path).status_code == 403, path
    assert client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/").status_code == 403
    assert AccessAttempt.objects.filter(username="mika").exists()


# --- Which address counts -------------------------------------------------------------


def request_from(remote, forwarded=None):
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/accounts/login/", **headers)


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_address(request_from(ATTACKER, "10.9.9.9")) == ATTACKER


@pytest.mark.parametrize(
    "forwarded, expected",
    [
        (COLLEAGUE, COLLEAGUE),
        # The client wrote the left part itself; the proxy appended what it saw.
        (f"1.1.1.1, {COLLEAGUE}", COLLEAGUE),
        ("", "172.17.0.1"),
        ("not-an-address", "172.17.0.1"),
        (None, "172.17.0.1"),
    ],
)
def test_behind_one_trusted_proxy_its_entry_counts(settings, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_address(request_from("172.17.0.1", forwarded)) == expected


def test_behind_two_trusted_proxies_the_outer_ones_entry_counts(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    chain = f"1.1.1.1, {COLLEAGUE}, 10.0.0.5"
    assert client_address(request_from("10.0.0.6", chain)) == COLLEAGUE
    assert client_address(request_from("10.0.0.6", "10.0.0.5")) == "10.0.0.6"


def test_spoofing_x_forwarded_for_does_not_escape_the_pause(client, mika, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    for attempt in range(5):
        sign_in(client, "mika", "guess", address=ATTACKER, HTTP_X_FORWARDED_FOR=f"10.0.0.{attempt}")
    response = sign_in(client, "mika", PASSWORD, address=ATTACKER, HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert response.status_code == 429


def test_behind_a_proxy_people_are_told_apart_by_its_header(client, mika, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    guess_from_proxy = {"address": "172.17.0.1", "HTTP_X_FORWARDED_FOR": ATTACKER}
    for attempt in range(5):
        sign_in(client, "mika", f"guess-{attempt}", **guess_from_proxy)
    colleague = {"address": "172.17.0.1", "HTTP_X_FORWARDED_FOR": COLLEAGUE}
    assert sign_in(client, "mika", PASSWORD, **colleague).status_code == 302


# --- Configuration ------------------------------------------------------------------


def test_the_limit_and_the_cool_off_come_from_the_environment():
    key = "throttling-test-only-secret-key-never-used-in-production"
    result = settings_in_subprocess(
        {"SECRET_KEY": key, "AXES_FAILURE_LIMIT": "3", "AXES_COOLOFF_MINUTES": "30"},
        "s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME, s.TRUSTED_PROXY_COUNT",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "3 0:30:00 0"
    result = settings_in_subprocess(
        {"SECRET_KEY": key, "TRUST_X_FORWARDED_PROTO": "true"}, "s.TRUSTED_PROXY_COUNT"
    )
    assert result.stdout.strip() == "1", "a proxy trusted for the scheme is one in front"
    result = settings_in_subprocess({"SECRET_KEY": key, "AXES_FAILURE_LIMIT": "0"}, "1")
    assert result.returncode != 0 and "AXES_FAILURE_LIMIT must be at least 1" in result.stderr
