"""Preview and import a stored file: the one code path of the page, the task and the command.

Importing is all or nothing: every row is written through the operations' services
(create_operation, update_operation, move_phase: the same checks and rules as the
forms) in one transaction, and a single bad row rolls everything back. The flags
of every operation touched are refreshed once, for the whole batch, afterwards.
"""

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


def store_upload(user, name, data, language=""):
    """Keep an uploaded file for its preview, once it is known to be a readable table."""
    table = read_table(name, data)  # FileRefused for a bad file: nothing is stored
    check_headers(table)
    return ImportRecord.objects.create(
        by=user, file_name=name[:255], data=data, rows=len(table.rows), language=language
    )


def preview(record, user):
    """The plan of a stored file (FileRefused when it cannot be read)."""
    return build_plan(read_table(record.file_name, bytes(record.data)), user)


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
            raise ImportFailed(_("This file has already been imported."))
        for done, row in enumerate(plan.rows, start=1):
            try:
                operation = _write(row, user)
            except (ValidationError, IllegalMove, EditConflict) as exc:
                raise ImportFailed(_message(exc, row.number)) from None
            if operation is not None:
                touched.append(
                    ImportedOperation(
                        record=record, operation=operation, action=row.action, row=row.number
                    )
                )
            if progress and done % 200 == 0:
                progress(done)
        ImportedOperation.objects.bulk_create(touched, batch_size=500)
        counts = plan.counts
        record.status = ImportStatus.IMPORTED
        record.imported_at = timezone.now()
        record.created, record.updated = counts[CREATE], counts[UPDATE]
        record.unchanged, record.errors = counts["unchanged"], 0
        record.done = len(plan.rows)
        record.data = b""
        record.save()
    ids = [line.operation_id for line in touched]
    if ids:
        try:
            run_scan(operation_ids=ids, record=False)
        except DatabaseError:
            log.exception("flags of import %s not refreshed; the next scan will", record.pk)
    return plan


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


def _write(row, user):
    if row.action == CREATE:
        return services.create_operation(
            by=user,
            performers=row.performers or (),
            since=row.since,
            imported=True,
            refresh=False,
            validate_constraints=False,  # names checked by the plan; the database backs it
            **row.fields,
        )
    if row.action != UPDATE:
        return None
    operation = row.operation
    if row.fields or row.performers is not None:
        operation = services.update_operation(
            operation,
            by=user,
            changes=row.fields,
            expected_version=operation.version,
            performers=row.performers,
            refresh=False,
        )
    if row.to_phase:
        services.move_phase(
            operation,
            row.to_phase,
            by=user,
            note=row.note,
            at=day_start(row.since) if row.since else None,
            refresh=False,
        )
    return operation
