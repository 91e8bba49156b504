"""Changes to operations that must happen together or not at all."""

import logging

from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from opsmaturity.lib import events
from opsmaturity.lib.clock import day_start
from opsmaturity.lib.concurrency import lock_current
from opsmaturity.lib.text import same_name
from opsmaturity.maturity.moves import IllegalMove, classify_move
from opsmaturity.maturity.scan import run_scan

from .models import (
    CriterionCheck,
    Operation,
    PhaseCriterion,
    PhaseTransition,
    PurposeReview,
    name_taken,
)
from .phases import Phase

log = logging.getLogger(__name__)


class NoteRequired(IllegalMove):
    pass


def refresh_flags(operation):
    """Re-apply the rules to one operation right after a change, so its page, the lists
    and the dashboard show the flags it has now rather than at the next hourly scan.

    The change itself is saved by then: if this fails, the hourly scan catches up,
    and the user is not shown an error for a save that worked.
    """
    try:
        run_scan(operation_ids=[operation.pk], record=False)
    except DatabaseError:
        log.exception("flags of operation %s not refreshed; the next scan will", operation.pk)


def unmet_criteria(operation):
    """The active exit criteria of the operation's phase that it has not checked yet."""
    ticked = CriterionCheck.objects.current().filter(operation=operation).values("criterion_id")
    return PhaseCriterion.objects.filter(phase=operation.phase, is_active=True).exclude(
        pk__in=ticked
    )


def _saved_unless_name_taken(operation):
    """Save; when someone saved the same name in the team meanwhile (two people recording
    it at once), say so at the field, as the form does, instead of failing."""
    try:
        with transaction.atomic():
            operation.save()
    except IntegrityError:
        in_team = Operation.objects.filter(team_id=operation.team_id)
        if same_name(in_team, operation.name, exclude_pk=operation.pk) is None:
            raise
        raise ValidationError({"name": name_taken(operation.team, operation.name)}) from None


def create_operation(*, by, performers=(), **fields):
    """Record a new operation and the first line of its history."""
    operation = Operation(**fields)
    now = timezone.now()
    operation.phase_entered_at = fields.get("phase_entered_at") or now
    if operation.phase == Phase.LAUNCH:
        if operation.launched_at is None:
            operation.launched_at = timezone.localdate(operation.phase_entered_at)
        elif operation.launched_at < timezone.localdate(operation.phase_entered_at):
            # Recording an operation that has run for a while: its launch clock
            # started on its launch day, not today, or its stall would go unseen.
            operation.phase_entered_at = day_start(operation.launched_at)
    operation.full_clean()
    with transaction.atomic():
        _saved_unless_name_taken(operation)
        if performers:
            operation.performers.set(performers)
        PhaseTransition.objects.create(
            operation=operation,
            from_phase="",
            to_phase=operation.phase,
            by=by,
            at=operation.phase_entered_at,
            note=_("Recorded"),
            monthly_cost=operation.monthly_cost,
            monthly_value=operation.monthly_value,
        )
        events.operation_created.send(Operation, operation=operation, by=by)
    refresh_flags(operation)
    return operation


def move_phase(operation, to_phase, *, by, note="", expected_version=None, at=None):
    """Move an operation to another phase: validate, record, update, in one transaction.

    Raises IllegalMove (or its NoteRequired) with a message for the user, and
    EditConflict when ``expected_version`` is given and no longer current.
    """
    note = (note or "").strip()
    at = at or timezone.now()
    with transaction.atomic():
        current = lock_current(Operation.objects, operation.pk, expected_version)
        move = classify_move(current.phase, to_phase, unmet_criteria(current).count())
        if move.needs_note and not note:
            raise NoteRequired(move.why_note)
        transition = PhaseTransition.objects.create(
            operation=current,
            from_phase=current.phase,
            to_phase=to_phase,
            by=by,
            at=at,
            from_phase_entered_at=current.phase_entered_at,
            note=note,
            monthly_cost=current.monthly_cost,
            monthly_value=current.monthly_value,
        )
        Operation.objects.filter(pk=current.pk).update(
            phase=to_phase, phase_entered_at=at, version=F("version") + 1, updated_at=at
        )
        events.operation_moved.send(Operation, operation=current, by=by, transition=transition)
    # Among others, this resolves every open flag of a retired operation: no rule
    # holds for one.
    refresh_flags(current)
    operation.refresh_from_db()
    return transition


def update_operation(operation, *, by, changes, expected_version, performers=None):
    """Save an edit unless someone else saved the operation since ``expected_version``.

    The row is locked for the check-and-write, so of two people saving at once
    the second is told of the conflict instead of overwriting the first.
    """
    with transaction.atomic():
        current = lock_current(Operation.objects, operation.pk, expected_version)
        changed = [name for name, value in changes.items() if getattr(current, name) != value]
        for name, value in changes.items():
            setattr(current, name, value)
        current.version += 1
        _saved_unless_name_taken(current)
        if performers is not None:
            before = set(current.performers.values_list("pk", flat=True))
            current.performers.set(performers)
            if before != {p.pk for p in performers}:
                changed.append("performers")
        events.operation_changed.send(Operation, operation=current, by=by, fields=changed)
    refresh_flags(current)
    return current


def review_purpose(operation, *, by, reason, monthly_value, monthly_cost, expected_version):
    """Confirm that the operation is still needed, with today's value and cost."""
    now = timezone.now()
    with transaction.atomic():
        current = lock_current(Operation.objects, operation.pk, expected_version)
        PurposeReview.objects.create(
            operation=current,
            by=by,
            at=now,
            reason=reason,
            monthly_value=monthly_value,
            monthly_cost=monthly_cost,
        )
        current.purpose_reviewed_at = now
        current.purpose_reviewed_by = by
        current.monthly_value = monthly_value
        current.monthly_cost = monthly_cost
        current.version += 1
        current.save()
        events.operation_changed.send(
            Operation, operation=current, by=by, fields=["purpose_reviewed_at"]
        )
    refresh_flags(current)
    return current


def set_criterion_check(operation, criterion, *, by, checked, evidence=""):
    """Tick or untick one exit criterion of the operation's current phase.

    Nothing is erased: unticking records who took the tick back and when, and a new
    tick (or new evidence) is a new row. The operation's row is locked meanwhile, so
    two people ticking at once leave one current tick.
    """
    now = timezone.now()
    with transaction.atomic():
        current_operation = lock_current(Operation.objects, operation.pk)
        if criterion.phase != current_operation.phase:
            raise IllegalMove(_("That criterion belongs to another phase."))
        standing = CriterionCheck.objects.current().filter(
            operation=current_operation, criterion=criterion
        )
        previous = standing.first()
        if checked and previous is not None and previous.evidence == evidence:
            return previous
        standing.update(unchecked_at=now, unchecked_by=by)
        if not checked:
            return None
        return CriterionCheck.objects.create(
            operation=current_operation,
            criterion=criterion,
            checked_by=by,
            checked_at=now,
            evidence=evidence,
        )
