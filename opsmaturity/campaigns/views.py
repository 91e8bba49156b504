from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from opsmaturity.lib.text import same_name
from opsmaturity.operations.models import Operation
from opsmaturity.teams import access
from opsmaturity.teams.models import Team

from . import charts, futures, pages, services
from .forms import (
    AddOperationForm,
    CampaignForm,
    CloseForm,
    CommentForm,
    FutureDecisionForm,
    ProposalForm,
    RemoveOperationForm,
)
from .models import FutureGoal


@login_required
@require_safe
def campaign_list(request):
    campaigns = pages.campaigns_with_teams().order_by("closed_at", "deadline", "pk")
    rows = pages.overview(campaigns)
    context = {
        "open_rows": [r for r in rows if not r["campaign"].is_closed],
        "closed_rows": [r for r in rows if r["campaign"].is_closed],
        "can_create": access.can_start_campaigns(request.user),
        "teams": access.visible_teams(request.user).order_by("name"),
    }
    return render(request, "campaigns/list.html", context)


def _initial_from_list(request):
    """The create form prefilled from the operations list's filter (``?team=…&phase=…``)."""
    params = request.GET.copy()
    initial = {"list_filter": services.clean_filter(params.urlencode())}
    team = params.get("team", "")
    if team.isdigit():
        initial["teams"] = [int(team)]
    phase = params.get("phase")
    if phase:
        initial["phases"] = [phase]
    return initial


def _add_errors(form, exc):
    """The service's refusal at the field it names, or above the form for the others."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


@login_required
@require_http_methods(["GET", "POST"])
def campaign_create(request):
    access.require(
        access.can_start_campaigns(request.user),
        _("Only managers start campaigns, for the teams they manage."),
    )
    if request.method == "POST":
        form = CampaignForm(request.POST, user=request.user)
    else:
        form = CampaignForm(initial=_initial_from_list(request), user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            campaign = services.create_campaign(
                by=request.user,
                name=data["name"],
                goal=data["goal"],
                goal_phase=data["goal_phase"],
                goal_flag=data["goal_flag"],
                teams=list(data["teams"]),
                phases=data["phases"],
                list_filter=data["list_filter"],
                deadline=data["deadline"],
                owner=data["owner"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request,
                _("“%(name)s” has started with %(count)d operations.")
                % {"name": campaign.name, "count": campaign.members.count()},
            )
            return redirect(campaign)
    preview = None
    if form.is_bound is False and form.initial.get("list_filter"):
        preview = form.initial["list_filter"]
    return render(request, "campaigns/form.html", {"form": form, "from_list": preview})


def _detail_page(request, campaign, status=200, form=None):
    context = {"campaign": campaign, **pages.detail(campaign)}
    context["chart"] = charts.burn_up_variants(context["points"], campaign.deadline)
    context["can_manage"] = access.can_manage_campaign(request.user, campaign)
    context["close_form"] = CloseForm()
    context["add_form"] = form if isinstance(form, AddOperationForm) else AddOperationForm()
    context["form"] = form  # the change that was refused, if any
    return render(request, "campaigns/detail.html", context, status=status)


@login_required
@require_safe
def campaign_detail(request, pk):
    campaign = get_object_or_404(pages.campaigns_with_teams(), pk=pk)
    return _detail_page(request, campaign)


def _campaign_to_change(request, pk):
    campaign = get_object_or_404(pages.campaigns_with_teams(), pk=pk)
    access.require(
        access.can_manage_campaign(request.user, campaign),
        _("Only a manager of its teams changes a campaign's operations."),
    )
    return campaign


@login_required
@require_POST
def campaign_add(request, pk):
    campaign = _campaign_to_change(request, pk)
    form = AddOperationForm(request.POST)
    if form.is_valid():
        candidates = Operation.objects.filter(team__in=[t.pk for t in campaign.teams.all()])
        operation = same_name(candidates, form.cleaned_data["name"])
        if operation is None:
            form.add_error("name", _("No operation of the campaign's teams has this name."))
        else:
            try:
                services.add_operation(
                    campaign, operation, by=request.user, note=form.cleaned_data["note"]
                )
            except ValidationError as exc:
                form.add_error("name", exc.messages)
            else:
                messages.success(request, _("“%(name)s” is added.") % {"name": operation.name})
                return redirect(campaign)
    return _detail_page(request, campaign, form=form)


@login_required
@require_POST
def campaign_remove(request, pk):
    campaign = _campaign_to_change(request, pk)
    form = RemoveOperationForm(request.POST)
    if form.is_valid():
        operation = Operation.objects.filter(pk=form.cleaned_data["operation"]).first()
        try:
            if operation is None:
                raise ValidationError(_("This operation is not in the campaign."))
            services.remove_operation(
                campaign, operation, by=request.user, note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("“%(name)s” is removed.") % {"name": operation.name})
            return redirect(campaign)
    return _detail_page(request, campaign, form=form)


@login_required
@require_POST
def campaign_close(request, pk):
    campaign = get_object_or_404(pages.campaigns_with_teams(), pk=pk)
    if not access.can_manage_campaign(request.user, campaign):
        raise PermissionDenied(_("Only a manager of its teams closes a campaign."))
    form = CloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Tick the box to confirm the close."))
        return redirect(campaign)
    if campaign.is_closed:
        messages.info(request, _("This campaign was already closed."))
        return redirect(campaign)
    closed = services.close_campaign(campaign, by=request.user)
    messages.success(
        request,
        _("Closed: %(done)d of %(total)d operations done.")
        % {"done": closed.result_done, "total": closed.result_total},
    )
    return redirect(campaign)


# --- planning the future with the team ------------------------------------------------


def _future_page(request, team, status=200, **forms):
    can_plan = access.can_plan_future(request.user, team.pk)
    context = {
        "team": team,
        **futures.plan_page(team),
        "can_plan": can_plan,
        "can_decide": access.can_decide_future(request.user, team.pk),
        "proposal_form": forms.get("proposal_form") or ProposalForm(team=team),
        "comment_form": CommentForm(),
        "decision_form": FutureDecisionForm(),
        "failed_goal": forms.get("failed_goal"),
        "failed_form": forms.get("failed_form"),
        "teams": access.visible_teams(request.user).order_by("name"),
    }
    # The form that was refused, for the tests and the page's error message.
    context["form"] = forms.get("proposal_form") or forms.get("failed_form")
    return render(request, "campaigns/future.html", context, status=status)


@login_required
@require_safe
def future_plan(request, team_pk):
    team = get_object_or_404(Team, pk=team_pk)
    return _future_page(request, team)


@login_required
@require_POST
def future_propose(request, team_pk):
    team = get_object_or_404(Team, pk=team_pk)
    access.require(
        access.can_plan_future(request.user, team.pk),
        _("Only the people of this team propose goals for it."),
    )
    form = ProposalForm(request.POST, team=team)
    if form.is_valid():
        try:
            futures.propose(team, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Proposed: the team can comment, a manager decides."))
            return redirect("campaigns:future", team.pk)
    return _future_page(request, team, proposal_form=form)


def _goal(request, pk):
    return get_object_or_404(FutureGoal.objects.select_related("team"), pk=pk)


@login_required
@require_POST
def future_comment(request, pk):
    goal = _goal(request, pk)
    access.require(
        access.can_plan_future(request.user, goal.team_id),
        _("Only the people of this team comment on its future."),
    )
    form = CommentForm(request.POST)
    if not form.is_valid():
        return _future_page(request, goal.team, failed_goal=goal.pk, failed_form=form)
    futures.comment(goal, by=request.user, text=form.cleaned_data["text"])
    return redirect(f"{reverse('campaigns:future', args=[goal.team_id])}#goal-{goal.pk}")


@login_required
@require_POST
def future_decide(request, pk):
    goal = _goal(request, pk)
    access.require(
        access.can_decide_future(request.user, goal.team_id),
        _("Only a manager of this team decides on its future."),
    )
    form = FutureDecisionForm(request.POST)
    if not form.is_valid():
        return _future_page(request, goal.team, failed_goal=goal.pk, failed_form=form)
    futures.decide(
        goal,
        by=request.user,
        accept=form.cleaned_data["decision"] == "accept",
        reason=form.cleaned_data["reason"],
    )
    return redirect(f"{reverse('campaigns:future', args=[goal.team_id])}#goal-{goal.pk}")
