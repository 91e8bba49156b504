"""Pasting many addresses: each good one invited, each bad one reported at the field."""

import pytest
from django.core import mail
from django.urls import reverse

from opsmaturity.invitations.models import Invitation
from opsmaturity.invitations.services import MAX_BATCH, split_addresses
from opsmaturity.teams.models import Membership, Role
from tests.teams.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_addresses_are_split_on_commas_spaces_and_lines():
    good, bad = split_addresses(
        "a@example.com, b@example.com\nc@EXAMPLE.com;  <d@example.com>\n\nA@example.com"
    )
    assert good == ["a@example.com", "b@example.com", "c@example.com", "d@example.com"]
    assert bad == []
    assert split_addresses("nobody, x@, @y.com, ok@example.com") == (
        ["ok@example.com"],
        ["nobody", "x@", "@y.com"],
    )


def test_a_batch_sends_the_good_and_reports_the_bad(client, team, manager, member):
    UserFactory(username="gone", email="gone@example.com", is_active=False)
    client.force_login(manager)
    pasted = (
        "noa@example.com, kai@example.com\nnot-an-address\nann@example.com gone@example.com "
        "noa@example.com bad@@example.com"
    )
    response = client.post(
        reverse("invitations:invite", args=[team.pk]),
        {"invite-emails": pasted, "invite-role": Role.MEMBER},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["emails"] == [
        "These are not email addresses: not-an-address, bad@@example.com"
    ]
    # only the bad ones stay in the field, to be corrected
    assert form["emails"].value() == "not-an-address\nbad@@example.com"
    assert sorted(m.to[0] for m in mail.outbox) == ["kai@example.com", "noa@example.com"]
    assert set(Invitation.objects.values_list("email", flat=True)) == {
        "kai@example.com",
        "noa@example.com",
    }
    page = response.content.decode()
    assert "Invitations sent to noa@example.com, kai@example.com." in page
    assert "ann@example.com is already in the team." in page
    assert "gone@example.com belongs to someone who has left; not invited." in page
    assert not Membership.objects.filter(user__email="gone@example.com").exists()


def test_only_bad_addresses_send_nothing(client, team, manager):
    client.force_login(manager)
    response = client.post(
        reverse("invitations:invite", args=[team.pk]),
        {"invite-emails": "nobody", "invite-role": Role.MEMBER},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["emails"]
    assert not mail.outbox and not Invitation.objects.exists()


@pytest.mark.parametrize("pasted", ["", "   \n , ", "\x00@example.com"])
def test_nothing_to_invite_is_said_at_the_field(client, team, manager, pasted):
    client.force_login(manager)
    response = client.post(
        reverse("invitations:invite", args=[team.pk]),
        {"invite-emails": pasted, "invite-role": Role.MEMBER},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["emails"]
    assert not Invitation.objects.exists()


def test_too_many_addresses_at_once_are_refused(client, team, manager):
    client.force_login(manager)
    pasted = " ".join(f"p{n}@example.com" for n in range(MAX_BATCH + 1))
    response = client.post(
        reverse("invitations:invite", args=[team.pk]),
        {"invite-emails": pasted, "invite-role": Role.MEMBER},
    )
    assert response.status_code == 200
    assert "At most 100 addresses" in response.context["form"].errors["emails"][0]
    assert not mail.outbox


def test_a_role_that_does_not_exist_is_refused(client, team, manager):
    client.force_login(manager)
    response = client.post(
        reverse("invitations:invite", args=[team.pk]),
        {"invite-emails": "noa@example.com", "invite-role": "owner"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["role"]
    assert not Invitation.objects.exists()
