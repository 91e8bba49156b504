"""Every view of the Teams pages that changes data, against every role. One table."""

import pytest
from django.urls import reverse

from opsmaturity.teams.models import Membership, MembershipChange, Role, Team
from tests.permission_table import ALLOWED, DENIED, LOGIN, assert_outcome, cases
from tests.teams.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    team, other = TeamFactory(name="Billing"), TeamFactory(name="Risk")
    users = {
        # The outsider manages another team: a manager, but not of this one.
        "outsider": UserFactory(username="outsider"),
        "member": UserFactory(username="member"),
        "manager": UserFactory(username="manager"),
        "staff": UserFactory(username="staff", is_staff=True),
    }
    MembershipFactory(user=users["outsider"], team=other, role=Role.MANAGER)
    member = MembershipFactory(user=users["member"], team=team, role=Role.MEMBER)
    MembershipFactory(user=users["manager"], team=team, role=Role.MANAGER)
    second = MembershipFactory(user=UserFactory(username="second"), team=team, role=Role.MEMBER)
    newcomer = UserFactory(username="newcomer")
    return {
        "team": team,
        "users": users,
        "member": member,
        "second": second,
        "newcomer": newcomer,
    }


def create_team(world):
    return (
        reverse("teams:list"),
        {"name": "Treasury", "description": "", "manager": ""},
        Team.objects.filter(name="Treasury").exists,
    )


def rename_team(world):
    team = world["team"]
    return (
        reverse("teams:rename", args=[team.pk]),
        {"name": "Billing and collections", "description": ""},
        Team.objects.filter(pk=team.pk, name="Billing and collections").exists,
    )


def archive_team(world):
    team = world["team"]
    return (
        reverse("teams:archive", args=[team.pk]),
        {"archived": "1"},
        Team.objects.filter(pk=team.pk, archived_at__isnull=False).exists,
    )


def add_member(world):
    team, person = world["team"], world["newcomer"]
    return (
        reverse("teams:member_add", args=[team.pk]),
        {"add-person": person.pk, "add-role": Role.MEMBER},
        Membership.objects.filter(team=team, user=person).exists,
    )


def promote_member(world):
    team, second = world["team"], world["second"]
    return (
        reverse("teams:member_role", args=[team.pk, second.pk]),
        {"role": Role.MANAGER},
        Membership.objects.filter(pk=second.pk, role=Role.MANAGER).exists,
    )


def promote_oneself(world):
    """The member asks to become a manager of their own team (staff and managers ask
    for the member's membership: allowed; the member for their own: refused)."""
    team, member = world["team"], world["member"]
    return (
        reverse("teams:member_role", args=[team.pk, member.pk]),
        {"role": Role.MANAGER},
        Membership.objects.filter(pk=member.pk, role=Role.MANAGER).exists,
    )


def remove_member(world):
    team, second = world["team"], world["second"]
    return (
        reverse("teams:member_remove", args=[team.pk, second.pk]),
        {},
        lambda: not Membership.objects.filter(pk=second.pk).exists(),
    )


TABLE = {
    #                 anonymous outsider member  manager  staff
    create_team: [LOGIN, DENIED, DENIED, DENIED, ALLOWED],
    rename_team: [LOGIN, DENIED, DENIED, DENIED, ALLOWED],
    archive_team: [LOGIN, DENIED, DENIED, DENIED, ALLOWED],
    add_member: [LOGIN, DENIED, DENIED, ALLOWED, ALLOWED],
    promote_member: [LOGIN, DENIED, DENIED, ALLOWED, ALLOWED],
    promote_oneself: [LOGIN, DENIED, DENIED, ALLOWED, ALLOWED],
    remove_member: [LOGIN, DENIED, DENIED, ALLOWED, ALLOWED],
}


@pytest.mark.parametrize(("action", "role", "expected"), cases(TABLE))
def test_who_may_change_a_team(client, world, action, role, expected):
    assert_outcome(client, world, action, role, expected)
    if expected == ALLOWED:
        assert MembershipChange.objects.filter(by=world["users"][role]).exists()
    else:
        assert not MembershipChange.objects.exists()


def test_nobody_raises_their_own_role_not_even_staff(client, world):
    staff = world["users"]["staff"]
    own = MembershipFactory(user=staff, team=world["team"], role=Role.MEMBER)
    client.force_login(staff)
    url = reverse("teams:member_role", args=[world["team"].pk, own.pk])
    response = client.post(url, {"role": Role.MANAGER})
    assert response.status_code == 200
    assert "Nobody can raise their own role." in response.content.decode()
    assert Membership.objects.get(pk=own.pk).role == Role.MEMBER


def test_a_member_cannot_promote_themselves(client, world):
    client.force_login(world["users"]["member"])
    member = world["member"]
    url = reverse("teams:member_role", args=[world["team"].pk, member.pk])
    assert client.post(url, {"role": Role.MANAGER}).status_code == 403
    assert Membership.objects.get(pk=member.pk).role == Role.MEMBER


@pytest.mark.parametrize("role", ["outsider", "member", "manager", "staff"])
def test_refused_input_saves_nothing(client, world, role):
    """Tampered ids and values: a message or a 403/404, never a 500, nothing saved."""
    client.force_login(world["users"][role])
    team = world["team"]
    posts = [
        (reverse("teams:member_add", args=[team.pk]), {"add-person": "9" * 30, "add-role": "x"}),
        (reverse("teams:member_role", args=[team.pk, world["second"].pk]), {"role": "owner"}),
        (reverse("teams:member_role", args=[team.pk, 10**9]), {"role": Role.MEMBER}),
        (reverse("teams:member_remove", args=[team.pk, 10**9]), {}),
        (reverse("teams:rename", args=[team.pk]), {"name": "\x00"}),
        (reverse("teams:rename", args=[10**9]), {"name": "Other"}),
    ]
    for url, data in posts:
        response = client.post(url, data)
        assert response.status_code in (200, 403, 404), (url, response.status_code)
    assert not MembershipChange.objects.exists()


def test_reading_a_team_page(client, world):
    url = reverse("teams:detail", args=[world["team"].pk])
    assert client.get(url).status_code == 302
    for role, status in [("outsider", 404), ("member", 200), ("manager", 200), ("staff", 200)]:
        client.force_login(world["users"][role])
        assert client.get(url).status_code == status, role
    assert client.post(url).status_code == 405
