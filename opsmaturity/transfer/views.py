from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from opsmaturity.teams import access

from . import importing
from .columns import BY_KEY
from .forms import ConfirmForm, UploadForm
from .models import ImportRecord, ImportStatus
from .reading import FileRefused

# Rows shown in the preview's table; the counts and the errors cover every row.
SHOWN_ROWS = 500


def _require_importer(request):
    access.require(
        access.can_import(request.user),
        _("Only staff and team managers import spreadsheets."),
    )


def _record_for(request, token):
    """The user's own upload: anyone else's is a 404, whoever asks."""
    _require_importer(request)
    return get_object_or_404(ImportRecord, token=token[:64], by=request.user)


@login_required
@require_http_methods(["GET", "POST"])
def import_start(request):
    _require_importer(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            record = importing.store_upload(
                request.user, upload.name, upload.read(), translation.get_language()
            )
        except FileRefused as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("transfer:preview", token=record.token)
    recent = ImportRecord.objects.filter(by=request.user, status=ImportStatus.IMPORTED)[:5]
    return render(request, "transfer/start.html", {"form": form, "recent": recent})


def _preview_context(request, record):
    try:
        plan = importing.preview(record, request.user)
    except FileRefused as exc:
        return {"record": record, "refused": str(exc)}
    rows = [
        {
            "number": row.number,
            "action": row.action,
            "operation": row.operation,
            "name": row.cells.get("name", ""),
            "errors": [
                (BY_KEY[k].header(), row.cells.get(k, ""), m) for k, m in row.errors.items()
            ],
            "changes": [(BY_KEY[k].header(), old, new) for k, old, new in row.changes],
        }
        for row in plan.rows[:SHOWN_ROWS]
    ]
    return {
        "record": record,
        "plan": plan,
        "counts": plan.counts,
        "rows": rows,
        "hidden_rows": len(plan.rows) - len(rows),
        "errors": [
            {"row": n, "column": BY_KEY[k].header(), "message": m} for n, k, m in plan.errors
        ][:1000],
        "columns": [BY_KEY[k].header() for k in plan.keys],
        "confirm": ConfirmForm(initial={"fingerprint": plan.fingerprint()}),
    }


@login_required
@require_safe
def import_preview(request, token):
    record = _record_for(request, token)
    if record.status != ImportStatus.PREVIEWED:
        return render(request, "transfer/done.html", {"record": record})
    return render(request, "transfer/preview.html", _preview_context(request, record))


@login_required
@require_POST
def import_confirm(request, token):
    record = _record_for(request, token)
    if record.status != ImportStatus.PREVIEWED:
        return redirect("transfer:preview", token=record.token)
    form = ConfirmForm(request.POST)
    fingerprint = form.cleaned_data["fingerprint"] if form.is_valid() else ""
    try:
        importing.run_import(record, request.user, fingerprint=fingerprint)
    except importing.ImportFailed as exc:
        context = _preview_context(request, record)
        context["failure"] = str(exc)
        return render(request, "transfer/preview.html", context, status=409)
    record.refresh_from_db()
    messages.success(
        request,
        _("Imported “%(file)s”: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.")
        % {
            "file": record.file_name,
            "created": record.created,
            "updated": record.updated,
            "unchanged": record.unchanged,
        },
    )
    return redirect("transfer:preview", token=record.token)
