"""Every view of offboarding that changes data, against every role. One table, one truth."""

import pytest
from django.urls import reverse

from opsmaturity.operations.models import Operation
from opsmaturity.teams.models import Role
from tests.operations.factories import OperationFactory
from tests.permission_table import ALLOWED, DENIED, LOGIN, assert_outcome, cases
from tests.teams.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    team, other_team = TeamFactory(name="Billing"), TeamFactory(name="Risk")
    users = {
        "outsider": UserFactory(username="outsider"),
        "member": UserFactory(username="member"),
        "manager": UserFactory(username="manager"),
        "staff": UserFactory(username="staff", is_staff=True),
    }
    MembershipFactory(user=users["outsider"], team=other_team, role=Role.MANAGER)
    MembershipFactory(user=users["member"], team=team, role=Role.MEMBER)
    MembershipFactory(user=users["manager"], team=team, role=Role.MANAGER)
    leaver = UserFactory(username="leaver")
    gone = UserFactory(username="gone", is_active=False)
    for person in (leaver, gone):
        MembershipFactory(user=person, team=team, role=Role.MEMBER)
    op = OperationFactory(name="Invoice matching", team=team, owner=leaver, performers=[leaver])
    return {"team": team, "users": users, "leaver": leaver, "gone": gone, "op": op}


def leave(world):
    leaver = world["leaver"]
    return (
        reverse("offboarding:leave", args=[leaver.pk]),
        {},
        lambda: not type(leaver).objects.get(pk=leaver.pk).is_active,
    )


def reactivate(world):
    gone = world["gone"]
    return (
        reverse("offboarding:reactivate", args=[gone.pk]),
        {},
        lambda: type(gone).objects.get(pk=gone.pk).is_active,
    )


def reassign(world):
    op, new_owner = world["op"], world["users"]["member"]
    return (
        reverse("offboarding:reassign", args=[world["leaver"].pk]),
        {
            "all_owner": new_owner.pk,
            "all_performer": "remove",
            f"version-{op.pk}": op.version,
        },
        lambda: Operation.objects.filter(pk=op.pk, owner=new_owner).exists(),
    )


TABLE = {
    #            anonymous outsider member  manager  staff
    leave: [LOGIN, DENIED, DENIED, ALLOWED, ALLOWED],
    reactivate: [LOGIN, DENIED, DENIED, DENIED, ALLOWED],
    reassign: [LOGIN, DENIED, DENIED, ALLOWED, ALLOWED],
}


@pytest.mark.parametrize(("action", "role", "expected"), cases(TABLE))
def test_permission_table(client, world, action, role, expected):
    assert_outcome(client, world, action, role, expected)


@pytest.mark.parametrize(
    ("role", "expected"), [("outsider", 200), ("member", 403), ("manager", 200), ("staff", 200)]
)
def test_who_sees_the_people_list(client, world, role, expected):
    client.force_login(world["users"][role])
    assert client.get(reverse("offboarding:people")).status_code == expected


def test_the_people_list_shows_a_manager_only_their_teams(client, world):
    client.force_login(world["users"]["outsider"])
    names = [p.username for p in client.get(reverse("offboarding:people")).context["page"]]
    assert names == ["outsider"]
    client.force_login(world["users"]["manager"])
    names = {p.username for p in client.get(reverse("offboarding:people")).context["page"]}
    assert names == {"member", "manager", "leaver", "gone"}


@pytest.mark.parametrize("role", ["manager", "staff"])
def test_nobody_deactivates_themselves(client, world, role):
    me = world["users"][role]
    client.force_login(me)
    response = client.post(reverse("offboarding:leave", args=[me.pk]))
    assert response.status_code == 403
    me.refresh_from_db()
    assert me.is_active


def test_a_manager_does_not_deactivate_staff(client, world):
    MembershipFactory(user=world["users"]["staff"], team=world["team"], role=Role.MEMBER)
    client.force_login(world["users"]["manager"])
    staff = world["users"]["staff"]
    assert client.post(reverse("offboarding:leave", args=[staff.pk])).status_code == 403
    staff.refresh_from_db()
    assert staff.is_active


@pytest.mark.parametrize("name", ["offboarding:leave", "offboarding:reassign"])
def test_a_person_who_does_not_exist_is_a_404(client, world, name):
    client.force_login(world["users"]["staff"])
    assert client.get(reverse(name, args=[987654321])).status_code == 404
    assert client.post(reverse(name, args=[987654321])).status_code == 404
