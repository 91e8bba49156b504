"""The questions of people who leave, in the one access module, for every role."""

import pytest
from django.contrib.auth.models import AnonymousUser

from opsmaturity.teams import access
from opsmaturity.teams.models import Role
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
    leaver = UserFactory(username="leaver")
    MembershipFactory(user=leaver, team=team)
    return {"users": users, "leaver": leaver}


def answers(world, question):
    return [int(question(world["users"][role])) for role in ROLES]


def test_who_may_do_what_for_a_person_who_leaves(world):
    leaver = world["leaver"]
    assert answers(world, access.can_see_people) == [1, 0, 1, 1]
    assert answers(world, lambda u: access.can_offboard(u, leaver)) == [0, 0, 1, 1]
    assert answers(world, lambda u: access.can_reactivate(u, leaver)) == [0, 0, 0, 1]
    assert answers(world, lambda u: access.can_reassign_from(u, leaver)) == [0, 0, 1, 1]


def test_the_batch_answers_are_the_single_ones(world):
    people = [world["leaver"], *world["users"].values()]
    for user in world["users"].values():
        rights = access.people_rights(user, people)
        for person in people:
            assert rights[person.pk] == (
                access.can_offboard(user, person),
                access.can_reactivate(user, person),
                access.can_reassign_from(user, person),
            ), (user.username, person.username)


def test_nobody_signed_out_may_do_any_of_it(world):
    anonymous = AnonymousUser()
    leaver = world["leaver"]
    assert not access.can_see_people(anonymous)
    assert not access.can_offboard(anonymous, leaver)
    assert not access.can_reactivate(anonymous, leaver)
    assert not access.can_reassign_from(anonymous, leaver)


def test_a_manager_sees_only_the_people_of_their_teams(world):
    seen = set(access.visible_people(world["users"]["manager"]).values_list("username", flat=True))
    assert seen == {"member", "manager", "leaver"}
    assert access.visible_people(world["users"]["staff"]).count() == 5
