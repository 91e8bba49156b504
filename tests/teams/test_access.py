"""The one access module, question by question, for every role."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from opsmaturity.operations.phases import Phase
from opsmaturity.teams import access
from opsmaturity.teams.models import Membership, Role
from tests.operations.factories import OperationFactory
from tests.teams.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
ROLES = ["outsider", "member", "manager", "staff"]


@pytest.fixture
def world():
    team, other = TeamFactory(name="Billing"), TeamFactory(name="Risk")
    users = {role: UserFactory(username=role, is_staff=role == "staff") for role in ROLES}
    MembershipFactory(user=users["outsider"], team=other, role=Role.MANAGER)
    MembershipFactory(user=users["member"], team=team, role=Role.MEMBER)
    MembershipFactory(user=users["manager"], team=team, role=Role.MANAGER)
    operation = OperationFactory(team=team, owner=users["member"])
    return {"team": team, "other": other, "users": users, "op": operation}


def answers(world, question):
    return [question(world["users"][role]) for role in ROLES]


def test_who_may_change_an_operation(world):
    op = world["op"]
    assert answers(world, lambda u: access.can_edit_operation(u, op)) == [0, 1, 1, 1]
    assert answers(world, lambda u: access.can_manage_operation(u, op)) == [0, 0, 1, 1]


@pytest.mark.parametrize(
    ("to_phase", "expected"),
    [
        (Phase.STANDARDIZE, [0, 1, 1, 1]),
        (Phase.AUTOMATE, [0, 1, 1, 1]),  # a skip: allowed to members, with a note
        (Phase.RETIRE, [0, 0, 1, 1]),
    ],
)
def test_who_may_move_an_operation(world, to_phase, expected):
    op = world["op"]
    assert answers(world, lambda u: access.can_move(u, op, to_phase)) == expected


def test_only_managers_reinstate_and_the_choices_say_so(world):
    op = world["op"]
    op.phase = Phase.RETIRE
    assert answers(world, lambda u: access.can_move(u, op, Phase.LAUNCH)) == [0, 0, 1, 1]
    assert access.move_targets(world["users"]["member"], op, list(Phase)) == []
    assert Phase.RETIRE not in access.move_targets(world["users"]["manager"], op, list(Phase))


def test_teams_seen_managed_and_recorded_in(world):
    team, other = world["team"], world["other"]

    def ids(queryset):
        return set(queryset.values_list("pk", flat=True))

    assert answers(world, lambda u: ids(access.visible_teams(u))) == [
        {other.pk},
        {team.pk},
        {team.pk},
        {team.pk, other.pk},
    ]
    assert answers(world, lambda u: ids(access.managed_teams(u))) == [
        {other.pk},
        set(),
        {team.pk},
        set(),
    ]
    assert answers(world, lambda u: ids(access.role_teams(u))) == [
        {other.pk},
        set(),
        {team.pk},
        {team.pk, other.pk},
    ]
    assert answers(world, access.is_manager) == [True, False, True, True]


def test_roles_are_read_once_per_request(world, django_assert_num_queries):
    user = world["users"]["manager"]
    with django_assert_num_queries(1):
        for _ in range(3):
            access.is_manager(user)
            access.manages_team(user, world["team"].pk)
            access.member_team_ids(user)


def test_nobody_signed_in_may_do_anything(world):
    nobody = AnonymousUser()
    assert not access.is_manager(nobody)
    assert not access.can_edit_operation(nobody, world["op"])
    assert not access.visible_teams(nobody).exists()


def test_who_may_keep_a_teams_people_and_invite(world):
    team = world["team"]
    assert answers(world, access.can_administer_teams) == [0, 0, 0, 1]
    assert answers(world, lambda u: access.can_manage_members(u, team)) == [0, 0, 1, 1]
    assert answers(world, lambda u: access.can_invite(u, team)) == [0, 0, 1, 1]
    assert answers(world, lambda u: access.invitable_roles(u, team)) == [
        [],
        [],
        ["member", "manager"],  # managers may invite managers to their own team
        ["member", "manager"],
    ]
    team.archived_at = timezone.now()
    assert answers(world, lambda u: access.can_invite(u, team)) == [0, 0, 0, 0]


def test_nobody_raises_their_own_role(world):
    team, users = world["team"], world["users"]
    member = Membership.objects.get(user=users["member"], team=team)
    manager = Membership.objects.get(user=users["manager"], team=team)
    assert access.can_set_role(users["manager"], member, Role.MANAGER)
    assert not access.can_set_role(users["member"], member, Role.MANAGER)
    assert access.can_set_role(users["manager"], manager, Role.MEMBER)  # stepping down
    own = MembershipFactory(user=users["staff"], team=team, role=Role.MEMBER)
    assert not access.can_set_role(users["staff"], own, Role.MANAGER)
    assert access.can_set_role(users["staff"], member, Role.MANAGER)


def test_an_archived_team_takes_no_new_operations(world):
    team = world["team"]
    team.archived_at = timezone.now()
    team.save()
    assert answers(world, lambda u: set(access.editable_teams(u))) == [
        {world["other"]},
        set(),
        set(),
        {world["other"]},
    ]
    assert set(access.seen_teams(world["users"]["member"])) == {team}
