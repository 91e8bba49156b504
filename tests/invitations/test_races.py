"""The same link followed twice at once, and the same address invited twice at once, on
PostgreSQL with real concurrent connections: one account, one membership, one invitation."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from opsmaturity.invitations import services
from opsmaturity.invitations.models import Invitation
from opsmaturity.teams.models import Membership, Role
from tests.conftest import requires_postgres
from tests.invitations.helpers import link_in, path_of
from tests.operations.test_races import all_at_once
from tests.teams.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-and-unusual-passphrase"  # noqa: S105 - test only


def test_one_link_submitted_from_eight_tabs_at_once_makes_one_account():
    team = TeamFactory(name="Billing")
    manager = UserFactory(username="mika")
    MembershipFactory(user=manager, team=team, role=Role.MANAGER)
    services.invite(team, "noa@example.com", role=Role.MEMBER, by=manager)
    link = path_of(link_in(mail.outbox[0]))
    clients = [Client(raise_request_exception=False) for _ in range(8)]

    def accept(index, client):
        data = {"first_name": f"Noa {index}", "password1": PASSWORD, "password2": PASSWORD}
        return client.post(link, data)

    statuses = all_at_once(clients, accept)
    assert 500 not in statuses, statuses
    assert statuses.count(302) == 1, statuses
    assert get_user_model().objects.filter(email__iexact="noa@example.com").count() == 1
    assert Membership.objects.filter(team=team, user__email="noa@example.com").count() == 1


def test_one_address_invited_by_five_managers_at_once_is_one_invitation():
    team = TeamFactory(name="Billing")
    clients = []
    for i in range(5):
        user = UserFactory(username=f"lead{i}")
        MembershipFactory(user=user, team=team, role=Role.MANAGER)
        client = Client(raise_request_exception=False)
        client.force_login(user)
        clients.append(client)
    url = reverse("invitations:invite", args=[team.pk])

    def invite(index, client):
        return client.post(url, {"invite-emails": "noa@example.com", "invite-role": Role.MEMBER})

    statuses = all_at_once(clients, invite)
    assert statuses == [302] * 5, statuses
    assert Invitation.objects.filter(team=team).count() == 1
    # the first sent it, the others sent it again: only the last link works
    assert Invitation.objects.get().send_count == 5
