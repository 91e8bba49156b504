"""A link that was changed, has expired, was revoked or is used a second time is
refused with a page that says what to do: never a 500, nothing made."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from opsmaturity.invitations import services
from opsmaturity.invitations.models import Invitation
from opsmaturity.invitations.tokens import make_token
from opsmaturity.teams.models import Membership, Role
from tests.invitations.helpers import link_in, path_of

pytestmark = pytest.mark.django_db
User = get_user_model()
PASSWORD = "a-long-and-unusual-passphrase"  # noqa: S105 - test only
FORM = {"first_name": "Noa", "last_name": "", "password1": PASSWORD, "password2": PASSWORD}


@pytest.fixture
def link(team, manager):
    services.invite(team, "noa@example.com", role=Role.MEMBER, by=manager)
    return path_of(link_in(mail.outbox[0]))


def tampered(path):
    token = path.rstrip("/").rsplit("/", 1)[1]
    changed = token[:-1] + ("A" if token[-1] != "A" else "B")
    return reverse("invitations:accept", args=[changed])


@pytest.mark.parametrize(
    "token",
    [
        "nonsense",
        "x" * 5000,
        "WzEsImFiYyJd:1xYYvv:forged",
        "%00",
        "eyJhbGciOiJub25lIn0.e30.",
    ],
)
def test_a_link_we_did_not_sign_is_refused(client, token):
    for method in (client.get, client.post):
        response = method(f"/invitations/accept/{token}/", FORM)
        assert response.status_code == 404
        assert "This invitation link is not valid" in response.content.decode()
    assert not User.objects.exists()


def test_a_changed_character_is_refused(client, link):
    response = client.post(tampered(link), FORM)
    assert response.status_code == 404
    assert "not valid" in response.content.decode()
    assert not User.objects.filter(email="noa@example.com").exists()


def test_a_signed_link_to_an_invitation_that_does_not_exist_is_refused(client, team, manager):
    ghost = Invitation(pk=10**12, nonce="x")
    response = client.get(reverse("invitations:accept", args=[make_token(ghost)]))
    assert response.status_code == 404


def test_an_expired_link_is_refused_with_whom_to_ask(client, link):
    Invitation.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = client.post(link, FORM)
    assert response.status_code == 410
    page = response.content.decode()
    assert "This invitation has expired" in page and "Ask Mika Morita" in page
    assert not User.objects.filter(email="noa@example.com").exists()


def test_a_link_used_twice_works_once(client, link, team):
    assert client.post(link, FORM).status_code == 302
    client.logout()
    response = client.post(link, {**FORM, "first_name": "Mallory"})
    assert response.status_code == 410
    assert "already been accepted" in response.content.decode()
    assert User.objects.filter(email="noa@example.com").count() == 1
    assert Membership.objects.filter(team=team, user__email="noa@example.com").count() == 1


def test_a_link_used_while_the_form_was_open_is_refused(client, link, team):
    """Accepted meanwhile (in another tab): the second submission is refused by the
    row's lock, not by the page it started from."""
    state, invitation = services.look_up(link.rstrip("/").rsplit("/", 1)[1])
    assert state == services.OPEN
    services.accept_new(invitation, first_name="Noa", last_name="", password=PASSWORD)
    with pytest.raises(services.InvitationRefused):
        services.accept_new(invitation, first_name="Noa", last_name="", password=PASSWORD)
    assert User.objects.filter(email="noa@example.com").count() == 1


def test_a_revoked_link_is_refused(client, link, manager):
    services.revoke(Invitation.objects.get(), by=manager)
    response = client.get(link)
    assert response.status_code == 410
    assert "withdrawn" in response.content.decode()


def test_the_link_page_is_not_cached(client, link):
    assert "no-cache" in client.get(link)["Cache-Control"]
