"""Who may start and close campaigns: one row per action, one column per role."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from opsmaturity.campaigns.models import Campaign
from opsmaturity.operations.phases import Phase
from opsmaturity.teams.models import Role
from tests.campaigns.factories import start_campaign
from tests.operations.factories import OperationFactory
from tests.permission_table import ALLOWED, DENIED, LOGIN, REFUSED, assert_outcome, cases
from tests.teams.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    team = TeamFactory(name="Support")
    users = {
        "outsider": UserFactory(username="o"),
        "member": UserFactory(username="m"),
        "manager": UserFactory(username="boss"),
        "staff": UserFactory(username="root", is_staff=True),
    }
    MembershipFactory(user=users["outsider"], team=TeamFactory(name="Risk"), role=Role.MANAGER)
    MembershipFactory(user=users["member"], team=team, role=Role.MEMBER)
    MembershipFactory(user=users["manager"], team=team, role=Role.MANAGER)
    OperationFactory(team=team)
    campaign = start_campaign(users["manager"], [team])
    return {"team": team, "users": users, "campaign": campaign}


def create(world):
    data = {
        "name": "New one",
        "goal": "phase",
        "goal_phase": Phase.STANDARDIZE,
        "teams": [world["team"].pk],
        "deadline": (timezone.localdate() + dt.timedelta(days=9)).isoformat(),
        "owner": world["users"]["manager"].pk,
    }
    return (
        reverse("campaigns:create"),
        data,
        lambda: Campaign.objects.filter(name="New one").exists(),
    )


def close(world):
    campaign = world["campaign"]

    def happened():
        campaign.refresh_from_db()
        return campaign.is_closed

    return reverse("campaigns:close", args=[campaign.pk]), {"confirm": "on"}, happened


def add(world):
    OperationFactory(team=world["team"], name="Late arrival")
    campaign = world["campaign"]
    url = reverse("campaigns:add", args=[campaign.pk])
    return url, {"name": "late  ARRIVAL"}, lambda: campaign.changes.filter(action="added").exists()


def add_unknown(world):
    campaign = world["campaign"]
    url = reverse("campaigns:add", args=[campaign.pk])
    return url, {"name": "Nothing like it"}, lambda: campaign.changes.exists()


def remove(world):
    campaign = world["campaign"]
    op = campaign.members.get().operation
    url = reverse("campaigns:remove", args=[campaign.pk])
    data = {"operation": op.pk, "note": "Moved to another team"}
    return url, data, lambda: campaign.changes.filter(action="removed").exists()


TABLE = {
    # anonymous, outsider (manages another team), member, manager, staff
    create: [LOGIN, REFUSED, DENIED, ALLOWED, ALLOWED],
    close: [LOGIN, DENIED, DENIED, ALLOWED, ALLOWED],
    add: [LOGIN, DENIED, DENIED, ALLOWED, ALLOWED],
    add_unknown: [LOGIN, DENIED, DENIED, REFUSED, REFUSED],
    remove: [LOGIN, DENIED, DENIED, ALLOWED, ALLOWED],
}


@pytest.mark.parametrize(("action", "role", "expected"), cases(TABLE))
def test_permissions(client, world, action, role, expected):
    assert_outcome(client, world, action, role, expected)


@pytest.mark.parametrize("role", ["anonymous", "outsider", "member", "manager", "staff"])
def test_everyone_signed_in_reads(client, world, role):
    if role != "anonymous":
        client.force_login(world["users"][role])
    for url in (reverse("campaigns:list"), world["campaign"].get_absolute_url()):
        response = client.get(url)
        assert response.status_code == (302 if role == "anonymous" else 200)
