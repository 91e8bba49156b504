"""Changes to operations that must happen together or not at all."""

import copy
import logging

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from opsmaturity.lib import events
from opsmaturity.lib.clock import day_start, today
from opsmaturity.lib.concurrency import EditConflict, lock_current
from opsmaturity.lib.people import display_name
from opsmaturity.lib.text import same_name
from opsmaturity.maturity.moves import IllegalMove, classify_move
from opsmaturity.maturity.rules import with_performer_count
from opsmaturity.maturity.scan import run_scan

from . import criteria
from .models import (
    CriterionCheck,
    CriterionKey,
    Operation,
    PhaseTransition,
    PurposeReview,
    TransitionKind,
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


def refresh_flags_of(operation_ids):
    """refresh_flags for several operations in one rescan (a person's operations after
    they left, or after they were handed over)."""
    ids = sorted(set(operation_ids))
    if not ids:
        return
    try:
        run_scan(operation_ids=ids, record=False)
    except DatabaseError:
        log.exception("flags of operations %s not refreshed; the next scan will", ids)


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


def recorded_kind(phase, since, imported=False):
    """What the first line of the history of a new operation records: created new in
    launch, or recorded as already in its phase since a day (worded when shown, in the
    reader's language: PhaseTransition.summary)."""
    if imported:
        return TransitionKind.IMPORTED
    if phase == Phase.LAUNCH and (since is None or since >= today()):
        return TransitionKind.CREATED
    return TransitionKind.RECORDED


def since_error(since, launched_at):
    """Why a "since" day cannot be, or "" (the create form and the import ask)."""
    if since is None:
        return ""
    if since > today():
        return _("It cannot have entered its phase in the future.")
    if launched_at is not None and since < launched_at:
        return _("It cannot have entered its phase before its launch day.")
    return ""


def _new_operation(fields, since):
    """An unsaved operation, with the day it entered its phase set as create_operation says."""
    operation = Operation(**fields)
    now = timezone.now()
    if since is not None and since < timezone.localdate(now):
        operation.phase_entered_at = day_start(since)
    else:
        operation.phase_entered_at = fields.get("phase_entered_at") or now
    if operation.phase == Phase.LAUNCH:
        if operation.launched_at is None:
            operation.launched_at = timezone.localdate(operation.phase_entered_at)
        elif since is None and operation.launched_at < timezone.localdate(
            operation.phase_entered_at
        ):
            # Recording an operation that has run for a while: its launch clock
            # started on its launch day, not today, or its stall would go unseen.
            operation.phase_entered_at = day_start(operation.launched_at)
    return operation


def _check_since(operation, since):
    error = since_error(since, operation.launched_at)
    if error:
        raise ValidationError({"phase_since": error})


def _first_transition(operation, by, since, imported):
    return PhaseTransition(
        operation=operation,
        team_id=operation.team_id,
        from_phase="",
        to_phase=operation.phase,
        by=by,
        at=operation.phase_entered_at,
        kind=recorded_kind(operation.phase, since, imported),
        monthly_cost=operation.monthly_cost,
        monthly_value=operation.monthly_value,
    )


def create_operation(*, by, performers=(), since=None, imported=False, refresh=True, **fields):
    """Record a new operation and the first line of its history.

    ``since``, a local day, is when an operation that already runs in the real world
    entered its phase (``phase`` among the fields, launch by default): its history
    then begins with one transition "recorded as already in <phase> since <day>"
    (its kind, worded when shown: the phase entered and the day are the transition's own).
    ``refresh=False`` leaves the flags to the caller, who refreshes a whole batch at once.
    """
    operation = _new_operation(fields, since)
    operation.full_clean()
    _check_since(operation, since)
    with transaction.atomic():
        _saved_unless_name_taken(operation)
        if performers:
            operation.performers.set(performers)
        _first_transition(operation, by, since, imported).save()
        events.operation_created.send(Operation, operation=operation, by=by)
    if refresh:
        refresh_flags(operation)
    return operation


def create_operations(specs, *, by, imported=True, batch_size=500):
    """Record many new operations at once (an import), each as create_operation would.

    ``specs``: dicts of ``fields``, ``performers`` and ``since``. The same checks of
    each field and the same first line of history, written a batch at a time: three
    statements per batch instead of six per operation. The team, the owner and the
    names' uniqueness are the caller's to have checked for the whole batch (each is
    a query per row here); the database's constraints back them. A ValidationError
    carries ``row_index``, the position in ``specs`` of the operation it is about.
    Flags are left to the caller (``run_scan`` over the batch's ids).
    """
    operations = []
    for index, spec in enumerate(specs):
        operation = _new_operation(spec["fields"], spec.get("since"))
        try:
            operation.full_clean(
                exclude=["team", "owner"], validate_unique=False, validate_constraints=False
            )
            _check_since(operation, spec.get("since"))
        except ValidationError as exc:
            exc.row_index = index
            raise
        operations.append(operation)
    through = Operation.performers.through
    with transaction.atomic():
        try:
            with transaction.atomic():
                Operation.objects.bulk_create(operations, batch_size=batch_size)
        except IntegrityError:
            raise ValidationError(
                {"name": _("Someone recorded one of these names meanwhile: preview again.")}
            ) from None
        through.objects.bulk_create(
            [
                through(operation_id=operation.pk, user_id=person.pk)
                for operation, spec in zip(operations, specs, strict=True)
                for person in spec.get("performers") or ()
            ],
            batch_size=batch_size,
        )
        PhaseTransition.objects.bulk_create(
            [
                _first_transition(operation, by, spec.get("since"), imported)
                for operation, spec in zip(operations, specs, strict=True)
            ],
            batch_size=batch_size,
        )
        events.operations_created.send(Operation, by=by, operations=operations)
    return operations


def move_phase(operation, to_phase, *, by, note="", expected_version=None, at=None, refresh=True):
    """Move an operation to another phase: validate, record, update, in one transaction.

    Raises IllegalMove (or its NoteRequired) with a message for the user, and
    EditConflict when ``expected_version`` is given and no longer current.
    """
    note = (note or "").strip()
    at = at or timezone.now()
    with transaction.atomic():
        current = lock_current(Operation.objects, operation.pk, expected_version)
        move = classify_move(current.phase, to_phase, criteria.unmet_count(current))
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
    if refresh:
        refresh_flags(current)
    operation.refresh_from_db()
    return transition


def move_phases(items, *, by, batch_size=500):
    """Make many phase moves at once (an import), each as move_phase would.

    ``items``: (operation, to_phase, note, at or None). The same rules (a skip, a move
    backward, retiring or unmet exit criteria need a note) and the same history, a
    batch at a time: the rows locked and their unmet criteria counted in two queries
    per batch, the transitions written with one INSERT and the operations with one
    UPDATE per batch. IllegalMove (or NoteRequired) carries ``row_index``, the
    position in ``items`` it is about, and nothing is written. Flags are left to
    the caller.
    """
    if not items:
        return []
    now = timezone.now()
    by_phase = criteria.active_criteria()
    transitions = []
    with transaction.atomic():
        for start in range(0, len(items), batch_size):
            chunk = items[start : start + batch_size]
            ids = [operation.pk for operation, _t, _n, _a in chunk]
            # With what the criteria that the data answers read: owner, performers.
            current = with_performer_count(
                Operation.objects.select_for_update(of=("self",)).select_related("team", "owner")
            ).in_bulk(ids)
            ticked = criteria.ticked_criteria(ids)
            rows, batch, moved = [], [], []
            for offset, (operation, to_phase, note, at) in enumerate(chunk):
                row = current.get(operation.pk)
                note = (note or "").strip()
                at = at or now
                try:
                    if row is None:
                        raise IllegalMove(_("This operation no longer exists."))
                    unmet = criteria.unmet_of(
                        row, by_phase.get(row.phase, []), ticked.get(row.pk, set())
                    )
                    move = classify_move(row.phase, to_phase, unmet)
                    if move.needs_note and not note:
                        raise NoteRequired(move.why_note)
                except IllegalMove as exc:
                    exc.row_index = start + offset
                    raise
                batch.append(
                    PhaseTransition(
                        operation=row,
                        team_id=row.team_id,
                        from_phase=row.phase,
                        to_phase=to_phase,
                        by=by,
                        at=at,
                        from_phase_entered_at=row.phase_entered_at,
                        note=note,
                        monthly_cost=row.monthly_cost,
                        monthly_value=row.monthly_value,
                    )
                )
                moved.append((copy.copy(row), batch[-1]))
                row.phase, row.phase_entered_at, row.updated_at = to_phase, at, at
                row.version += 1
                rows.append(row)
                operation.phase, operation.phase_entered_at = to_phase, at
                operation.version = row.version
            transitions += PhaseTransition.objects.bulk_create(batch)
            Operation.objects.bulk_update(
                rows, ["phase", "phase_entered_at", "version", "updated_at"]
            )
            # As move_phase's operation_moved: each operation as it was before its move.
            events.operations_moved.send(Operation, by=by, moves=moved)
    return transitions


def update_operation(operation, *, by, changes, expected_version, performers=None, refresh=True):
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
    if refresh:
        refresh_flags(current)
    return current


def _differs(row, name, value):
    """Whether saving ``value`` changes the field, a related row compared by its id (never
    loaded: one query per row otherwise)."""
    field = row._meta.get_field(name)
    if field.many_to_one:
        return getattr(row, field.attname) != getattr(value, "pk", value)
    return getattr(row, name) != value


def update_operations(items, *, by, batch_size=500, announce=True):
    """Save many edits at once (an import, a bulk change of the list), each as
    update_operation would.

    ``items``: (operation, changes, performers or None), each operation as the caller
    read it. The rows are locked a batch at a time and each version compared, so an
    edit saved meanwhile raises EditConflict (with ``row_index``) and nothing is
    written; then the batch is written with one UPDATE per batch, and its performers
    replaced with one DELETE and one INSERT. ``announce``: one operations_changed for
    the batch, as update_operation's operation_changed for each. Flags are left to
    the caller.
    """
    if not items:
        return []
    through = Operation.performers.through
    saved = []
    with transaction.atomic():
        expected = {operation.pk: operation.version for operation, _c, _p in items}
        current = {}
        ids = list(expected)
        for start in range(0, len(ids), batch_size):
            chunk = ids[start : start + batch_size]
            current.update(
                (op.pk, op)
                for op in Operation.objects.select_for_update(of=("self",))
                .select_related("team")
                .filter(pk__in=chunk)
            )
        fields, moved_team, announced = {"version", "updated_at"}, [], []
        now = timezone.now()
        for index, (operation, changes, performers) in enumerate(items):
            row = current.get(operation.pk)
            if row is None or row.version != expected[operation.pk]:
                conflict = EditConflict(row or operation)
                conflict.row_index = index
                raise conflict
            changed = [n for n, v in changes.items() if _differs(row, n, v)]
            announced.append((row, changed + (["performers"] if performers is not None else [])))
            for name, value in changes.items():
                setattr(row, name, value)
                fields.add(name)
            if "team" in changes and row.team_id != row._saved_team_id:
                moved_team.append(row)
            row.normalize()
            row.version += 1
            row.updated_at = now
            saved.append(row)
        try:
            with transaction.atomic():
                Operation.objects.bulk_update(saved, sorted(fields), batch_size=batch_size)
        except IntegrityError:
            raise ValidationError(
                {"name": _("Someone recorded one of these names meanwhile: preview again.")}
            ) from None
        # An operation that changes team takes its history along (as Operation.save()):
        # one UPDATE per team they go to.
        to_team = {}
        for row in moved_team:
            to_team.setdefault(row.team_id, []).append(row.pk)
            row._saved_team_id = row.team_id
        for team_id, ids in to_team.items():
            PhaseTransition.objects.filter(operation_id__in=ids).update(team_id=team_id)
        replaced = {op.pk: people for op, _c, people in items if people is not None}
        if replaced:
            through.objects.filter(operation_id__in=list(replaced)).delete()
            through.objects.bulk_create(
                [
                    through(operation_id=pk, user_id=person.pk)
                    for pk, people in replaced.items()
                    for person in people
                ],
                batch_size=batch_size,
            )
        if announce:
            events.operations_changed.send(Operation, by=by, changes=announced)
    return saved


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

    A criterion that the operation's data answers (``criterion.key``) is not ticked:
    IllegalMove says so. For the runbook's, the evidence given is the runbook's link,
    which becomes the operation's runbook URL while it has none (link_runbook).
    """
    if criterion.key == CriterionKey.RUNBOOK and checked:
        link_runbook(operation, evidence, by=by)
        return None
    if criterion.key:
        raise IllegalMove(
            _("The operation's own data answers this criterion: change the data instead.")
        )
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


RUNBOOK_URL = URLValidator(schemes=["http", "https"])
RUNBOOK_MAX = Operation._meta.get_field("runbook_url").max_length


def link_runbook(operation, url, *, by):
    """Give an operation without a runbook URL the link to its runbook, as an edit of
    that one field would (update_operation: locked, a new version, announced, flags
    rescanned). A runbook already linked meanwhile is kept. Returns the operation as
    saved; ValidationError for a link that is no web address."""
    url = (url or "").strip()
    try:
        if len(url) > RUNBOOK_MAX:
            raise ValidationError("too long")
        RUNBOOK_URL(url)
    except ValidationError:
        raise ValidationError(
            {
                "evidence": _(
                    "Give the runbook's full web address, like https://wiki.example.com/refunds."
                )
            }
        ) from None
    with transaction.atomic():
        current = lock_current(Operation.objects, operation.pk)
        if current.runbook_url:
            return current
        saved = update_operation(
            current,
            by=by,
            changes={"runbook_url": url},
            expected_version=current.version,
            refresh=False,
        )
    refresh_flags(saved)
    return saved


def hand_over(
    operation,
    *,
    by,
    person,
    new_owner=None,
    remove_performer=False,
    new_performer=None,
    expected_version,
):
    """Hand over what ``person`` does on one operation: its ownership to ``new_owner``
    (when given, and when they own it), and their place among its performers, removed or
    given to ``new_performer``. Locked and version-checked like an edit.

    Called inside the caller's transaction to hand over several operations in one step
    (offboarding.services.reassign); the caller rescans them once it commits
    (refresh_flags_of). Raises EditConflict, or ValidationError when the new owner may
    not own an operation of its team (they left, or are not in it), and changes nothing.
    Returns the operation as saved, or as it was when there was nothing to change.
    """
    from opsmaturity.teams.models import Membership

    with transaction.atomic():
        current = lock_current(Operation.objects, operation.pk, expected_version)
        changed = False
        if new_owner is not None and current.owner_id == person.pk and new_owner.pk != person.pk:
            if (
                not new_owner.is_active
                or not Membership.objects.filter(
                    team_id=current.team_id, user_id=new_owner.pk
                ).exists()
            ):
                raise ValidationError(
                    {
                        "owner": _("%(person)s cannot own an operation of %(team)s.")
                        % {"person": display_name(new_owner), "team": current.team.name}
                    }
                )
            current.owner = new_owner
            changed = True
        performers = Operation.performers.through.objects.filter(operation_id=current.pk)
        if (remove_performer or new_performer is not None) and performers.filter(
            user_id=person.pk
        ).exists():
            if new_performer is not None and not new_performer.is_active:
                raise ValidationError(
                    {
                        "performer": _("%(person)s has left and cannot run it.")
                        % {"person": display_name(new_performer)}
                    }
                )
            performers.filter(user_id=person.pk).delete()
            if new_performer is not None and new_performer.pk != person.pk:
                current.performers.add(new_performer)
            changed = True
        if changed:
            current.version += 1
            _saved_unless_name_taken(current)
    return current
