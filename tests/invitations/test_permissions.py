"""Every view of invitations that changes data, against every role. One table."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from opsmaturity.invitations import services
from opsmaturity.invitations.models import Invitation
from opsmaturity.teams.models import Role
from tests.permission_table import ALLOWED, DENIED, LOGIN, assert_outcome, cases
from tests.teams.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    team, other = TeamFactory(name="Billing"), TeamFactory(name="Risk")
    users = {
        "outsider": UserFactory(username="outsider"),
        "member": UserFactory(username="member"),
        "manager": UserFactory(username="manager"),
        "staff": UserFactory(username="staff", is_staff=True),
    }
    MembershipFactory(user=users["outsider"], team=other, role=Role.MANAGER)
    MembershipFactory(user=users["member"], team=team, role=Role.MEMBER)
    MembershipFactory(user=users["manager"], team=team, role=Role.MANAGER)
    services.invite(team, "pending@example.com", role=Role.MEMBER, by=users["manager"])
    mail.outbox.clear()
    return {"team": team, "users": users, "invitation": Invitation.objects.get()}


def invite_member(world):
    return (
        reverse("invitations:invite", args=[world["team"].pk]),
        {"invite-emails": "noa@example.com", "invite-role": Role.MEMBER},
        Invitation.objects.filter(email="noa@example.com").exists,
    )


def invite_manager(world):
    """Managers may invite managers to their own team; members invite nobody."""
    return (
        reverse("invitations:invite", args=[world["team"].pk]),
        {"invite-emails": "lead@example.com", "invite-role": Role.MANAGER},
        Invitation.objects.filter(email="lead@example.com", role=Role.MANAGER).exists,
    )


def resend(world):
    invitation = world["invitation"]
    return (
        reverse("invitations:resend", args=[invitation.pk]),
        {},
        lambda: Invitation.objects.get(pk=invitation.pk).send_count == 2 and len(mail.outbox) == 1,
    )


def revoke(world):
    invitation = world["invitation"]
    return (
        reverse("invitations:revoke", args=[invitation.pk]),
        {},
        Invitation.objects.filter(pk=invitation.pk, revoked_at__isnull=False).exists,
    )


TABLE = {
    #                 anonymous outsider member  manager  staff
    invite_member: [LOGIN, DENIED, DENIED, ALLOWED, ALLOWED],
    invite_manager: [LOGIN, DENIED, DENIED, ALLOWED, ALLOWED],
    resend: [LOGIN, DENIED, DENIED, ALLOWED, ALLOWED],
    revoke: [LOGIN, DENIED, DENIED, ALLOWED, ALLOWED],
}


@pytest.mark.parametrize(("action", "role", "expected"), cases(TABLE))
def test_who_may_invite(client, world, action, role, expected):
    assert_outcome(client, world, action, role, expected)
    if expected != ALLOWED:
        assert not mail.outbox


def test_nobody_invites_to_an_archived_team(client, world):
    from opsmaturity.teams.services import set_archived

    set_archived(world["team"], archived=True, by=world["users"]["staff"])
    for role in ("manager", "staff"):
        client.force_login(world["users"][role])
        url, data, happened = invite_member(world)
        assert client.post(url, data).status_code == 403
        assert not happened()


@pytest.mark.parametrize("role", ["outsider", "member", "manager", "staff"])
def test_tampered_ids_are_a_404_never_a_500(client, world, role):
    client.force_login(world["users"][role])
    for name in ("invitations:resend", "invitations:revoke"):
        assert client.post(reverse(name, args=[10**12])).status_code == 404
    assert client.post(reverse("invitations:invite", args=[10**12]), {}).status_code == 404
    assert (
        client.get(reverse("invitations:resend", args=[world["invitation"].pk])).status_code == 405
    )


def test_the_invitation_section_is_for_the_teams_managers(client, world):
    url = reverse("teams:detail", args=[world["team"].pk])
    client.force_login(world["users"]["member"])
    response = client.get(url)
    assert response.context["invitations"] == []
    assert "Waiting for an answer" not in response.content.decode()
    client.force_login(world["users"]["manager"])
    response = client.get(url)
    assert [i.email for i in response.context["invitations"]] == ["pending@example.com"]
    assert "Waiting for an answer" in response.content.decode()


@pytest.mark.parametrize("role", ["anonymous", "outsider", "member", "manager", "staff"])
def test_accepting_makes_an_account_only_for_someone_signed_out(client, world, role):
    """The link's form makes a new account; anyone signed in is asked to sign out
    (unless the invitation names their own address), and nothing changes."""
    from tests.invitations.helpers import link_in, path_of

    services.resend(world["invitation"], by=world["users"]["manager"])
    url = path_of(link_in(mail.outbox[-1]))
    if role != "anonymous":
        client.force_login(world["users"][role])
    password = "a-long-and-unusual-passphrase"
    data = {"first_name": "Pat", "password1": password, "password2": password}
    response = client.post(url, data)
    made = get_user_model().objects.filter(email="pending@example.com").exists()
    if role == "anonymous":
        assert response.status_code == 302 and made
    else:
        assert response.status_code == 200 and not made
        assert Invitation.objects.get().accepted_at is None
