from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import HttpResponseClientRefresh

from opsmaturity.accounts.services import set_list_settings
from opsmaturity.campaigns.progress import campaigns_of
from opsmaturity.lib.concurrency import EditConflict
from opsmaturity.lib.forms import parse_id
from opsmaturity.lib.htmx import render_page_or_partial
from opsmaturity.maturity.moves import IllegalMove, classify_move
from opsmaturity.teams import access

from . import bulk, criteria, lists, pages, services
from .forms import (
    CriterionCheckForm,
    MoveForm,
    OperationFilterForm,
    OperationForm,
    PurposeReviewForm,
)
from .lists import (
    COLUMNS,
    ListSettingsForm,
    columns_of,
    filtered_operations,
    open_flags_prefetch,
    page_rows,
    page_size_of,
)
from .models import Operation, PhaseCriterion, PhaseTransition
from .phases import Phase


def operation_for_edit(request, pk):
    """The operation, if the user may change it: 404 when missing, 403 when not theirs."""
    operations = Operation.objects.select_related("team", "owner")
    return access.get_or_deny(operations, pk, access.can_edit_operation, request.user)


def _filter_query(params):
    query = params.copy()
    query.pop("page", None)
    query.pop("cursor", None)
    return query.urlencode()


def _bulk_form(user):
    """The bulk change bar of the list, for those who may change operations at all."""
    if not access.can_change_in_bulk(user):
        return None
    form = bulk.BulkForm(user=user, auto_id="bulk_%s")
    if not access.can_reassign_in_bulk(user):
        for name in ("owner", "team", "team_owner"):
            del form.fields[name]
    return form


def _list_context(request, params):
    """What the list page shows for these filters, with the person's columns and page size."""
    user = request.user
    form, queryset = filtered_operations(user, params)
    shown = columns_of(user)
    page = pages.page_of(queryset, params, page_size_of(user), rows=page_rows(queryset, shown))
    return {
        "filters": form,
        "page": page,
        "columns": [column for column in COLUMNS if column.key in shown],
        "shown": dict.fromkeys(shown, True),
        "query": params,  # the pages' links keep the filters, whoever rendered them
        "filter_query": _filter_query(params),
        "bulk": _bulk_form(user),
        "can_create": access.editable_teams(user).exists(),
        "can_start_campaign": access.can_start_campaigns(user),
    }


@login_required
@require_safe
def operation_list(request):
    context = _list_context(request, request.GET)
    if context["page"].redirect:  # a page number too deep to open by it (pages.page_of)
        messages.info(request, context["page"].notice)
        return redirect(context["page"].redirect)
    if not (request.htmx and not request.htmx.boosted):
        context["list_settings"] = ListSettingsForm.for_user(request.user, context["filter_query"])
    return render_page_or_partial(request, "operations/list.html", "results", context)


FILTER_NAMES = tuple(OperationFilterForm.base_fields)


@login_required
@require_POST
def list_settings(request):
    """Save the columns and page size of a person's list, from the list's own page.

    Without JavaScript the form carries the list's query string and the answer goes
    back to it; htmx sends the filters as they are on the page, and gets the table."""
    form = ListSettingsForm(request.POST)
    if request.htmx:
        params = QueryDict(mutable=True)
        for name in FILTER_NAMES:
            params.setlist(name, request.POST.getlist(name))
    else:
        params = QueryDict(request.POST.get("next", ""), mutable=True)
    params.pop("page", None)  # another page size: back to the first page
    params.pop("cursor", None)
    if form.is_valid():
        set_list_settings(
            request.user,
            columns=form.cleaned_data["columns"],
            page_size=form.cleaned_data["page_size"],
        )
    elif not request.htmx:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    back = reverse("operations:list") + (f"?{params.urlencode()}" if params else "")
    if not request.htmx:
        return redirect(back)
    context = _list_context(request, params)
    context["settings_errors"] = form.errors
    response = render(request, "operations/list.html#results", context)
    response["HX-Push-Url"] = back
    return response


# The bulk bar's owner boxes send what is typed under their own names (PersonSearch).
SEARCH_PARAMS = ("q", "owner", "team_owner")


@login_required
@require_safe
def people_search(request):
    """The people whose names hold what was typed, as options of a box's suggestions
    (htmx swaps them into its <datalist>): those one may name owner, for the bulk bar;
    with ``among=owners``, those who own an operation, for the list's owner filter."""
    text = next((request.GET[name] for name in SEARCH_PARAMS if request.GET.get(name)), "")
    if request.GET.get("among") == "owners":
        people = lists.owners_matching(text[:200])
    else:
        access.require(
            access.can_reassign_in_bulk(request.user),
            _("Only managers of a team and staff choose owners."),
        )
        people = bulk.people_to_assign(request.user, text[:200])
    return render(request, "operations/_people_options.html", {"people": people})


def _back_to_list(filters):
    """The list as it was filtered (a query string the form carried, re-encoded)."""
    params = QueryDict(filters or "", mutable=True)
    params.pop("page", None)
    params.pop("cursor", None)
    return reverse("operations:list") + (f"?{params.urlencode()}" if params else "")


def _hidden_params(params):
    """The reviewed change as the confirm form's hidden fields: ids, days, texts."""
    fields = []
    for name, value in params.items():
        if value in (None, ""):
            continue
        if hasattr(value, "get_username"):  # a person is typed by username
            value = value.get_username()
        elif hasattr(value, "pk"):
            value = value.pk
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        fields.append((name, value))
    return fields


@login_required
@require_POST
def bulk_change(request):
    """Change the operations selected on the list: review first, then confirm.

    A form POST, with the ids ticked (or the list's filters, for every operation they
    match); the review shows what each operation would become, or why it is refused,
    and confirming writes it all or nothing (operations.bulk)."""
    back = _back_to_list(request.POST.get("filters"))
    form = bulk.BulkForm(request.POST, user=request.user, auto_id="bulk_%s")
    if not form.is_valid():
        if "action" in form.errors:
            messages.error(request, _("Choose what to change."))
            return redirect(back)
        action = form.cleaned_data["action"]
        context = {
            "form": form,
            "back": back,
            "action": action,
            "fields": [form[name] for name in bulk.FIELDS[action] if name in form.fields],
            "what": bulk.Action(action).label,
            "ids": request.POST.getlist("ids"),
            "everything": bool(form.cleaned_data.get("everything")),
            "filters": request.POST.get("filters", ""),
        }
        return render(request, "operations/bulk.html", context, status=400)
    try:
        selection = bulk.selection_of(request.user, request.POST, form)
    except bulk.SelectionError as exc:
        messages.error(request, str(exc))
        return redirect(back)
    action, params = form.cleaned_data["action"], form.params()
    context = {
        "form": form,
        "back": back,
        "action": action,
        "hidden": _hidden_params(params),
        "filters": request.POST.get("filters", ""),
        "error": "",
    }
    status = 200
    if request.POST.get("confirm"):
        confirmed = set(bulk.parse_selection(request.POST.getlist("confirmed")) or ())
        try:
            result = bulk.apply(request.user, action, params, selection, confirmed)
        except bulk.NotApplied as exc:
            plan, context["error"], status = exc.plan, str(exc), 409
        else:
            summary = result.summary()
            summary["back"] = back
            request.session["bulk_summary"] = summary
            return redirect("operations:bulk_done")
    else:
        plan = bulk.plan(request.user, action, params, selection)
    context["plan"] = plan
    context["what"] = bulk.describe(action, params)
    return render(request, "operations/bulk.html", context, status=status)


@login_required
@require_safe
def bulk_done(request):
    """What a bulk change did: what changed, what was left as it was, what was refused."""
    summary = request.session.get("bulk_summary")
    if not summary:
        return redirect("operations:list")
    return render(request, "operations/bulk_done.html", {"summary": summary})


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
