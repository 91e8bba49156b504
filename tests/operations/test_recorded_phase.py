"""Recording an operation that already runs: the create form asks its phase and since when."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from opsmaturity.lib.clock import day_start
from opsmaturity.operations.models import Operation, TransitionKind
from opsmaturity.operations.phases import Phase
from opsmaturity.operations.services import create_operation

pytestmark = pytest.mark.django_db


def form_data(team, owner, **overrides):
    return {
        "name": "Refund approvals",
        "team": team.pk,
        "owner": owner.pk,
        "purpose": "Customers get their refund within two days.",
        "runbook_url": "https://wiki.example.com/refunds",
        "launched_at": "2023-04-01",
        "monthly_volume": "320",
        "monthly_cost": "340000",
        "monthly_value": "900000",
        **overrides,
    }


def test_an_operation_automated_years_ago_is_recorded_in_one_step(client, member, team):
    client.force_login(member)
    data = form_data(team, member, current_phase="automate", phase_since="2024-06-01")
    response = client.post(reverse("operations:create"), data, follow=True)
    op = Operation.objects.get(name="Refund approvals")
    assert op.phase == Phase.AUTOMATE
    assert op.phase_entered_at == day_start(dt.date(2024, 6, 1))
    first = op.transitions.get()
    assert (first.from_phase, first.to_phase) == ("", Phase.AUTOMATE)
    assert (first.kind, first.note) == (TransitionKind.RECORDED, "")
    assert first.summary() == "Recorded as already in Automate since June 1, 2024"
    assert "is recorded, in Automate" in response.content.decode()


def test_without_a_phase_it_starts_in_launch_as_before(client, member, team):
    client.force_login(member)
    client.post(reverse("operations:create"), form_data(team, member, launched_at=""))
    op = Operation.objects.get()
    assert op.phase == Phase.LAUNCH
    assert op.launched_at == timezone.localdate()
    first = op.transitions.get()
    assert (first.kind, first.note, first.summary()) == (TransitionKind.CREATED, "", "Recorded")


def test_the_form_asks_for_the_phase_on_creation_only(client, member, team):
    client.force_login(member)
    page = client.get(reverse("operations:create")).content.decode()
    assert 'name="current_phase"' in page and 'name="phase_since"' in page
    op = create_operation(by=member, name="X", team=team, owner=member, purpose="Why")
    page = client.get(reverse("operations:edit", args=[op.pk])).content.decode()
    assert 'name="current_phase"' not in page and 'name="phase_since"' not in page


@pytest.mark.parametrize(
    ("since", "message"),
    [("2099-01-01", "in the future"), ("2020-01-01", "before its launch day")],
)
def test_an_impossible_since_day_is_refused_at_the_field(client, member, team, since, message):
    client.force_login(member)
    data = form_data(team, member, current_phase="standardize", phase_since=since)
    response = client.post(reverse("operations:create"), data)
    assert message in str(response.context["form"].errors["phase_since"])
    assert not Operation.objects.exists()


def test_a_retired_phase_cannot_be_chosen_in_the_form(client, member, team):
    client.force_login(member)
    response = client.post(
        reverse("operations:create"), form_data(team, member, current_phase="retire")
    )
    assert "current_phase" in response.context["form"].errors
    assert not Operation.objects.exists()


def test_the_service_records_an_import_in_its_own_words(member, team):
    op = create_operation(
        by=member,
        name="Ledger close",
        team=team,
        owner=member,
        purpose="Books close on time.",
        phase=Phase.STANDARDIZE,
        since=dt.date(2025, 1, 15),
        imported=True,
    )
    first = op.transitions.get()
    assert first.kind == TransitionKind.IMPORTED
    assert first.summary() == "Recorded on import as already in Standardize since Jan. 15, 2025"


def test_launch_since_a_past_day_starts_the_stall_clock_then(member, team):
    op = create_operation(
        by=member, name="Old", team=team, owner=member, purpose="Why", since=dt.date(2025, 1, 1)
    )
    assert op.launched_at == dt.date(2025, 1, 1)
    assert op.phase_entered_at == day_start(dt.date(2025, 1, 1))
    first = op.transitions.get()
    assert first.kind == TransitionKind.RECORDED
    assert first.summary() == "Recorded as already in Launch since Jan. 1, 2025"


def test_many_operations_are_created_at_once_with_their_history(member, manager, team):
    from opsmaturity.operations.services import create_operations

    specs = [
        {
            "fields": {
                "name": f"Op {i}",
                "team": team,
                "owner": member,
                "purpose": "Why",
                "phase": Phase.AUTOMATE,
            },
            "performers": [member, manager],
            "since": dt.date(2025, 2, 1),
        }
        for i in range(3)
    ]
    created = create_operations(specs, by=manager)
    assert [op.name for op in created] == ["Op 0", "Op 1", "Op 2"]
    for op in Operation.objects.all():
        assert op.performers.count() == 2
        first = op.transitions.get()
        assert (first.kind, first.note) == (TransitionKind.IMPORTED, "")
        assert first.summary() == "Recorded on import as already in Automate since Feb. 1, 2025"
        assert first.team_id == team.pk and first.by == manager


def test_a_refused_operation_of_a_batch_says_which_and_saves_none(member, team):
    from django.core.exceptions import ValidationError

    from opsmaturity.operations.services import create_operations

    good = {"name": "A", "team": team, "owner": member, "purpose": "Why"}
    bad = {**good, "name": "B", "purpose": "  "}
    with pytest.raises(ValidationError) as info:
        create_operations([{"fields": good}, {"fields": bad}], by=member)
    assert info.value.row_index == 1
    assert not Operation.objects.exists()
