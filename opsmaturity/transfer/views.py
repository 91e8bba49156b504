from celery.result import AsyncResult
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect

from opsmaturity.celery import app as celery_app
from opsmaturity.core.broker import BROKER_ERRORS, BrokerUnavailable, publish
from opsmaturity.lib.forms import parse_id
from opsmaturity.operations.lists import filtered_operations
from opsmaturity.teams import access

from . import export, importing, tasks
from .columns import BY_KEY, COLUMN_NOTES, COLUMNS
from .forms import ConfirmForm, UploadForm
from .models import ImportRecord, ImportStatus
from .reading import MAX_BYTES, FileRefused, too_large_message

# Room for the form's other fields and the multipart boundaries around the file.
UPLOAD_OVERHEAD = 64 * 1024


def _too_large(request):
    length = parse_id(request.META.get("CONTENT_LENGTH"))
    return length is not None and length > MAX_BYTES + UPLOAD_OVERHEAD


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
    if request.method == "POST" and _too_large(request):
        # Refused on its declared length, before the body is read into a temporary file.
        form = UploadForm()
        form.errors["file"] = form.error_class([too_large_message()])
        recent = ImportRecord.objects.none()
        return render(request, "transfer/start.html", {"form": form, "recent": recent}, status=413)
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            record = importing.store_upload(
                request.user,
                upload.name,
                upload.read(),
                translation.get_language(),
                create_missing=form.cleaned_data.get("create_missing", False),
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
        "missing": _missing(plan),
        "confirm": ConfirmForm(initial={"fingerprint": plan.fingerprint()}),
    }


def _missing(plan):
    """What confirming makes besides the operations (create_missing), for the preview."""
    if not plan.creates_missing:
        return None
    joins = {}
    for team, person in plan.new_members:
        joins.setdefault(team.name, []).append(person.email or person.username)
    return {
        "teams": sorted(t.name for t in plan.new_teams),
        "people": sorted(p.email for p in plan.new_people),
        "joins": sorted((name, sorted(people)) for name, people in joins.items()),
    }


@login_required
@require_safe
def import_preview(request, token):
    record = _record_for(request, token)
    if record.status == ImportStatus.RUNNING:
        return render(request, "transfer/running.html", _progress_context(record))
    if record.status != ImportStatus.PREVIEWED:
        return render(request, "transfer/done.html", {"record": record})
    context = _preview_context(request, record)
    if record.message:
        context["failure"] = record.message
    return render(request, "transfer/preview.html", context)


def _import_in_background(request, record, fingerprint):
    """A large file: a worker imports it while the page shows its progress."""
    claimed = ImportRecord.objects.filter(pk=record.pk, status=ImportStatus.PREVIEWED).update(
        status=ImportStatus.RUNNING, message=""
    )
    if claimed:
        try:
            result = publish(tasks.import_file, record.pk, request.user.pk, fingerprint)
        except BrokerUnavailable:
            ImportRecord.objects.filter(pk=record.pk).update(status=ImportStatus.PREVIEWED)
            record.refresh_from_db()
            context = _preview_context(request, record)
            context["failure"] = _(
                "The importer cannot be reached right now, so nothing was imported. "
                "Try again in a few minutes."
            )
            return render(request, "transfer/preview.html", context, status=503)
        ImportRecord.objects.filter(pk=record.pk, status=ImportStatus.RUNNING).update(
            task_id=result.id or ""
        )
    return redirect("transfer:preview", token=record.token)


# How many polls without news from a worker before the page says none seems to run.
POLL_LIMIT = 60  # about a minute at one poll a second


def _progress_context(record, polls=0):
    done, waiting = 0, True
    if record.task_id:
        try:
            result = AsyncResult(record.task_id, app=celery_app)
            info = result.info if result.state == "PROGRESS" else None
        except BROKER_ERRORS:
            info = None
        if isinstance(info, dict):
            done, waiting = min(int(info.get("done") or 0), record.rows), False
    return {
        "record": record,
        "done": done,
        "percent": int(100 * done / record.rows) if record.rows else 0,
        "waiting": waiting,
        "poll": polls,
        "no_worker": waiting and polls >= POLL_LIMIT,
    }


@login_required
@require_safe
def import_progress(request, token):
    """Polled by the page while a worker imports: the bar, then the result page."""
    record = _record_for(request, token)
    if record.status != ImportStatus.RUNNING:
        return HttpResponseClientRedirect(reverse("transfer:preview", args=[record.token]))
    polls = (parse_id(request.GET.get("poll")) or 0) + 1
    return render(request, "transfer/_progress.html", _progress_context(record, polls))


@login_required
@require_POST
def import_confirm(request, token):
    record = _record_for(request, token)
    if record.status != ImportStatus.PREVIEWED:
        return redirect("transfer:preview", token=record.token)
    form = ConfirmForm(request.POST)
    fingerprint = form.cleaned_data["fingerprint"] if form.is_valid() else ""
    if record.rows > importing.BACKGROUND_ROWS:
        return _import_in_background(request, record, fingerprint)
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


# --- out: the list as filtered, and the template -----------------------------------------


def _xlsx_response(rows, filename, notes=None):
    response = FileResponse(
        export.xlsx_file(rows, notes),
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    return response


def _csv_response(chunks, filename):
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_safe
def export_operations(request):
    """The operations list exactly as filtered (its query string), as CSV or XLSX."""
    _form, queryset = filtered_operations(request.user, request.GET)
    stamp = timezone.localdate().isoformat()
    rows = export.operation_rows(queryset)
    if request.GET.get("format") == "xlsx":
        return _xlsx_response(rows, f"operations-{stamp}.xlsx")
    return _csv_response(export.csv_chunks(rows), f"operations-{stamp}.csv")


def _example_row(user):
    team = access.managed_teams(user).first() or access.visible_teams(user).first()
    cells = {
        "id": "",
        "name": _("Refund approvals"),
        "team": team.name if team else "Billing",
        "owner": user.username,
        "purpose": _("Customers get their refund within two days."),
        "phase": "standardize",
        "phase_since": "2025-03-01",
        "launched_on": "2025-01-10",
        "performers": user.username,
        "runbook_url": "https://wiki.example.com/refunds",
        "monthly_volume": 320,
        "monthly_cost": 340000,
        "monthly_value": 900000,
        "note": "",
    }
    return [export.neutralise(cells[column.key]) for column in COLUMNS]


def _notes():
    lines = [[_("Column"), _("Required"), _("What to write")]]
    for column in COLUMNS:
        lines.append(
            [
                f"{column.header_en} / {column.header_ja}",
                _("yes") if column.required else "",
                str(COLUMN_NOTES[column.key]),
            ]
        )
    return lines


@login_required
@require_safe
def import_template(request, fmt):
    _require_importer(request)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    rows = [_example_row(request.user)]
    if fmt == "xlsx":
        return _xlsx_response(rows, "operations-template.xlsx", notes=_notes())
    return _csv_response(export.csv_chunks(rows), "operations-template.csv")
