"""The accounts views that change data, against every role: each person changes only
their own profile and password; asking for a reset link needs no sign-in."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from opsmaturity.accounts.models import Profile
from opsmaturity.teams.models import Role
from tests.permission_table import ALLOWED, LOGIN, assert_outcome, cases
from tests.teams.factories import PASSWORD, MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-passphrase-42"  # noqa: S105 - tests only


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
    # someone else's profile, which nobody's post may touch
    Profile.objects.create(user=users["member"], display_name="Member's own")
    return {"users": users}


def edit_profile(world):
    happened = Profile.objects.filter(display_name="Renamed").exists
    return reverse("accounts:profile"), {"display_name": "Renamed", "language": "ja"}, happened


def change_password(world):
    def happened():
        return any(u.check_password(NEW_PASSWORD) for u in get_user_model().objects.all())

    data = {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    return reverse("password_change"), data, happened


def ask_for_reset(world):
    return (
        reverse("password_reset"),
        {"email": "member@example.com"},
        lambda: [m.to for m in mail.outbox] == [["member@example.com"]],
    )


TABLE = {
    # anonymous, outsider, member, manager, staff
    edit_profile: [LOGIN, ALLOWED, ALLOWED, ALLOWED, ALLOWED],
    change_password: [LOGIN, ALLOWED, ALLOWED, ALLOWED, ALLOWED],
    ask_for_reset: [ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED],
}


@pytest.mark.parametrize("action, role, expected", cases(TABLE))
def test_accounts_permissions(client, world, action, role, expected):
    assert_outcome(client, world, action, role, expected)


@pytest.mark.parametrize("role", ["outsider", "member", "manager", "staff"])
def test_each_role_changes_only_their_own_profile_and_password(client, world, role):
    me = world["users"][role]
    client.force_login(me)
    client.post(reverse("accounts:profile"), {"display_name": "Renamed", "user": 1})
    client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    renamed = set(Profile.objects.filter(display_name="Renamed").values_list("user", flat=True))
    assert renamed == {me.pk}
    changed = [u for u in get_user_model().objects.all() if u.check_password(NEW_PASSWORD)]
    assert changed == [me]
