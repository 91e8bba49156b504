"""What the losers of a race see, on any database: the conflict page or a message at the
field, with the choices of the operation as it is now."""

import pytest
from django.urls import reverse

from opsmaturity.operations import forms as operation_forms
from opsmaturity.operations.models import Operation
from opsmaturity.operations.phases import Phase
from opsmaturity.operations.services import move_phase
from opsmaturity.teams.models import Role
from tests.operations.factories import OperationFactory
from tests.teams.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(client):
    team = TeamFactory(name="Billing")
    manager = UserFactory(username="boss")
    MembershipFactory(user=manager, team=team, role=Role.MANAGER)
    op = OperationFactory(team=team, owner=manager, name="Invoice matching")
    client.force_login(manager)
    return {"team": team, "manager": manager, "op": op}


def test_a_move_to_where_someone_just_moved_it_is_the_conflict_page(client, world):
    op = world["op"]
    move_phase(op, Phase.STANDARDIZE, by=world["manager"], note="Runbook written.")
    response = client.post(
        reverse("operations:move", args=[op.pk]),
        {"to_phase": Phase.STANDARDIZE, "note": "Runbook written.", "version": 1},
    )
    assert response.status_code == 409
    form = response.context["form"]
    assert "Someone else changed this operation" in " ".join(form.non_field_errors())
    # The choices are those of the phase it is in now.
    assert Phase.STANDARDIZE not in dict(form.fields["to_phase"].choices)
    assert Operation.objects.get(pk=op.pk).version == 2


def test_a_name_taken_between_the_check_and_the_save_is_a_message(client, world, monkeypatch):
    # The checks pass, as for two people at once; only the database sees the other save.
    monkeypatch.setattr(operation_forms, "same_name", lambda *args, **kwargs: None)
    monkeypatch.setattr(Operation, "validate_constraints", lambda self, exclude=None: None)
    response = client.post(
        reverse("operations:create"),
        {
            "name": "invoice  matching",
            "team": world["team"].pk,
            "owner": world["manager"].pk,
            "purpose": "Again.",
            "monthly_volume": "1",
            "monthly_cost": "1",
            "monthly_value": "2",
        },
    )
    assert response.status_code == 200
    assert "already has an operation called" in " ".join(response.context["form"].errors["name"])
    assert Operation.objects.count() == 1
