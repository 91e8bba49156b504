from celery import states
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh, HttpResponseStopPolling

from opsmaturity.core.broker import BrokerUnavailable, publish, task_outcome
from opsmaturity.lib.formatting import day
from opsmaturity.lib.forms import parse_id
from opsmaturity.operations.models import Operation
from opsmaturity.teams import access

from . import exemptions
from .forms import DecisionForm, SnoozeForm
from .models import Flag
from .tasks import scan_operations


def _flag_for(user, pk, manage=False):
    """An open flag whose operation the user may change (or decide on, with ``manage``)."""
    allowed = access.can_manage_operation if manage else access.can_edit_operation
    flags = Flag.objects.open().select_related("operation", "operation__team")
    return access.get_or_deny(flags, pk, lambda u, flag: allowed(u, flag.operation), user)


@login_required
@require_http_methods(["GET", "POST"])
def snooze(request, pk):
    """A manager snoozes the flag; a member of the team asks a manager to."""
    flag = _flag_for(request.user, pk)
    manager = access.can_manage_operation(request.user, flag.operation)
    form = SnoozeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        action = exemptions.grant_snooze if manager else exemptions.request_snooze
        try:
            action(flag, by=request.user, **form.cleaned_data)
        except exemptions.ExemptionError as exc:
            form.add_error(None, str(exc))
        else:
            if manager:
                text = _("Snoozed until %(day)s.")
            else:
                text = _("Asked a manager to snooze it until %(day)s.")
            messages.success(request, text % {"day": day(form.cleaned_data["until"])})
            return redirect(flag.operation)
    context = {"flag": flag, "form": form, "manager": manager}
    return render(request, "maturity/snooze.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def decide(request, pk):
    """A manager grants or declines a member's request to snooze."""
    flag = _flag_for(request.user, pk, manage=True)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(flag.operation)
    reason = form.cleaned_data["reason"]
    pending = exemptions.pending_request(flag)
    try:
        if pending is None:
            raise exemptions.ExemptionError(_("Nobody asked to snooze this flag."))
        if form.cleaned_data["decision"] == "grant":
            exemptions.grant_snooze(
                flag, by=request.user, until=pending.until, reason=reason or pending.reason
            )
            messages.success(request, _("Snoozed until %(day)s.") % {"day": day(pending.until)})
        else:
            exemptions.decline_snooze(flag, by=request.user, reason=reason)
            messages.success(request, _("Request declined."))
    except exemptions.ExemptionError as exc:
        messages.error(request, str(exc))
    return redirect(flag.operation)


@login_required
@require_POST
def lift(request, pk):
    flag = _flag_for(request.user, pk, manage=True)
    try:
        exemptions.lift_snooze(flag, by=request.user)
    except exemptions.ExemptionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The flag is back in the lists."))
    return redirect(flag.operation)


def _send_check(request, operation_ids, back):
    """Send a scan of these operations through the broker and let the page follow it."""
    try:
        result = publish(scan_operations, operation_ids=operation_ids)
    except BrokerUnavailable:
        messages.error(
            request,
            _(
                "The checker cannot be reached right now, so nothing was checked. "
                "The hourly scan will still run; try again in a few minutes."
            ),
        )
        if request.htmx:
            return render(request, "maturity/_check_status.html", {"state": "down"})
        return redirect(back)
    if request.htmx:
        return render(
            request, "maturity/_check_status.html", {"state": "pending", "task_id": result.id}
        )
    messages.info(request, _("Checking now; refresh the page in a moment to see the result."))
    return redirect(back)


@login_required
@require_POST
def check_operation(request, pk):
    operations = Operation.objects.all()
    operation = access.get_or_deny(operations, pk, access.can_edit_operation, request.user)
    return _send_check(request, [operation.pk], operation.get_absolute_url())


@login_required
@require_POST
def check_team(request, team_pk):
    team = get_object_or_404(access.visible_teams(request.user), pk=team_pk)
    ids = list(Operation.objects.filter(team=team).active().values_list("pk", flat=True))
    back = request.POST.get("next") or ""
    # A path of this site only: redirect() would take any other word for a view's name.
    if not back.startswith("/") or not url_has_allowed_host_and_scheme(
        back, {request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("dashboard:index")
    return _send_check(request, ids, back)


# How many times the page asks before it says that no worker seems to be running.
POLL_LIMIT = 40  # about 30 s at one poll every 0.7 s


@login_required
@require_GET
def check_status(request, task_id):
    """Polled by the page while a check runs; refreshes the page when it is done."""
    try:
        state, summary = task_outcome(task_id)
    except BrokerUnavailable:
        # Polling on would only hit the same wall every 0.7 s: stop and say so.
        response = render(request, "maturity/_check_status.html", {"state": "lost"})
        return HttpResponseStopPolling(response.content)
    if state not in states.READY_STATES:
        polls = (parse_id(request.GET.get("poll")) or 0) + 1
        if polls >= POLL_LIMIT:
            response = render(request, "maturity/_check_status.html", {"state": "no_worker"})
            return HttpResponseStopPolling(response.content)
        context = {"state": "pending", "task_id": task_id, "poll": polls}
        return render(request, "maturity/_check_status.html", context)
    if state != states.SUCCESS:
        response = render(request, "maturity/_check_status.html", {"state": "failed"})
        return HttpResponseStopPolling(response.content)
    summary = summary if isinstance(summary, dict) else {}
    messages.success(
        request,
        _("Checked: %(opened)s flags opened, %(resolved)s resolved.")
        % {"opened": summary.get("opened", 0), "resolved": summary.get("resolved", 0)},
    )
    return HttpResponseClientRefresh()
