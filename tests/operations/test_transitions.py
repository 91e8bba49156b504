"""Phase moves through the one transition service: every allowed and refused move."""

import itertools

import pytest
from django.db import IntegrityError

from opsmaturity.lib.concurrency import EditConflict
from opsmaturity.maturity.models import Flag, FlagKind
from opsmaturity.maturity.moves import IllegalMove, MoveKind, classify_move
from opsmaturity.operations.models import CriterionCheck, PhaseCriterion, PhaseTransition
from opsmaturity.operations.phases import ORDER, Phase
from opsmaturity.operations.services import (
    NoteRequired,
    create_operation,
    move_phase,
)
from tests.operations.factories import OperationFactory
from tests.teams.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

FORWARD = [(a, b) for a, b in itertools.pairwise(ORDER[:-1])]


def expected_kind(source, target):
    if target == Phase.RETIRE:
        return MoveKind.RETIRE
    if source == Phase.RETIRE:
        return MoveKind.REINSTATE
    if ORDER.index(target) < ORDER.index(source):
        return MoveKind.BACKWARD
    if ORDER.index(target) > ORDER.index(source) + 1:
        return MoveKind.SKIP
    return MoveKind.FORWARD


@pytest.mark.parametrize(("source", "target"), [(a, b) for a in ORDER for b in ORDER if a != b])
def test_every_move_between_two_phases(source, target):
    move = classify_move(source, target)
    kind = expected_kind(source, target)
    assert move.kind == kind
    assert move.needs_note is (kind != MoveKind.FORWARD)
    if move.needs_note:
        assert move.why_note


@pytest.mark.parametrize("phase", ORDER)
def test_staying_in_the_same_phase_is_refused(phase):
    with pytest.raises(IllegalMove, match="already in"):
        classify_move(phase, phase)


def test_unknown_phase_is_refused():
    with pytest.raises(IllegalMove, match="is not a phase"):
        classify_move(Phase.LAUNCH, "teleport")


def test_forward_with_unmet_criteria_needs_a_note():
    move = classify_move(Phase.LAUNCH, Phase.STANDARDIZE, unmet_criteria=2)
    assert move.needs_note
    assert "2 exit criteria are not met" in move.why_note


def meet_all_criteria(op, user):
    """Tick those people tick; give the data that answers the others."""
    for criterion in PhaseCriterion.objects.filter(phase=op.phase, is_active=True, key=""):
        CriterionCheck.objects.create(operation=op, criterion=criterion, checked_by=user)
    op.performers.set([user, UserFactory()])


@pytest.mark.parametrize(("source", "target"), FORWARD)
def test_forward_move_with_criteria_met_needs_no_note(source, target):
    user = UserFactory()
    op = OperationFactory(phase=source)
    meet_all_criteria(op, user)
    transition = move_phase(op, target, by=user)
    op.refresh_from_db()
    assert op.phase == target
    assert op.phase_entered_at == transition.at
    assert op.version == 2
    assert (transition.from_phase, transition.to_phase, transition.by) == (source, target, user)
    assert transition.monthly_cost == op.monthly_cost


def test_forward_move_with_unmet_criteria_is_refused_without_note():
    op = OperationFactory()
    with pytest.raises(NoteRequired, match="1 exit criterion is not met"):
        move_phase(op, Phase.STANDARDIZE, by=UserFactory())
    op.refresh_from_db()
    assert op.phase == Phase.LAUNCH
    assert not PhaseTransition.objects.filter(operation=op).exists()


def test_inactive_criteria_are_not_asked_for():
    op = OperationFactory()
    PhaseCriterion.objects.filter(phase=Phase.LAUNCH).update(is_active=False)
    move_phase(op, Phase.STANDARDIZE, by=UserFactory())
    op.refresh_from_db()
    assert op.phase == Phase.STANDARDIZE


NOTE_MOVES = [
    (Phase.LAUNCH, Phase.AUTOMATE),  # skip
    (Phase.LAUNCH, Phase.COST_OPTIMIZE),  # skip
    (Phase.AUTOMATE, Phase.LAUNCH),  # backward
    (Phase.COST_OPTIMIZE, Phase.STANDARDIZE),  # backward
    (Phase.LAUNCH, Phase.RETIRE),  # retire
    (Phase.AUTOMATE, Phase.RETIRE),
    (Phase.RETIRE, Phase.STANDARDIZE),  # reinstate
]


@pytest.mark.parametrize(("source", "target"), NOTE_MOVES)
def test_moves_that_need_a_note_are_refused_without_one(source, target):
    op = OperationFactory(phase=source)
    for note in ("", "   "):
        with pytest.raises(NoteRequired):
            move_phase(op, target, by=UserFactory(), note=note)
    op.refresh_from_db()
    assert op.phase == source
    assert op.version == 1


@pytest.mark.parametrize(("source", "target"), NOTE_MOVES)
def test_moves_that_need_a_note_pass_with_one(source, target):
    op = OperationFactory(phase=source)
    move_phase(op, target, by=UserFactory(), note="  Agreed in the weekly review.  ")
    op.refresh_from_db()
    assert op.phase == target
    assert op.transitions.get().note == "Agreed in the weekly review."


def test_retiring_resolves_open_flags_and_keeps_the_operation():
    op = OperationFactory()
    Flag.objects.create(operation=op, kind=FlagKind.UNJUSTIFIED)
    move_phase(op, Phase.RETIRE, by=UserFactory(), note="Nobody uses it any more.")
    op.refresh_from_db()
    assert op.is_retired
    assert not Flag.objects.open().filter(operation=op).exists()


def test_reinstating_a_retired_operation_keeps_its_history():
    user = UserFactory()
    op = OperationFactory()
    move_phase(op, Phase.RETIRE, by=user, note="Replaced by the new portal.")
    move_phase(op, Phase.LAUNCH, by=user, note="The portal was rolled back.")
    op.refresh_from_db()
    assert op.phase == Phase.LAUNCH
    assert list(op.transitions.values_list("from_phase", "to_phase")) == [
        (Phase.LAUNCH, Phase.RETIRE),
        (Phase.RETIRE, Phase.LAUNCH),
    ]


def test_a_stale_version_is_a_conflict_and_changes_nothing():
    op = OperationFactory(phase=Phase.LAUNCH)
    with pytest.raises(EditConflict):
        move_phase(op, Phase.RETIRE, by=UserFactory(), note="x", expected_version=7)
    op.refresh_from_db()
    assert op.phase == Phase.LAUNCH


def test_create_operation_starts_the_history():
    user = UserFactory()
    op = create_operation(
        by=user,
        name="Refund approvals",
        team=TeamFactory(),
        owner=user,
        purpose="Customers get refunds within two days.",
    )
    first = op.transitions.get()
    assert (first.from_phase, first.to_phase, first.by) == ("", Phase.LAUNCH, user)
    assert op.launched_at is not None


def test_create_operation_saves_nothing_when_invalid():
    user = UserFactory()
    with pytest.raises(Exception, match="purpose"):
        create_operation(by=user, name="X", team=TeamFactory(), owner=user, purpose="  ")
    assert not PhaseTransition.objects.exists()


def test_history_is_append_only():
    op = OperationFactory()
    t = move_phase(op, Phase.RETIRE, by=UserFactory(), note="done")
    t.note = "rewritten"
    with pytest.raises(ValueError, match="history"):
        t.save()
    with pytest.raises(ValueError, match="history"):
        t.delete()


def test_a_failed_move_leaves_no_transition(monkeypatch):
    op = OperationFactory()

    def broken_update(*args, **kwargs):
        raise IntegrityError("disk full")

    monkeypatch.setattr("django.db.models.query.QuerySet.update", broken_update)
    with pytest.raises(IntegrityError):
        move_phase(op, Phase.RETIRE, by=UserFactory(), note="x")
    monkeypatch.undo()
    assert not PhaseTransition.objects.filter(operation=op).exists()
    op.refresh_from_db()
    assert op.phase == Phase.LAUNCH


def test_edits_reapply_the_rules_without_recording_scan_runs():
    from opsmaturity.maturity.models import ScanRun

    op = OperationFactory.days_in_phase(70)
    move_phase(op, Phase.RETIRE, by=UserFactory(), note="stopped")
    assert not ScanRun.objects.exists()


def test_a_failing_refresh_does_not_undo_or_hide_the_saved_move(monkeypatch, caplog):
    from django.db import OperationalError

    def broken(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr("opsmaturity.operations.services.run_scan", broken)
    op = OperationFactory()
    move_phase(op, Phase.RETIRE, by=UserFactory(), note="stopped")
    op.refresh_from_db()
    assert op.phase == Phase.RETIRE
    assert "not refreshed" in caplog.text
