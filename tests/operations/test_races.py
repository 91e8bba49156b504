"""Many people at once, on PostgreSQL with real concurrent connections: every race ends
in the conflict page or a message at the field, never a 500, and one change wins."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from opsmaturity.operations.models import Operation, PhaseTransition
from opsmaturity.operations.phases import Phase
from opsmaturity.teams.models import Role
from tests.conftest import requires_postgres
from tests.operations.factories import OperationFactory
from tests.teams.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def clients_of(team, count, role=Role.MEMBER):
    clients = []
    for i in range(count):
        user = UserFactory(username=f"racer{i}")
        MembershipFactory(user=user, team=team, role=role)
        client = Client(raise_request_exception=False)
        client.force_login(user)
        clients.append(client)
    return clients


def all_at_once(clients, send):
    """Each client sends at the same moment, from its own thread and connection."""
    barrier = threading.Barrier(len(clients))
    statuses, errors = [None] * len(clients), []

    def run(index, client):
        try:
            barrier.wait(timeout=30)
            statuses[index] = send(index, client).status_code
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(index, client)) for index, client in enumerate(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return statuses


def test_twenty_people_moving_one_operation_at_once():
    team = TeamFactory(name="Billing")
    op = OperationFactory(team=team, name="Invoice matching")
    clients = clients_of(team, 20, Role.MANAGER)
    targets = [Phase.STANDARDIZE, Phase.AUTOMATE, Phase.RETIRE, Phase.COST_OPTIMIZE]
    url = reverse("operations:move", args=[op.pk])

    def move(index, client):
        data = {"to_phase": targets[index % 4], "note": f"Because {index}.", "version": 1}
        return client.post(url, data)

    statuses = all_at_once(clients, move)
    assert 500 not in statuses, statuses
    assert statuses.count(302) == 1, statuses
    assert set(statuses) <= {302, 409}, statuses
    assert PhaseTransition.objects.filter(operation=op).exclude(from_phase="").count() == 1
    assert Operation.objects.get(pk=op.pk).version == 2


def test_ten_people_recording_the_same_name_at_once():
    team = TeamFactory(name="Billing")
    clients = clients_of(team, 10)
    owner_ids = list(team.memberships.values_list("user_id", flat=True))
    url = reverse("operations:create")

    def create(index, client):
        return client.post(
            url,
            {
                "name": "Chargeback disputes" if index % 2 else "ＣＨＡＲＧＥＢＡＣＫ disputes",
                "team": team.pk,
                "owner": owner_ids[index],
                "purpose": "Win back what we do not owe.",
                "monthly_volume": "5",
                "monthly_cost": "100",
                "monthly_value": "200",
            },
        )

    statuses = all_at_once(clients, create)
    assert 500 not in statuses, statuses
    assert statuses.count(302) == 1, statuses
    assert set(statuses) <= {200, 302}, statuses  # 200: the form, with the name's message
    assert Operation.objects.filter(team=team).count() == 1


def test_ten_people_editing_one_operation_at_once():
    team = TeamFactory(name="Billing")
    clients = clients_of(team, 10)
    op = OperationFactory(team=team, name="Invoice matching", owner=team.members.first())
    url = reverse("operations:edit", args=[op.pk])

    def edit(index, client):
        return client.post(
            url,
            {
                "name": f"Invoice matching {index}",
                "team": team.pk,
                "owner": op.owner_id,
                "purpose": op.purpose,
                "monthly_volume": "5",
                "monthly_cost": "100",
                "monthly_value": "200",
                "version": 1,
            },
        )

    statuses = all_at_once(clients, edit)
    assert 500 not in statuses, statuses
    assert statuses.count(302) == 1 and statuses.count(409) == 9, statuses
    assert Operation.objects.get(pk=op.pk).version == 2


def test_eight_managers_confirming_bulk_moves_of_the_same_operations_at_once():
    """Each reviewed the same 20 operations (in its own order) and confirms its own
    move: one change wins whole, the others are told nothing was changed."""
    team = TeamFactory(name="Billing")
    ops = [OperationFactory(team=team, name=f"Batch {i}") for i in range(20)]
    clients = clients_of(team, 8, Role.MANAGER)
    targets = [Phase.STANDARDIZE, Phase.RETIRE]

    def confirm(index, client):
        chosen = ops if index % 2 else list(reversed(ops))
        return client.post(
            reverse("operations:bulk"),
            {
                "action": "move",
                "to_phase": targets[index % 2],
                "note": f"Batch {index}",
                "ids": [f"{op.pk}:1" for op in chosen],
                "confirmed": [str(op.pk) for op in chosen],
                "confirm": "1",
            },
        )

    statuses = all_at_once(clients, confirm)
    assert statuses.count(302) == 1, statuses
    assert set(statuses) <= {302, 409}, statuses
    moves = PhaseTransition.objects.filter(operation__in=ops).exclude(from_phase="")
    assert moves.count() == 20
    assert len(set(moves.values_list("note", flat=True))) == 1  # one change, whole
    assert set(
        Operation.objects.filter(pk__in=[op.pk for op in ops]).values_list("version", flat=True)
    ) == {2}
