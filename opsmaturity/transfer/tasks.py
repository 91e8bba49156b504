"""A large file is imported by a worker; the page follows its progress (views.import_progress).

The task can be delivered twice: the import claims its record in the same
transaction as it writes, so a second run finds it imported and does nothing.
"""

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import translation

from . import importing
from .models import ImportRecord, ImportStatus


@shared_task(
    name="opsmaturity.transfer.import_file",
    bind=True,
    soft_time_limit=10 * 60,
    time_limit=11 * 60,
)
def import_file(self, record_id, user_id, fingerprint):
    record = ImportRecord.objects.filter(pk=record_id).first()
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if record is None or user is None:
        return {"ok": False}

    def progress(done):
        self.update_state(state="PROGRESS", meta={"done": done, "rows": record.rows})

    with translation.override(record.language or settings.LANGUAGE_CODE):
        try:
            importing.run_import(record, user, fingerprint=fingerprint, progress=progress)
        except importing.AlreadyImported:
            return {"ok": True}
        except importing.ImportFailed as exc:
            ImportRecord.objects.filter(pk=record_id, status=ImportStatus.RUNNING).update(
                status=ImportStatus.PREVIEWED, message=str(exc)
            )
            return {"ok": False, "message": str(exc)}
        except Exception:
            # Whatever went wrong, the page stops waiting, and the file can be confirmed again.
            ImportRecord.objects.filter(pk=record_id, status=ImportStatus.RUNNING).update(
                status=ImportStatus.PREVIEWED,
                message=translation.gettext("The import failed; nothing was written."),
            )
            raise
    return {"ok": True}
