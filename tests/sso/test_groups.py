"""Memberships follow the provider's groups claim, in the teams OIDC_GROUP_MAP names."""

import pytest
from django.contrib.auth import get_user_model

from opsmaturity.sso.config import parse_group_map
from opsmaturity.teams.models import ChangeKind, Membership, MembershipChange, Role
from tests.sso.flow import sign_in
from tests.teams.factories import MembershipFactory, TeamFactory

pytestmark = pytest.mark.django_db

User = get_user_model()

MAP = (
    "ops-billing=Billing:member, ops-billing-leads=Billing:manager, "
    "ops-risk=Risk:member, everyone=Billing:member"
)


@pytest.fixture
def grouped(sso, settings, team):
    settings.OIDC_GROUPS_CLAIM = "groups"
    settings.OIDC_GROUP_MAP = parse_group_map(MAP)
    TeamFactory(name="Risk")
    return sso


def roles(user):
    return dict(Membership.objects.filter(user=user).values_list("team__name", "role"))


def test_a_first_sign_in_lands_in_the_teams_of_the_groups(client, grouped):
    person = grouped.person("vic ode", "vic@example.com", groups=["ops-billing-leads", "ops-risk"])
    sign_in(client, person)
    user = User.objects.get(email="vic@example.com")
    assert roles(user) == {"Billing": Role.MANAGER, "Risk": Role.MEMBER}


def test_the_higher_role_wins_when_two_groups_name_one_team(client, grouped):
    person = grouped.person("wen li", "wen@example.com", groups=["everyone", "ops-billing-leads"])
    sign_in(client, person)
    assert roles(User.objects.get(email="wen@example.com")) == {"Billing": Role.MANAGER}


def test_memberships_follow_the_claim_at_each_sign_in(client, grouped, manager):
    person = grouped.person("xia wu", "xia@example.com", groups=["ops-billing"])
    sign_in(client, person)
    user = User.objects.get(email="xia@example.com")
    assert roles(user) == {"Billing": Role.MEMBER}

    client.logout()
    grouped.person("xia wu", "xia@example.com", groups=["ops-billing-leads", "ops-risk"])
    sign_in(client, person)
    assert roles(user) == {"Billing": Role.MANAGER, "Risk": Role.MEMBER}

    client.logout()
    grouped.person("xia wu", "xia@example.com", groups=["ops-risk"])
    sign_in(client, person)
    assert roles(user) == {"Risk": Role.MEMBER}

    client.logout()
    grouped.person("xia wu", "xia@example.com", groups=[])
    sign_in(client, person)
    assert roles(user) == {}


def test_teams_the_map_does_not_name_are_left_alone(client, grouped, member):
    member.email = "ann@example.com"
    member.save()
    kept_by_hand = TeamFactory(name="Treasury")
    MembershipFactory(user=member, team=kept_by_hand, role=Role.MANAGER)
    sign_in(client, grouped.person("ann lee", "ann@example.com", groups=["ops-risk"]))
    # Billing is mapped: the claim does not list it, so the membership goes
    assert roles(member) == {"Treasury": Role.MANAGER, "Risk": Role.MEMBER}


def test_no_groups_claim_at_all_changes_nothing(client, grouped, member):
    member.email = "ann@example.com"
    member.save()
    sign_in(client, grouped.person("ann lee", "ann@example.com"))
    assert roles(member) == {"Billing": Role.MEMBER}


def test_a_mapped_team_that_does_not_exist_is_skipped(client, grouped, settings):
    settings.OIDC_GROUP_MAP = parse_group_map("ops-x=Nowhere:manager, ops-risk=Risk:member")
    sign_in(client, grouped.person("yan ko", "yan@example.com", groups=["ops-x", "ops-risk"]))
    assert roles(User.objects.get(email="yan@example.com")) == {"Risk": Role.MEMBER}


def test_a_nested_claim_is_read_by_its_dotted_path(client, grouped, settings):
    settings.OIDC_GROUPS_CLAIM = "realm_access.roles"
    person = grouped.person(
        "zoe ng", "zoe@example.com", realm_access={"roles": ["ops-billing-leads"]}
    )
    sign_in(client, person)
    assert roles(User.objects.get(email="zoe@example.com")) == {"Billing": Role.MANAGER}


def test_a_refused_sign_in_changes_no_membership(client, grouped, member):
    member.email = "ann@example.com"
    member.save()
    person = grouped.person("ann lee", "ann@example.com", verified=False, groups=["ops-risk"])
    assert sign_in(client, person).status_code == 403
    assert roles(member) == {"Billing": Role.MEMBER}


def test_the_person_is_told_what_their_groups_changed(client, grouped, member, manager):
    member.email = "ann@example.com"
    member.save()
    sign_in(client, grouped.person("ann lee", "ann@example.com", groups=["ops-billing-leads"]))
    page = client.get("/digests/preferences/").content.decode()
    assert "You are now a manager of Billing, as your organisation&#x27;s groups say." in page

    client.logout()
    sign_in(client, grouped.person("ann lee", "ann@example.com", groups=["ops-risk"]))
    page = client.get("/digests/preferences/").content.decode()
    assert "You are no longer in Billing" in page
    assert "You are now a member of Risk" in page

    client.logout()
    sign_in(client, grouped.person("ann lee", "ann@example.com", groups=["ops-risk"]))
    assert "groups say" not in client.get("/digests/preferences/").content.decode()


def test_the_last_manager_of_a_team_stays_one_until_another_is_named(client, grouped, team):
    person = grouped.person("gil hu", "gil@example.com", groups=["ops-billing-leads"])
    sign_in(client, person)
    gil = User.objects.get(email="gil@example.com")
    assert roles(gil) == {"Billing": Role.MANAGER}

    client.logout()
    grouped.person("gil hu", "gil@example.com", groups=["ops-risk"])
    sign_in(client, person)
    assert roles(gil) == {"Billing": Role.MANAGER, "Risk": Role.MEMBER}

    client.logout()
    sign_in(client, grouped.person("hal ito", "hal@example.com", groups=["ops-billing-leads"]))
    client.logout()
    sign_in(client, person)
    assert roles(gil) == {"Risk": Role.MEMBER}


def test_each_change_is_in_the_teams_history(client, grouped, manager, team):
    person = grouped.person("ivy orr", "ivy@example.com", groups=["ops-billing"])
    sign_in(client, person)
    client.logout()
    grouped.person("ivy orr", "ivy@example.com", groups=["ops-billing-leads"])
    sign_in(client, person)
    client.logout()
    grouped.person("ivy orr", "ivy@example.com", groups=[])
    sign_in(client, person)
    ivy = User.objects.get(email="ivy@example.com")
    history = MembershipChange.objects.filter(team=team, person=ivy).order_by("pk")
    assert [(c.kind, c.from_role, c.to_role, c.by) for c in history] == [
        (ChangeKind.ADDED, "", Role.MEMBER, None),
        (ChangeKind.ROLE, Role.MEMBER, Role.MANAGER, None),
        (ChangeKind.REMOVED, Role.MANAGER, "", None),
    ]
