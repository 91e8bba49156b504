from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import HttpResponseClientRefresh

from opsmaturity.campaigns.progress import campaigns_of
from opsmaturity.lib.concurrency import EditConflict
from opsmaturity.lib.forms import parse_id
from opsmaturity.lib.htmx import render_page_or_partial
from opsmaturity.maturity.moves import IllegalMove, classify_move
from opsmaturity.teams import access

from . import criteria, services
from .forms import CriterionCheckForm, MoveForm, OperationForm, PurposeReviewForm
from .lists import PAGE_SIZE, filtered_operations, open_flags_prefetch, page_rows
from .models import Operation, PhaseCriterion, PhaseTransition
from .phases import Phase


def operation_for_edit(request, pk):
    """The operation, if the user may change it: 404 when missing, 403 when not theirs."""
    operations = Operation.objects.select_related("team", "owner")
    return access.get_or_deny(operations, pk, access.can_edit_operation, request.user)


@login_required
@require_safe
def operation_list(request):
    form, queryset = filtered_operations(request.user, request.GET)
    page = Paginator(page_rows(queryset), PAGE_SIZE).get_page(request.GET.get("page"))
    can_create = access.editable_teams(request.user).exists()
    context = {"filters": form, "page": page, "can_create": can_create}
    context["can_start_campaign"] = access.can_start_campaigns(request.user)
    return render_page_or_partial(request, "operations/list.html", "results", context)


@login_required
@require_safe
def operation_detail(request, pk):
    operation = get_object_or_404(
        Operation.objects.select_related(
            "team", "owner__profile", "purpose_reviewed_by__profile"
        ).prefetch_related(
            # people come with their profiles, for the names they chose (lib.people)
            Prefetch("performers", get_user_model().objects.select_related("profile")),
            open_flags_prefetch(include_snoozed=True),
            Prefetch(
                "transitions",
                PhaseTransition.objects.select_related("by__profile").order_by("-at", "-id"),
            ),
            "purpose_reviews__by__profile",
        ),
        pk=pk,
    )
    context = {
        "operation": operation,
        "phase": Phase(operation.phase),
        "checklist": criteria.checklist(operation),
        "can_tick": access.can_tick_criteria(request.user, operation),
        "checklist_from": "detail",
        "can_edit": access.can_edit_operation(request.user, operation),
        "can_manage": access.can_manage_operation(request.user, operation),
        "campaigns": campaigns_of(operation),
    }
    return render(request, "operations/detail.html", context)


def _validate_field(request, form):
    """Inline validation: the whole form is checked, one field's errors are sent back.

    Only the errors are swapped, never the input, so typing is not interrupted.
    """
    name = request.POST.get("_validate", "")
    if name not in form.fields:
        name = next(iter(form.fields))
    form.is_valid()
    return render(request, "forms/field_errors.html", {"field": form[name]})


@login_required
@require_http_methods(["GET", "POST"])
def operation_create(request):
    if not access.editable_teams(request.user).exists():
        raise PermissionDenied(_("You are not in a team yet: ask a manager to add you."))
    form = OperationForm(request.POST or None, user=request.user)
    form.validate_url = request.path  # each field is checked as it is typed (htmx)
    if request.method == "POST":
        if request.htmx and "_validate" in request.POST:
            return _validate_field(request, form)
        if form.is_valid():
            try:
                operation = services.create_operation(
                    by=request.user,
                    performers=form.cleaned_data["performers"],
                    phase=form.cleaned_data["current_phase"],
                    since=form.cleaned_data["phase_since"],
                    **form.changes(),
                )
            except ValidationError as exc:  # the name was taken a moment ago
                form.add_error(None, exc)
            else:
                messages.success(
                    request,
                    _("“%(name)s” is recorded, in %(phase)s.")
                    % {"name": operation, "phase": operation.get_phase_display()},
                )
                return redirect(operation)
    return render(request, "operations/form.html", {"form": form, "operation": None})


@login_required
@require_http_methods(["GET", "POST"])
def operation_edit(request, pk):
    operation = operation_for_edit(request, pk)
    form = OperationForm(request.POST or None, instance=operation, user=request.user)
    form.validate_url = request.path
    conflict = None
    if request.method == "POST":
        if request.htmx and "_validate" in request.POST:
            return _validate_field(request, form)
        if form.is_valid():
            try:
                services.update_operation(
                    operation,
                    by=request.user,
                    changes=form.changes(),
                    performers=form.cleaned_data["performers"],
                    expected_version=form.cleaned_data["version"],
                )
            except EditConflict as exc:
                conflict = form.conflict_rows(exc.current)
                # Keep what the user typed; saving again now is a deliberate overwrite.
                form.data = form.data.copy()
                form.data["version"] = exc.current.version
            except ValidationError as exc:  # the name was taken a moment ago
                form.add_error(None, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect(operation)
    context = {"form": form, "operation": operation, "conflict": conflict}
    return render(request, "operations/form.html", context, status=409 if conflict else 200)


@login_required
@require_http_methods(["GET", "POST"])
def operation_move(request, pk):
    operation = operation_for_edit(request, pk)
    form = MoveForm(request.POST or None, operation=operation, user=request.user)
    conflict = False
    if request.method == "POST":
        target = request.POST.get("to_phase", "")
        if target in Phase.values and target != operation.phase:
            access.require(
                access.can_move(request.user, operation, target),
                _("Only a manager of the team can retire or reinstate."),
            )
        if parse_id(request.POST.get("version")) not in (None, operation.version):
            # Sent from a page of a version since replaced: whatever it asks, say so first.
            form.is_valid()
            conflict = _refresh_version(form, operation)
        elif form.is_valid():
            try:
                services.move_phase(
                    operation,
                    form.cleaned_data["to_phase"],
                    by=request.user,
                    note=form.cleaned_data["note"],
                    expected_version=form.cleaned_data["version"],
                )
            except EditConflict as exc:
                # Offer the moves of the phase it is in now, keeping what was typed.
                operation = exc.current
                form = MoveForm(request.POST, operation=operation, user=request.user)
                form.is_valid()
                conflict = _refresh_version(form, operation)
            except services.NoteRequired as exc:
                form.add_error("note", str(exc))
            except IllegalMove as exc:
                form.add_error("to_phase", str(exc))
            else:
                operation.refresh_from_db()
                messages.success(
                    request,
                    _("Moved to %(phase)s.") % {"phase": operation.get_phase_display()},
                )
                return redirect(operation)
    items = criteria.checklist(operation)
    unmet = sum(1 for item in items if not item.met)
    moves = {}
    for value, _label in form.fields["to_phase"].choices:
        try:
            moves[value] = classify_move(operation.phase, value, unmet)
        except IllegalMove:
            continue
    context = {
        "operation": operation,
        "phase": Phase(operation.phase),
        "form": form,
        "checklist": items,
        "can_tick": access.can_tick_criteria(request.user, operation),
        "checklist_from": "move",
        "moves": moves,
        "unmet": unmet,
    }
    status = 409 if conflict else 400 if form.errors else 200
    return render(request, "operations/move.html", context, status=status)


@login_required
@require_POST
def criterion_check(request, pk, criterion_pk):
    """Tick or untick one criterion that people tick, or give the runbook's link for the
    one the data answers; from the operation's page or the move page (``from``), which
    shows the checklist again: swapped in place by htmx, else after a redirect."""
    operations = Operation.objects.select_related("team", "owner__profile")
    operation = access.get_or_deny(operations, pk, access.can_tick_criteria, request.user)
    criterion = get_object_or_404(PhaseCriterion, pk=criterion_pk, is_active=True)
    form = CriterionCheckForm(request.POST)
    error = ""
    if not form.is_valid():
        error = " ".join(e for errors in form.errors.values() for e in errors)
    else:
        values = {k: form.cleaned_data[k] for k in ("checked", "evidence")}
        try:
            services.set_criterion_check(operation, criterion, by=request.user, **values)
        except IllegalMove as exc:
            error = str(exc)
        except ValidationError as exc:
            error = " ".join(exc.messages)
    back = "detail" if request.POST.get("from") == "detail" else "move"
    if request.htmx and criterion.key and not error:
        # The runbook's link changed the operation: its facts and flags too.
        return HttpResponseClientRefresh()
    if request.htmx:
        operation.refresh_from_db()
        items = criteria.checklist(operation)
        context = {
            "operation": operation,
            "checklist": items,
            "can_tick": True,
            "checklist_from": back,
            "error": error,
            "error_for": criterion.pk if error else None,
            "typed": request.POST.get("evidence", "")[:500] if error else "",
            "unmet": sum(1 for item in items if not item.met),
            # The move page's hint beside the next phase says how many are left.
            "oob_hint": back == "move" and Phase(operation.phase).next is not None,
        }
        # 200 even with an error: htmx swaps only successful answers into the page.
        return render(request, "operations/_checklist.html", context)
    if error:
        messages.error(request, error)
    if back == "detail":
        return redirect(f"{operation.get_absolute_url()}#exit-checklist")
    return redirect("operations:move", pk=operation.pk)


@login_required
@require_http_methods(["GET", "POST"])
def purpose_review(request, pk):
    operation = operation_for_edit(request, pk)
    initial = {
        "monthly_value": operation.monthly_value,
        "monthly_cost": operation.monthly_cost,
        "version": operation.version,
    }
    form = PurposeReviewForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.review_purpose(
                operation,
                by=request.user,
                reason=form.cleaned_data["reason"],
                monthly_value=form.cleaned_data["monthly_value"],
                monthly_cost=form.cleaned_data["monthly_cost"],
                expected_version=form.cleaned_data["version"],
            )
        except EditConflict as exc:
            _refresh_version(form, exc.current)
            operation = exc.current
            return render(
                request,
                "operations/review.html",
                {"operation": operation, "form": form},
                status=409,
            )
        else:
            messages.success(request, _("Purpose review recorded."))
            return redirect(operation)
    return render(request, "operations/review.html", {"operation": operation, "form": form})


def _refresh_version(form, current):
    """After a conflict: say so, keep what the user typed, and carry the version now saved,
    so that submitting again, after a look, goes through."""
    form.add_error(
        None,
        _(
            "Someone else changed this operation while you were on this page: it is now "
            "in %(phase)s, at version %(version)s. Check it, then submit again."
        )
        % {"phase": current.get_phase_display(), "version": current.version},
    )
    form.data = form.data.copy()
    form.data["version"] = current.version
    return True
