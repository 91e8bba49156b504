"""The rules of a team's people, and the record of every change, as its page shows them."""

import pytest
from django.urls import reverse

from opsmaturity.operations.forms import OperationForm
from opsmaturity.teams import services
from opsmaturity.teams.models import ChangeKind, Membership, MembershipChange, Role, Team
from tests.teams.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_last_manager_cannot_be_made_a_member(client, team, manager, staff):
    own = Membership.objects.get(user=manager, team=team)
    client.force_login(staff)
    response = client.post(
        reverse("teams:member_role", args=[team.pk, own.pk]), {"role": Role.MEMBER}
    )
    assert response.status_code == 200
    assert "at least one manager" in response.content.decode()
    assert Membership.objects.get(pk=own.pk).role == Role.MANAGER
    assert not MembershipChange.objects.exists()


def test_the_last_manager_cannot_be_removed_even_by_themselves(client, team, manager):
    own = Membership.objects.get(user=manager, team=team)
    client.force_login(manager)
    response = client.post(reverse("teams:member_remove", args=[team.pk, own.pk]))
    assert response.status_code == 200
    assert "at least one manager" in response.content.decode()
    assert Membership.objects.filter(pk=own.pk).exists()


def test_with_a_second_manager_the_first_may_step_down(client, team, manager, member):
    theirs = Membership.objects.get(user=member, team=team)
    own = Membership.objects.get(user=manager, team=team)
    client.force_login(manager)
    client.post(reverse("teams:member_role", args=[team.pk, theirs.pk]), {"role": Role.MANAGER})
    response = client.post(
        reverse("teams:member_role", args=[team.pk, own.pk]), {"role": Role.MEMBER}
    )
    assert response.status_code == 302
    assert Membership.objects.get(pk=own.pk).role == Role.MEMBER
    # Now a member, Mika may no longer manage the team, nor make herself a manager again.
    response = client.post(
        reverse("teams:member_role", args=[team.pk, own.pk]), {"role": Role.MANAGER}
    )
    assert response.status_code == 403


def test_every_change_is_recorded_and_shown_on_the_team_page(client, staff, member):
    client.force_login(staff)
    response = client.post(
        reverse("teams:list"), {"name": "Treasury", "description": "", "manager": staff.pk}
    )
    team = Team.objects.get(name="Treasury")
    assert response["Location"] == reverse("teams:detail", args=[team.pk])
    client.post(
        reverse("teams:member_add", args=[team.pk]),
        {"add-person": member.pk, "add-role": Role.MEMBER},
    )
    membership = Membership.objects.get(team=team, user=member)
    client.post(reverse("teams:member_role", args=[team.pk, membership.pk]), {"role": Role.MANAGER})
    client.post(reverse("teams:rename", args=[team.pk]), {"name": "Treasury ops"})
    client.post(reverse("teams:member_remove", args=[team.pk, membership.pk]))
    client.post(reverse("teams:archive", args=[team.pk]), {"archived": "1"})
    kinds = list(
        MembershipChange.objects.filter(team=team).order_by("pk").values_list("kind", flat=True)
    )
    assert kinds == [
        ChangeKind.CREATED,
        ChangeKind.ADDED,
        ChangeKind.ADDED,
        ChangeKind.ROLE,
        ChangeKind.RENAMED,
        ChangeKind.REMOVED,
        ChangeKind.ARCHIVED,
    ]
    assert set(MembershipChange.objects.values_list("by", flat=True)) == {staff.pk}
    page = client.get(reverse("teams:detail", args=[team.pk])).content.decode()
    assert "Ada Admin changed Ann Lee from Member to Manager." in page
    assert "Ada Admin renamed the team from “Treasury” to “Treasury ops”." in page
    assert "Ada Admin removed Ann Lee." in page
    assert "Ada Admin archived the team." in page


def test_the_record_is_never_rewritten(team, staff):
    change = services.record(team, ChangeKind.ARCHIVED, staff)
    with pytest.raises(ValueError):
        change.save()
    with pytest.raises(ValueError):
        change.delete()


def test_a_team_name_is_taken_whatever_its_width_or_case(client, staff, team):
    client.force_login(staff)
    response = client.post(reverse("teams:list"), {"name": "ＢＩＬＬＩＮＧ"})
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == ["A team with this name already exists."]
    assert Team.objects.count() == 1


def test_an_archived_team_is_offered_for_no_new_operation(team, member, staff):
    services.set_archived(team, archived=True, by=staff)
    form = OperationForm(user=member)
    assert team not in form.fields["team"].queryset
    assert team not in OperationForm(user=staff).fields["team"].queryset


def test_an_archived_team_is_shown_as_archived_and_can_be_restored(client, team, staff):
    client.force_login(staff)
    client.post(reverse("teams:archive", args=[team.pk]), {"archived": "1"})
    listing = client.get(reverse("teams:list")).content.decode()
    assert "archived" in listing
    client.post(reverse("teams:archive", args=[team.pk]), {"archived": "0"})
    assert Team.objects.get(pk=team.pk).archived_at is None
    assert list(
        MembershipChange.objects.filter(team=team).order_by("pk").values_list("kind", flat=True)
    ) == [ChangeKind.ARCHIVED, ChangeKind.RESTORED]


def test_the_list_shows_people_their_own_teams(client, team, member, outsider):
    client.force_login(member)
    page = client.get(reverse("teams:list")).content.decode()
    assert "Billing" in page and "Risk" not in page
    assert 'href="/teams/"' in page  # the nav link
    loner = UserFactory(username="loner")
    client.force_login(loner)
    assert "You are in no team yet" in client.get(reverse("teams:list")).content.decode()


def test_only_people_outside_the_team_are_offered(client, team, manager, member):
    newcomer = UserFactory(username="newcomer", first_name="Noa", last_name="New")
    gone = UserFactory(username="gone", is_active=False)
    client.force_login(manager)
    form = client.get(reverse("teams:detail", args=[team.pk])).context["add_form"]
    offered = set(form.fields["person"].queryset)
    assert newcomer in offered
    assert not offered & {manager, member, gone}


def test_adding_someone_already_in_the_team_says_so(client, team, manager, member):
    client.force_login(manager)
    response = client.post(
        reverse("teams:member_add", args=[team.pk]),
        {"add-person": member.pk, "add-role": Role.MEMBER},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["person"]


def test_the_team_page_runs_the_same_queries_for_3_or_30_people(client, team, manager):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from opsmaturity.invitations import services as invitations

    def count():
        client.force_login(manager)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("teams:detail", args=[team.pk])).status_code == 200
        return len(queries)

    for n in range(2):
        services.add_member(team, person=UserFactory(), role=Role.MEMBER, by=manager)
        invitations.invite(team, f"few{n}@example.com", role=Role.MEMBER, by=manager)
    few = count()
    for n in range(27):
        services.add_member(team, person=UserFactory(), role=Role.MEMBER, by=manager)
        invitations.invite(team, f"many{n}@example.com", role=Role.MEMBER, by=manager)
    assert count() == few


HTMX = {"HTTP_HX_REQUEST": "true"}


def test_htmx_swaps_the_people_and_the_history_in_place(client, team, manager, member):
    theirs = Membership.objects.get(user=member, team=team)
    client.force_login(manager)
    response = client.post(
        reverse("teams:member_role", args=[team.pk, theirs.pk]), {"role": Role.MANAGER}, **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('\n<section class="card" id="people"')
    assert "Ann Lee is now a manager of the team." in html
    assert 'id="history" aria-labelledby="history-h" hx-swap-oob="true"' in html
    assert "Mika Morita changed Ann Lee from Member to Manager." in html
    assert "<html" not in html


def test_htmx_is_told_of_a_refusal_in_the_section(client, team, manager):
    own = Membership.objects.get(user=manager, team=team)
    client.force_login(manager)
    response = client.post(reverse("teams:member_remove", args=[team.pk, own.pk]), **HTMX)
    assert response.status_code == 200
    assert "at least one manager" in response.content.decode()
    assert Membership.objects.filter(pk=own.pk).exists()


def test_stepping_down_by_htmx_shows_the_section_as_a_member_sees_it(client, team, manager, member):
    theirs = Membership.objects.get(user=member, team=team)
    own = Membership.objects.get(user=manager, team=team)
    client.force_login(manager)
    client.post(reverse("teams:member_role", args=[team.pk, theirs.pk]), {"role": Role.MANAGER})
    response = client.post(
        reverse("teams:member_role", args=[team.pk, own.pk]), {"role": Role.MEMBER}, **HTMX
    )
    html = response.content.decode()
    assert "Mika Morita is now a member of the team." in html
    assert "Add to the team" not in html and "teams:member_remove" not in html
    assert f"/teams/{team.pk}/members/" not in html


def test_archived_teams_come_last_in_the_list(client, staff):
    for name in ("Alpha", "Beta", "Gamma"):
        services.create_team(name=name, by=staff)
    services.set_archived(Team.objects.get(name="Alpha"), archived=True, by=staff)
    client.force_login(staff)
    rows = client.get(reverse("teams:list")).context["rows"]
    assert [team.name for team, _role in rows] == ["Beta", "Gamma", "Alpha"]
