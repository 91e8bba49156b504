"""An invitation from the team's page to the invitee signed in, in their team."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from opsmaturity.invitations.models import Invitation
from opsmaturity.teams.models import ChangeKind, Membership, MembershipChange, Role
from tests.invitations.helpers import link_in, parts, path_of, sent_to
from tests.teams.factories import UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()
PASSWORD = "a-long-and-unusual-passphrase"  # noqa: S105 - test only


def invite(client, team, emails, role=Role.MEMBER):
    return client.post(
        reverse("invitations:invite", args=[team.pk]),
        {"invite-emails": emails, "invite-role": role},
    )


def accept(client, url, **extra):
    data = {
        "first_name": "Noa",
        "last_name": "New",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **extra,
    }
    return client.post(path_of(url), data)


def test_a_manager_invites_and_the_invitee_lands_signed_in_in_the_team(
    client, team, manager, settings
):
    settings.SITE_URL = "https://ops.example.com"
    client.force_login(manager)
    response = invite(client, team, "noa@example.com", Role.MANAGER)
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == ["noa@example.com"]
    assert message.subject == "Mika Morita invites you to Billing on Ops Maturity"
    text, html = parts(message)
    assert "as Manager" in text and "7 days" in text
    assert 'style="' in html  # the stylesheet inlined
    url = link_in(message)
    assert url.startswith("https://ops.example.com/invitations/accept/")
    page = client.get(reverse("teams:detail", args=[team.pk])).content.decode()
    assert "noa@example.com" in page  # pending, with resend and revoke

    client.logout()
    form_page = client.get(path_of(url))
    assert form_page.status_code == 200
    assert "Sign in with SSO" not in form_page.content.decode()
    response = accept(client, url)
    assert response.status_code == 302
    assert response["Location"] == reverse("teams:detail", args=[team.pk])
    person = User.objects.get(email="noa@example.com")
    assert person.get_full_name() == "Noa New"
    assert person.check_password(PASSWORD)
    assert Membership.objects.get(team=team, user=person).role == Role.MANAGER
    # signed in as the newcomer: their team's page opens
    landing = client.get(response["Location"])
    assert landing.status_code == 200
    assert landing.context["user"] == person
    assert "You sign in with your email address" in landing.content.decode()
    change = MembershipChange.objects.get(kind=ChangeKind.JOINED)
    assert change.person == person and change.to_role == Role.MANAGER
    # they can sign in again with their address and password
    client.logout()
    signed_in = client.post(reverse("login"), {"username": "noa@example.com", "password": PASSWORD})
    assert signed_in.status_code == 302


@pytest.mark.parametrize("enabled", [True, False])
def test_the_sso_button_shows_only_when_sso_is_configured(client, team, manager, settings, enabled):
    settings.ROOT_URLCONF = "tests.invitations.sso_urls"
    settings.OIDC_ENABLED = enabled
    client.force_login(manager)
    invite(client, team, "noa@example.com")
    url = link_in(mail.outbox[0])
    client.logout()
    page = client.get(path_of(url)).content.decode()
    assert ("Sign in with SSO" in page) == enabled
    if enabled:
        assert "/oidc/authenticate/?next=%2Finvitations%2Faccept%2F" in page


def test_a_bad_password_or_name_is_said_at_the_field_and_nothing_is_made(client, team, manager):
    client.force_login(manager)
    invite(client, team, "noa@example.com")
    url = link_in(mail.outbox[0])
    client.logout()
    response = accept(client, url, first_name="", password1="1234", password2="1234")
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "first_name" in errors and "password1" in errors
    response = accept(client, url, password2="something-else-entirely")
    assert response.context["form"].errors["password2"] == ["The two passwords differ."]
    assert not User.objects.filter(email="noa@example.com").exists()
    assert Invitation.objects.get().accepted_at is None


def test_inviting_someone_who_has_an_account_adds_them_and_tells_them(client, team, manager):
    person = UserFactory(username="kai", email="Kai@Example.com", first_name="Kai", last_name="Ito")
    client.force_login(manager)
    response = invite(client, team, "kai@example.com")
    assert response.status_code == 302
    assert Membership.objects.get(team=team, user=person).role == Role.MEMBER
    assert not Invitation.objects.exists()
    (message,) = mail.outbox
    assert message.to == ["Kai@Example.com"]
    assert "You are now in Billing" in message.subject
    text, _html = parts(message)
    assert "Mika Morita added you to Billing" in text
    assert f"/teams/{team.pk}/" in text
    page = client.get(reverse("teams:detail", args=[team.pk])).content.decode()
    assert "Mika Morita added Kai Ito as Member." in page


def test_an_account_made_before_accepting_is_asked_to_sign_in(client, team, manager):
    client.force_login(manager)
    invite(client, team, "noa@example.com")
    url = link_in(mail.outbox[0])
    client.logout()
    person = UserFactory(username="noa", email="noa@example.com")
    response = accept(client, url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert User.objects.filter(email__iexact="noa@example.com").count() == 1
    # signed in with that account, the link adds them
    client.force_login(person)
    page = client.get(path_of(url))
    assert page.status_code == 200 and page.context["matches"]
    response = client.post(path_of(url))
    assert response.status_code == 302
    assert Membership.objects.filter(team=team, user=person, role=Role.MEMBER).exists()


def test_someone_signed_in_as_another_person_is_told_to_sign_out(client, team, manager, member):
    client.force_login(manager)
    invite(client, team, "noa@example.com")
    url = link_in(mail.outbox[0])
    client.force_login(member)
    response = client.post(path_of(url))
    assert response.status_code == 200
    assert "this invitation is for noa@example.com" in response.content.decode()
    assert Invitation.objects.get().accepted_at is None


def test_resend_sends_a_new_link_and_the_old_one_stops_working(client, team, manager):
    client.force_login(manager)
    invite(client, team, "noa@example.com")
    first = link_in(mail.outbox[0])
    invitation = Invitation.objects.get()
    response = client.post(reverse("invitations:resend", args=[invitation.pk]))
    assert response.status_code == 302
    assert len(sent_to("noa@example.com")) == 2
    second = link_in(mail.outbox[1])
    assert first != second
    client.logout()
    assert client.get(path_of(first)).status_code == 404
    assert client.get(path_of(second)).status_code == 200
    assert Invitation.objects.get().send_count == 2


def test_inviting_the_same_address_again_renews_the_invitation(client, team, manager):
    client.force_login(manager)
    invite(client, team, "noa@example.com")
    Invitation.objects.update(expires_at=timezone.now() - dt.timedelta(days=1))
    response = invite(client, team, "NOA@example.com", Role.MANAGER)
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.role == Role.MANAGER
    assert invitation.expires_at > timezone.now() + dt.timedelta(days=6)
    assert len(mail.outbox) == 2


def test_revoked_invitations_leave_the_list_and_their_link_is_refused(client, team, manager):
    client.force_login(manager)
    invite(client, team, "noa@example.com")
    url = link_in(mail.outbox[0])
    invitation = Invitation.objects.get()
    client.post(reverse("invitations:revoke", args=[invitation.pk]))
    page = client.get(reverse("teams:detail", args=[team.pk])).content.decode()
    assert "No invitation waiting." in page
    assert "Mika Morita revoked the invitation to noa@example.com." in page
    client.logout()
    response = client.get(path_of(url))
    assert response.status_code == 410
    assert "This invitation was withdrawn" in response.content.decode()
    # and revoking twice is told, not a 500
    client.force_login(manager)
    response = client.post(reverse("invitations:revoke", args=[invitation.pk]), follow=True)
    assert "no longer open" in response.content.decode()


def test_an_email_that_cannot_be_sent_keeps_the_invitation_to_resend(
    client, team, manager, monkeypatch
):
    from django.core.mail.message import EmailMessage

    def fail(self, *args, **kwargs):
        raise OSError("SMTP down")

    monkeypatch.setattr(EmailMessage, "send", fail)
    client.force_login(manager)
    response = invite(client, team, "noa@example.com")
    assert response.status_code == 302
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("could not be sent" in m for m in messages)
    assert Invitation.objects.filter(email="noa@example.com").exists()


def test_the_invitation_lasts_the_days_of_the_setting(client, team, manager, settings):
    settings.INVITATION_DAYS = 2
    client.force_login(manager)
    invite(client, team, "noa@example.com")
    invitation = Invitation.objects.get()
    assert invitation.expires_at - invitation.sent_at == dt.timedelta(days=2)
    assert "2 days" in parts(mail.outbox[0])[0]
