"""Managers changing a team's people at the same moment, on PostgreSQL with real
concurrent connections: the team keeps a manager whatever the interleaving."""

import pytest
from django.test import Client
from django.urls import reverse

from opsmaturity.teams.models import Membership, MembershipChange, Role
from tests.conftest import requires_postgres
from tests.operations.test_races import all_at_once
from tests.teams.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def managers(team, count):
    pairs = []
    for i in range(count):
        user = UserFactory(username=f"lead{i}")
        membership = MembershipFactory(user=user, team=team, role=Role.MANAGER)
        client = Client(raise_request_exception=False)
        client.force_login(user)
        pairs.append((client, membership))
    return pairs


@pytest.mark.parametrize("how", ["demote", "remove"])
def test_managers_stepping_down_at_once_leave_one(how):
    team = TeamFactory(name="Billing")
    pairs = managers(team, 6)

    def step_down(index, client):
        membership = pairs[index][1]
        if how == "demote":
            url = reverse("teams:member_role", args=[team.pk, membership.pk])
            return client.post(url, {"role": Role.MEMBER})
        return client.post(reverse("teams:member_remove", args=[team.pk, membership.pk]))

    statuses = all_at_once([client for client, _m in pairs], step_down)
    assert 500 not in statuses, statuses
    assert statuses.count(302) == 5, statuses
    assert Membership.objects.filter(team=team, role=Role.MANAGER).count() == 1
    assert MembershipChange.objects.filter(team=team).count() == 5


def test_two_managers_demoting_each_other_at_once():
    team = TeamFactory(name="Billing")
    (first, mine), (second, theirs) = managers(team, 2)
    targets = [theirs, mine]

    def demote(index, client):
        url = reverse("teams:member_role", args=[team.pk, targets[index].pk])
        return client.post(url, {"role": Role.MEMBER})

    statuses = all_at_once([first, second], demote)
    assert sorted(statuses) == [200, 302] or sorted(statuses) == [302, 403], statuses
    assert Membership.objects.filter(team=team, role=Role.MANAGER).count() == 1
