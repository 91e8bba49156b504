"""The Teams pages: the list (staff create teams there) and one team's page, where its
managers keep its people and staff rename and archive it. Thin: forms check the input,
teams.services makes the change and records it, teams.access answers who may."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, F, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opsmaturity.lib.people import display_name

from . import access, services
from .forms import AddMemberForm, RoleForm, TeamCreateForm, TeamRenameForm
from .models import Membership, MembershipChange, Role, Team

HISTORY_SHOWN = 50


def _team_for_reading(request, pk):
    return get_object_or_404(access.seen_teams(request.user), pk=pk)


def _team_for_members(request, pk):
    return access.get_or_deny(Team.objects.all(), pk, access.can_manage_members, request.user)


def _team_for_admin(request, pk):
    team = get_object_or_404(Team, pk=pk)
    access.require(access.can_administer_teams(request.user), _("Only staff change teams."))
    return team


@login_required
@require_http_methods(["GET", "POST"])
def team_list(request):
    user = request.user
    may_create = access.can_administer_teams(user)
    form = TeamCreateForm(request.POST or None) if may_create else None
    if request.method == "POST":
        access.require(may_create, _("Only staff create teams."))
        if form.is_valid():
            try:
                team = services.create_team(**form.cleaned_data, by=user)
            except services.TeamRuleError as exc:
                form.add_error(exc.field, str(exc))
            else:
                messages.success(request, _("Team “%(name)s” created.") % {"name": team.name})
                return redirect("teams:detail", pk=team.pk)
    teams = access.seen_teams(user).annotate(
        people=Count("memberships", distinct=True),
        managers=Count("memberships", filter=Q(memberships__role=Role.MANAGER), distinct=True),
    )
    mine = access.team_roles(user)
    # Active teams first, on every database (PostgreSQL sorts NULLs last, SQLite first).
    order = (F("archived_at").asc(nulls_first=True), "name")
    rows = [(team, mine.get(team.pk)) for team in teams.order_by(*order)]
    context = {"rows": rows, "form": form}
    return render(request, "teams/list.html", context)


def team_context(request, team, **forms):
    """Everything the team's page shows; ``forms`` are bound forms shown with their errors."""
    user = request.user
    can_manage = access.can_manage_members(user, team)
    memberships = list(
        Membership.objects.filter(team=team)
        .select_related("user")
        .order_by("-role", "user__first_name", "user__last_name", "user__username")
    )
    for membership in memberships:
        membership.role_choices = [
            (value, label)
            for value, label in Role.choices
            if value == membership.role or access.can_set_role(user, membership, value)
        ]
    history = (
        MembershipChange.objects.filter(team=team)
        .select_related("by", "person")
        .order_by("-at", "-pk")[:HISTORY_SHOWN]
    )
    context = {
        "team": team,
        "memberships": memberships,
        "can_manage": can_manage,
        "can_admin": access.can_administer_teams(user),
        "history": history,
        "add_form": forms.get("add_form") or (AddMemberForm(team=team) if can_manage else None),
        "rename_form": forms.get("rename_form")
        or (TeamRenameForm(team=team) if access.can_administer_teams(user) else None),
        "form": next(iter(forms.values()), None),
    }
    context.update(invitation_context(request, team, forms.get("invite_form")))
    return context


def invitation_context(request, team, invite_form=None):
    """The invitations part of the page (the invitations app fills it in)."""
    from opsmaturity.invitations.views import team_section

    return team_section(request, team, invite_form)


@login_required
@require_GET
def team_detail(request, pk):
    team = _team_for_reading(request, pk)
    return render(request, "teams/detail.html", team_context(request, team))


def render_team(request, team, status=200, **forms):
    return render(request, "teams/detail.html", team_context(request, team, **forms), status=status)


def _swapped(request):
    return bool(request.htmx) and not request.htmx.boosted


def people_answer(request, team, *, notice=None, error=None, add_form=None):
    """What a change to the team's people answers to htmx: the people section, with the
    notice or the error in it, and the history, swapped out of band. (A plain form post
    gets the page again: a redirect after a change, the page with the message if not.)"""
    # The change may have been to the person's own role: ask their roles afresh.
    if hasattr(request.user, "_team_roles"):
        del request.user._team_roles
    forms = {"add_form": add_form} if add_form is not None else {}
    context = {**team_context(request, team, **forms), "notice": notice, "error": error}
    people = render_to_string("teams/detail.html#people", context, request)
    history = render_to_string("teams/detail.html#history", {**context, "oob": True}, request)
    return HttpResponse(people + history)


@login_required
@require_POST
def team_rename(request, pk):
    team = _team_for_admin(request, pk)
    form = TeamRenameForm(request.POST, team=team)
    if form.is_valid():
        try:
            team = services.rename_team(team, **form.cleaned_data, by=request.user)
        except services.TeamRuleError as exc:
            form.add_error(exc.field, str(exc))
        else:
            messages.success(request, _("Saved."))
            return redirect("teams:detail", pk=team.pk)
    return render_team(request, team, rename_form=form)


@login_required
@require_POST
def team_archive(request, pk):
    team = _team_for_admin(request, pk)
    archive = request.POST.get("archived") != "0"
    team = services.set_archived(team, archived=archive, by=request.user)
    if archive:
        text = _("“%(name)s” is archived: it keeps its history and takes no new operations.")
    else:
        text = _("“%(name)s” is restored.")
    messages.success(request, text % {"name": team.name})
    return redirect("teams:detail", pk=team.pk)


@login_required
@require_POST
def member_add(request, pk):
    team = _team_for_members(request, pk)
    form = AddMemberForm(request.POST, team=team)
    if form.is_valid():
        person, role = form.cleaned_data["person"], form.cleaned_data["role"]
        try:
            services.add_member(team, person=person, role=role, by=request.user)
        except services.TeamRuleError as exc:
            form.add_error("person", str(exc))
        else:
            notice = _("%(person)s is now in the team as %(role)s.") % {
                "person": display_name(person),
                "role": Role(role).label.lower(),
            }
            if _swapped(request):
                return people_answer(request, team, notice=notice)
            messages.success(request, notice)
            return redirect("teams:detail", pk=team.pk)
    if _swapped(request):
        return people_answer(request, team, add_form=form)
    return render_team(request, team, add_form=form)


def _membership(team, membership_pk):
    return get_object_or_404(
        Membership.objects.select_related("user", "team"), team=team, pk=membership_pk
    )


@login_required
@require_POST
def member_role(request, pk, membership_pk):
    team = _team_for_members(request, pk)
    membership = _membership(team, membership_pk)
    form = RoleForm(request.POST)
    if form.is_valid():
        role = form.cleaned_data["role"]
        if not access.can_set_role(request.user, membership, role):
            form.add_error("role", _("Nobody can raise their own role."))
        else:
            try:
                services.set_role(membership, role=role, by=request.user)
            except services.TeamRuleError as exc:
                form.add_error("role", str(exc))
            else:
                notice = _("%(person)s is now a %(role)s of the team.") % {
                    "person": display_name(membership.user),
                    "role": Role(role).label.lower(),
                }
                if _swapped(request):
                    return people_answer(request, team, notice=notice)
                messages.success(request, notice)
                return redirect("teams:detail", pk=team.pk)
    error = " ".join(form.errors.get("role", []))
    if _swapped(request):
        return people_answer(request, team, error=error)
    messages.error(request, error)
    return render_team(request, team, role_form=form)


@login_required
@require_POST
def member_remove(request, pk, membership_pk):
    team = _team_for_members(request, pk)
    membership = _membership(team, membership_pk)
    try:
        services.remove_member(membership, by=request.user)
    except services.TeamRuleError as exc:
        if _swapped(request):
            return people_answer(request, team, error=str(exc))
        # Said on the page, which is shown again as it is: nothing changed.
        messages.error(request, str(exc))
        return render_team(request, team)
    notice = _("%(person)s is no longer in the team.") % {"person": display_name(membership.user)}
    if _swapped(request):
        return people_answer(request, team, notice=notice)
    messages.success(request, notice)
    return redirect("teams:detail", pk=team.pk)
