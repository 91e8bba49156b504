"""What the generated input (test_generated_input.py) found, kept as plain tests: each
one gave a 500 before its fix."""

import pytest
from django.urls import reverse

from opsmaturity.operations.models import Operation
from opsmaturity.teams.models import Role
from tests.operations.factories import OperationFactory
from tests.teams.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    team = TeamFactory(name="Billing")
    member = UserFactory(username="member")
    MembershipFactory(user=member, team=team, role=Role.MEMBER)
    op = OperationFactory(name="Invoice matching", team=team, owner=member, performers=[member])
    staff = UserFactory(username="staff", is_staff=True, is_superuser=True)
    return {"team": team, "member": member, "staff": staff, "op": op}


def edit_body(world, **changes):
    op = world["op"]
    return {
        "name": "Invoice matching v2",
        "team": op.team_id,
        "owner": op.owner_id,
        "purpose": op.purpose,
        "performers": [world["member"].pk],
        "monthly_volume": "10",
        "monthly_cost": "100",
        "monthly_value": "200",
        **changes,
    }


def unchanged(world):
    return Operation.objects.get(pk=world["op"].pk).name == "Invoice matching"


def test_performers_past_the_databases_integers_are_refused_at_the_field(client, world):
    """Django sends the ids of a multiple choice to the database as they came."""
    client.force_login(world["member"])
    body = edit_body(world, performers=["9999999999999999999"], version=world["op"].version)
    response = client.post(reverse("operations:edit", args=[world["op"].pk]), body)
    assert response.status_code == 200
    assert response.context["form"].errors["performers"]
    assert unchanged(world)


@pytest.mark.parametrize("back", ["ops", "Risk review"])
def test_check_now_goes_back_only_to_a_path_of_the_site(client, world, back, monkeypatch):
    """redirect() took a word with no slash for the name of a view, and found none."""
    monkeypatch.setattr("opsmaturity.maturity.views.publish", lambda task, **kwargs: None)
    client.force_login(world["member"])
    url = reverse("maturity:check-team", args=[world["team"].pk])
    response = client.post(url, {"next": back})
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:index")


@pytest.mark.parametrize("team", ["null", "<b>", "9" * 40])
def test_the_admin_shows_a_refused_form_again_whatever_the_autocomplete_sent(client, world, team):
    client.force_login(world["staff"])
    body = edit_body(world, team=team, opened_version=world["op"].version)
    url = reverse("admin:operations_operation_change", args=[world["op"].pk])
    response = client.post(url, body)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["team"]
    assert unchanged(world)
