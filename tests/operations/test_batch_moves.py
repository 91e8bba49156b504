"""Many phase moves at once (an import): the rules of one move, a batch at a time."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from opsmaturity.maturity.moves import IllegalMove
from opsmaturity.operations.models import CriterionCheck, PhaseCriterion, PhaseTransition
from opsmaturity.operations.phases import Phase
from opsmaturity.operations.services import NoteRequired, move_phases
from tests.operations.factories import OperationFactory
from tests.teams.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_each_move_is_recorded_as_one_move_would_be():
    by = UserFactory()
    op = OperationFactory.days_in_phase(30)
    entered = op.phase_entered_at
    at = timezone.now() - dt.timedelta(days=2)
    [move] = move_phases([(op, Phase.AUTOMATE, "Bought a tool", at)], by=by)
    op.refresh_from_db()
    assert (op.phase, op.phase_entered_at, op.version) == (Phase.AUTOMATE, at, 2)
    move = PhaseTransition.objects.get(pk=move.pk)
    assert (move.from_phase, move.to_phase, move.note) == (
        Phase.LAUNCH,
        Phase.AUTOMATE,
        "Bought a tool",
    )
    assert move.from_phase_entered_at == entered
    assert move.by == by and move.team_id == op.team_id


def test_a_skip_without_a_note_is_refused_and_nothing_is_written():
    ops = [OperationFactory() for _ in range(3)]
    items = [
        (ops[0], Phase.AUTOMATE, "Bought a tool", None),
        (ops[1], Phase.RETIRE, "", None),
        (ops[2], Phase.AUTOMATE, "Bought a tool", None),
    ]
    with pytest.raises(NoteRequired) as refused:
        move_phases(items, by=UserFactory())
    assert refused.value.row_index == 1
    assert not PhaseTransition.objects.filter(to_phase__in=[Phase.AUTOMATE, Phase.RETIRE]).exists()
    assert all(op.phase == Phase.LAUNCH for op in type(ops[0]).objects.all())


def test_a_move_to_the_same_phase_is_refused():
    with pytest.raises(IllegalMove):
        move_phases([(OperationFactory(), Phase.LAUNCH, "note", None)], by=UserFactory())


def test_unmet_exit_criteria_need_a_note_and_met_ones_do_not():
    by = UserFactory()
    met, unmet = OperationFactory(), OperationFactory()
    for criterion in PhaseCriterion.objects.filter(phase=Phase.LAUNCH, is_active=True):
        CriterionCheck.objects.create(operation=met, criterion=criterion, checked_by=by)
    with pytest.raises(NoteRequired, match="exit criteri"):
        move_phases(
            [(met, Phase.STANDARDIZE, "", None), (unmet, Phase.STANDARDIZE, "", None)], by=by
        )
    move_phases([(met, Phase.STANDARDIZE, "", None)], by=by)
    met.refresh_from_db()
    assert met.phase == Phase.STANDARDIZE


def queries_for(count):
    ops, by = [OperationFactory() for _ in range(count)], UserFactory()
    with CaptureQueriesContext(connection) as captured:
        move_phases([(op, Phase.AUTOMATE, "Bought a tool", None) for op in ops], by=by)
    return len(captured.captured_queries)


def test_the_queries_do_not_grow_with_the_number_of_moves():
    assert queries_for(40) == queries_for(3)


def test_webhooks_hear_of_each_move_with_one_query_per_batch():
    from opsmaturity.webhooks.models import Delivery, Endpoint

    Endpoint.objects.create(url="http://127.0.0.1:9/x", events=["operation.moved"], secret="s" * 32)
    ops = [OperationFactory() for _ in range(3)]
    move_phases([(op, Phase.AUTOMATE, "Bought a tool", None) for op in ops], by=UserFactory())
    payloads = [d.payload for d in Delivery.objects.order_by("pk")]
    assert [p["operation"]["id"] for p in payloads] == [op.pk for op in ops]
    assert {(p["from_phase"], p["to_phase"], p["operation"]["version"]) for p in payloads} == {
        (Phase.LAUNCH, Phase.AUTOMATE, 2)
    }
    assert queries_for(40) == queries_for(3)
