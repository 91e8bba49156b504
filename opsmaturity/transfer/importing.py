"""Preview and import a stored file: the one code path of the page, the task and the command.

Importing is all or nothing: every row is written through the operations' services
(create_operations, update_operations, move_phases: the same checks and rules as the
forms) in one transaction, and a single bad row rolls everything back. The flags
of every operation touched are refreshed once, for the whole batch, afterwards.
"""

import datetime as dt
import logging

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from opsmaturity.lib.clock import day_start
from opsmaturity.lib.concurrency import EditConflict
from opsmaturity.maturity.moves import IllegalMove
from opsmaturity.maturity.scan import run_scan
from opsmaturity.operations import services
from opsmaturity.teams import access

from .columns import BY_KEY
from .models import ImportedOperation, ImportRecord, ImportStatus
from .plan import CREATE, UPDATE, build_plan, cell_message, check_headers
from .reading import FileRefused, read_table

log = logging.getLogger(__name__)


# Files with more rows than this are imported by a worker, with a progress bar.
BACKGROUND_ROWS = 2000


class ImportFailed(Exception):
    """Nothing was written; the message says why, for the person importing."""


class AlreadyImported(ImportFailed):
    """Someone (or a task run twice) imported this file already: nothing more to do."""


# A file previewed and never confirmed is let go after this long.
KEEP_PREVIEWS = dt.timedelta(days=2)


def store_upload(user, name, data, language="", create_missing=False):
    """Keep an uploaded file for its preview, once it is known to be a readable table."""
    table = read_table(name, data)  # FileRefused for a bad file: nothing is stored
    check_headers(table)
    ImportRecord.objects.filter(
        status=ImportStatus.PREVIEWED, created_at__lt=timezone.now() - KEEP_PREVIEWS
    ).delete()
    return ImportRecord.objects.create(
        by=user,
        file_name=name[:255],
        data=data,
        rows=len(table.rows),
        language=language,
        create_missing=create_missing and access.may_create_missing(user),
    )


def preview(record, user):
    """The plan of a stored file (FileRefused when it cannot be read)."""
    table = read_table(record.file_name, bytes(record.data))
    return build_plan(table, user, create_missing=record.create_missing)


def _field_of(exc):
    if hasattr(exc, "error_dict"):
        key, errors = next(iter(exc.error_dict.items()))
        return key, " ".join(m for e in errors for m in e.messages)
    return None, " ".join(exc.messages)


KEYS = {"launched_at": "launched_on", "phase_entered_at": "phase_since", "__all__": "name"}


def run_import(record, user, fingerprint=None, progress=None):
    """Write the plan of ``record``'s file, all rows or none; return the plan.

    Raises ImportFailed with a message when the file has errors, when it plans
    otherwise than the preview showed (``fingerprint``), or when a row is refused
    while writing; nothing is written then.
    """
    try:
        plan = preview(record, user)
    except FileRefused as exc:
        raise ImportFailed(str(exc)) from None
    if plan.errors:
        count = len(plan.errors)
        raise ImportFailed(
            ngettext(
                "The file has %(count)s error: correct it and upload the file again.",
                "The file has %(count)s errors: correct them and upload the file again.",
                count,
            )
            % {"count": count}
        )
    if fingerprint is not None and plan.fingerprint() != fingerprint:
        raise ImportFailed(
            _("The operations changed since your preview: check the new preview, then confirm.")
        )
    touched = []
    with transaction.atomic():
        claimed = ImportRecord.objects.filter(
            pk=record.pk, status__in=[ImportStatus.PREVIEWED, ImportStatus.RUNNING]
        ).update(status=ImportStatus.IMPORTED)
        if not claimed:
            raise AlreadyImported(_("This file has already been imported."))
        made = _make_missing(plan, user)
        creates = [row for row in plan.rows if row.action == CREATE]
        touched += _create_all(record, creates, user)
        if progress and creates:
            progress(len(creates))
        updates = [row for row in plan.rows if row.action == UPDATE]
        touched += _update_all(record, updates, user)
        moves = [row for row in updates if row.to_phase]
        _move_all(moves, user)
        if progress and moves:
            progress(len(creates) + len(moves))
        ImportedOperation.objects.bulk_create(touched, batch_size=500)
        counts = plan.counts
        record.status = ImportStatus.IMPORTED
        record.imported_at = timezone.now()
        record.created, record.updated = counts[CREATE], counts[UPDATE]
        record.unchanged, record.errors = counts["unchanged"], 0
        record.done = len(plan.rows)
        record.teams_created, record.people_added = made
        record.data = b""
        record.save()
    ids = [line.operation_id for line in touched]
    if ids:
        try:
            run_scan(operation_ids=ids, record=False)
        except DatabaseError:
            log.exception("flags of import %s not refreshed; the next scan will", record.pk)
    return plan


def _make_missing(plan, user):
    """The teams, accounts and memberships the plan needs first (create_missing), made
    through the teams' and invitations' services; each new person is mailed once the
    import commits. Returns (teams made, people added to a team)."""
    if not plan.creates_missing:
        return 0, 0
    from opsmaturity.invitations import services as invitations
    from opsmaturity.teams import services as teams
    from opsmaturity.teams.models import Role

    try:
        for team in plan.new_teams:
            made = teams.create_team(name=team.name, by=user)
            team.pk, team.created_at = made.pk, made.created_at
            team._state.adding, team._state.db = False, made._state.db
        for person in plan.new_people:
            invitations.make_account(person)
        joined = {}
        for team, person in plan.new_members:
            new = getattr(person, "is_new", False)
            invitations.add_to_team(team, person, role=Role.MEMBER, by=user, notify=not new)
            joined.setdefault(person.pk, []).append(team)
        for person in plan.new_people:
            invitations.welcome(person, joined.get(person.pk, []), by=user)
    except teams.TeamRuleError as exc:
        raise ImportFailed(str(exc)) from None
    people = {(t.pk, p.pk) for t, p in plan.new_members}
    return len(plan.new_teams), len(people)


def _message(exc, number):
    """A write the services refused, worded as the preview words a bad cell."""
    if isinstance(exc, ValidationError):
        key, message = _field_of(exc)
        key = KEYS.get(key, key) or "name"
    elif isinstance(exc, EditConflict):
        key, message = "id", _("Someone changed it meanwhile: upload the file again.")
    else:
        key, message = "phase", str(exc)
    if key not in BY_KEY:
        key = "name"
    return cell_message(number, key, message)


def _create_all(record, rows, user):
    """The new operations, in batches (operations.services.create_operations)."""
    if not rows:
        return []
    specs = [{"fields": r.fields, "performers": r.performers, "since": r.since} for r in rows]
    try:
        created = services.create_operations(specs, by=user, imported=True)
    except ValidationError as exc:
        number = rows[exc.row_index].number if hasattr(exc, "row_index") else rows[0].number
        raise ImportFailed(_message(exc, number)) from None
    return [
        ImportedOperation(record=record, operation=operation, action=CREATE, row=row.number)
        for operation, row in zip(created, rows, strict=True)
    ]


def _update_all(record, rows, user):
    """The edits, in batches (operations.services.update_operations); moves come after."""
    edited = [r for r in rows if r.fields or r.performers is not None]
    items = [(r.operation, r.fields, r.performers) for r in edited]
    try:
        saved = services.update_operations(items, by=user)
    except (ValidationError, EditConflict) as exc:
        index = getattr(exc, "row_index", 0)
        raise ImportFailed(_message(exc, edited[index].number if edited else 0)) from None
    for row, operation in zip(edited, saved, strict=True):
        row.operation = operation
    return [
        ImportedOperation(record=record, operation=row.operation, action=UPDATE, row=row.number)
        for row in rows
    ]


def _move_all(rows, user):
    """The phase changes, in batches (operations.services.move_phases), by the rules."""
    items = [
        (row.operation, row.to_phase, row.note, day_start(row.since) if row.since else None)
        for row in rows
    ]
    try:
        services.move_phases(items, by=user)
    except IllegalMove as exc:
        index = getattr(exc, "row_index", 0)
        raise ImportFailed(_message(exc, rows[index].number)) from None
