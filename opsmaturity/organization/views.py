import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opsmaturity.lib.concurrency import EditConflict
from opsmaturity.lib.formatting import day
from opsmaturity.lib.forms import parse_id
from opsmaturity.lib.htmx import render_page_or_partial
from opsmaturity.lib.people import display_name
from opsmaturity.teams import access
from opsmaturity.teams.models import Membership, Team

from . import gap as gaps
from . import services
from .forms import (
    ConfirmLevelForm,
    JobRoleForm,
    LearningPlanForm,
    LevelProposalForm,
    RequirementForm,
    SkillForm,
)
from .models import (
    LEVEL_DESCRIPTIONS,
    JobRole,
    LearningPlan,
    Level,
    LevelChange,
    RequiredSkill,
    Skill,
    SkillLevel,
    category_order,
)

INDEX_PENDING_SHOWN = 10


def _may_edit_skill(user, skill):
    return access.can_edit_skills(user)


def _role_for_edit(request, pk):
    roles = JobRole.objects.select_related("team")
    return access.get_or_deny(roles, pk, access.can_edit_role, request.user)


def levels_legend():
    return [(level, LEVEL_DESCRIPTIONS[level]) for level in Level]


@login_required
@require_GET
def index(request):
    user = request.user
    mine = access.team_roles(user)
    teams = Team.objects.annotate(people=Count("memberships")).order_by("name")
    waiting = services.levels_to_confirm(user)
    to_confirm = list(waiting[:INDEX_PENDING_SHOWN])
    waiting_count = len(to_confirm)
    if waiting_count == INDEX_PENDING_SHOWN:
        waiting_count = waiting.count()
    # Where each can be confirmed: a team of the person's that the user manages.
    places = Membership.objects.filter(user_id__in={sl.user_id for sl in to_confirm})
    if not user.is_staff:
        places = places.filter(team_id__in=access.managed_team_ids(user))
    team_of = dict(places.order_by("-team_id").values_list("user_id", "team_id"))
    for skill_level in to_confirm:
        skill_level.team_id = team_of.get(skill_level.user_id)
    context = {
        "teams": [(team, mine.get(team.pk)) for team in teams],
        "to_confirm": to_confirm,
        "waiting_count": waiting_count,
        "my_plans": list(services.learning_plans_for(user)),
    }
    return render(request, "organization/index.html", context)


def _gap_context(request, team, **extra):
    user = request.user
    return {
        "team": team,
        "gap": gaps.team_gap(team),
        "can_confirm": access.manages_team(user, team.pk),
        "can_plan": access.can_plan_in(user, team.pk),
        "level_choices": list(Level),
        "legend": levels_legend(),
        "today": timezone.localdate(),
        **extra,
    }


@login_required
@require_GET
def team_gap(request, team_pk):
    team = get_object_or_404(Team, pk=team_pk)
    context = _gap_context(request, team)
    return render_page_or_partial(request, "organization/gap.html", "gap-body", context)


@login_required
@require_GET
def team_gap_csv(request, team_pk):
    team = get_object_or_404(Team, pk=team_pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"gap-{slugify(team.name) or team.pk}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # A byte-order mark, so that spreadsheet programs read the names as UTF-8.
    response.write("\ufeff")
    writer = csv.writer(response)
    for row in gaps.csv_rows(gaps.team_gap(team)):
        writer.writerow(row)
    return response


@login_required
@require_POST
def level_confirm(request, team_pk, pk):
    """A manager confirms (or adjusts) a pending proposal, from the team's gap view."""
    team = get_object_or_404(Team, pk=team_pk)
    levels = SkillLevel.objects.select_related("user__profile", "skill")
    skill_level = access.get_or_deny(levels, pk, access.can_confirm_level, request.user)
    if not Membership.objects.filter(team=team, user_id=skill_level.user_id).exists():
        raise Http404
    form = ConfirmLevelForm(request.POST)
    notice, error = None, None
    if form.is_valid():
        try:
            confirmed = services.confirm_level(
                skill_level,
                by=request.user,
                level=form.cleaned_data["level"],
                expected_version=form.cleaned_data["version"],
            )
        except EditConflict as exc:
            error = str(exc)
        else:
            notice = _("Confirmed: %(person)s, %(skill)s at level %(level)s.") % {
                "person": display_name(skill_level.user),
                "skill": skill_level.skill.name,
                "level": confirmed.level,
            }
    else:
        error = " ".join(e for errors in form.errors.values() for e in errors)
    if request.htmx:
        context = _gap_context(request, team, notice=notice, error=error)
        if error and any(row.pk == pk for row in context["gap"].pending):
            context["error_for"] = pk  # said next to the proposal, which is still there
        return render(request, "organization/gap.html#gap-body", context)
    if notice:
        messages.success(request, notice)
    else:
        messages.error(request, error)
    return redirect("organization:team_gap", team_pk=team.pk)


# --- My skills ------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def my_skills(request):
    """One's own levels, confirmed and proposed, the form to propose one, and one's plans."""
    user = request.user
    initial = {}
    if parse_id(request.GET.get("skill")) is not None:
        initial["skill"] = request.GET["skill"]
    form = LevelProposalForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.propose_level(
            user,
            form.cleaned_data["skill"],
            form.cleaned_data["level"],
            note=form.cleaned_data["note"],
        )
        messages.success(
            request,
            _("Proposed: %(skill)s at level %(level)s. A manager of your team will confirm it.")
            % {"skill": form.cleaned_data["skill"].name, "level": form.cleaned_data["level"]},
        )
        return redirect("organization:my_skills")
    levels = SkillLevel.objects.filter(user=user).select_related("skill", "confirmed_by__profile")
    history = LevelChange.objects.filter(user=user).select_related("skill", "by__profile")
    context = {
        "form": form,
        "levels": levels,
        "plans": LearningPlan.objects.filter(user=user).select_related("skill"),
        "history": history[:15],
        "legend": levels_legend(),
        "today": timezone.localdate(),
    }
    return render(request, "organization/my_skills.html", context)


# --- Skills ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def skill_list(request):
    """The shared skill catalogue; managers add to it here."""
    may_edit = access.can_edit_skills(request.user)
    form = SkillForm(request.POST or None) if may_edit else None
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied(_("Only managers keep the skill catalogue."))
        if form.is_valid():
            skill = _save_or_explain(form, "name")
            if skill is not None:
                messages.success(request, _("“%(name)s” is in the catalogue.") % {"name": skill})
                return redirect("organization:skills")
    skills = Skill.objects.annotate(
        people=Count("levels", filter=Q(levels__level__isnull=False), distinct=True),
        role_count=Count("requirements", distinct=True),
    ).order_by(category_order(), "name")
    context = {"skills": skills, "form": form, "legend": levels_legend()}
    return render(request, "organization/skills.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def skill_edit(request, pk):
    skill = access.get_or_deny(Skill.objects.all(), pk, _may_edit_skill, request.user)
    form = SkillForm(request.POST or None, instance=skill)
    if request.method == "POST" and form.is_valid() and _save_or_explain(form, "name"):
        messages.success(request, _("Saved."))
        return redirect("organization:skills")
    return render(request, "organization/skill_form.html", {"form": form, "skill": skill})


def _save_or_explain(form, field):
    """Save; if a concurrent save took the name meanwhile, say so at the field."""
    try:
        with transaction.atomic():
            return form.save()
    except IntegrityError:
        form.add_error(field, _("Someone just saved one with this name; choose another."))
        return None


# --- Roles ----------------------------------------------------------------------------


@login_required
@require_GET
def role_list(request):
    roles = (
        JobRole.objects.select_related("team")
        .prefetch_related(Prefetch("requirements", RequiredSkill.objects.select_related("skill")))
        .order_by("team__name", "status", "horizon_years", "name")
    )
    user = request.user
    rows = [(role, access.can_edit_role(user, role)) for role in roles]
    context = {"rows": rows, "can_create": access.can_create_roles(user)}
    return render(request, "organization/roles.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def role_create(request):
    user = request.user
    access.require(access.can_create_roles(user), _("Managers keep the roles of their teams."))
    initial = {}
    if parse_id(request.GET.get("team")) is not None:
        initial["team"] = request.GET["team"]
    form = JobRoleForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        role = _save_or_explain(form, "name")
        if role is not None:
            messages.success(
                request, _("“%(name)s” is recorded: now add the skills it needs.") % {"name": role}
            )
            return redirect("organization:role_detail", pk=role.pk)
    return render(request, "organization/role_form.html", {"form": form, "role": None})


@login_required
@require_http_methods(["GET", "POST"])
def role_edit(request, pk):
    role = _role_for_edit(request, pk)
    form = JobRoleForm(request.POST or None, instance=role, user=request.user)
    if request.method == "POST" and form.is_valid() and _save_or_explain(form, "name"):
        messages.success(request, _("Saved."))
        return redirect("organization:role_detail", pk=role.pk)
    return render(request, "organization/role_form.html", {"form": form, "role": role})


def _role_context(request, role, form=None):
    requirements = list(role.requirements.select_related("skill"))
    return {
        "role": role,
        "requirements": requirements,
        "can_edit": access.can_edit_role(request.user, role),
        "form": form or RequirementForm(),
        "level_choices": list(Level)[1:],
        "legend": levels_legend(),
    }


@login_required
@require_GET
def role_detail(request, pk):
    role = get_object_or_404(JobRole.objects.select_related("team"), pk=pk)
    return render(request, "organization/role_detail.html", _role_context(request, role))


@login_required
@require_POST
def requirement_set(request, pk):
    """Add a required skill to a role, or change the level it is required at."""
    role = _role_for_edit(request, pk)
    form = RequirementForm(request.POST)
    if form.is_valid():
        services.set_requirement(role, form.cleaned_data["skill"], form.cleaned_data["level"])
        notice = _("%(skill)s at level %(level)s.") % {
            "skill": form.cleaned_data["skill"].name,
            "level": form.cleaned_data["level"],
        }
        if request.htmx:
            context = _role_context(request, role)
            context["notice"] = notice
            return render(request, "organization/role_detail.html#requirements", context)
        messages.success(request, notice)
        return redirect("organization:role_detail", pk=role.pk)
    context = _role_context(request, role, form)
    template = "organization/role_detail.html"
    if request.htmx:
        template += "#requirements"
    return render(request, template, context)


@login_required
@require_POST
def requirement_remove(request, pk, skill_pk):
    role = _role_for_edit(request, pk)
    skill = get_object_or_404(Skill, pk=skill_pk)
    if not services.remove_requirement(role, skill):
        raise Http404
    notice = _("%(skill)s is no longer required.") % {"skill": skill.name}
    if request.htmx:
        context = _role_context(request, role)
        context["notice"] = notice
        return render(request, "organization/role_detail.html#requirements", context)
    messages.success(request, notice)
    return redirect("organization:role_detail", pk=role.pk)


# --- Learning plans -------------------------------------------------------------------


def _plan_team(request):
    """The team whose gap view the plan was opened from, if any (its id, as text)."""
    team = request.POST.get("team") or request.GET.get("team") or ""
    team_id = parse_id(team)
    return str(team_id) if team_id and Team.objects.filter(pk=team_id).exists() else ""


def _plan_next(request):
    """Back to the team's gap view when the plan was opened there, else to my skills."""
    team = _plan_team(request)
    if team:
        return reverse("organization:team_gap", args=[team])
    return reverse("organization:my_skills")


@login_required
@require_http_methods(["GET", "POST"])
def plan_create(request):
    initial = {
        name: request.GET[name]
        for name in ("user", "skill", "goal_level")
        if parse_id(request.GET.get(name)) is not None
    }
    form = LearningPlanForm(request.POST or None, actor=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.create_learning_plan(by=request.user, **form.cleaned_data)
        except IntegrityError:
            form.add_error("skill", _("There is already an open learning plan for this skill."))
        else:
            messages.success(
                request,
                _("Learning plan recorded: %(skill)s to level %(level)s by %(date)s.")
                % {
                    "skill": plan.skill.name,
                    "level": plan.goal_level,
                    "date": day(plan.target_date),
                },
            )
            return redirect(_plan_next(request))
    context = {"form": form, "plan": None, "team": _plan_team(request)}
    return render(request, "organization/plan_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request, pk):
    plans = LearningPlan.objects.select_related("user__profile", "skill")
    plan = access.get_or_deny(plans, pk, access.can_edit_plan, request.user)
    form = LearningPlanForm(request.POST or None, instance=plan, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_learning_plan(plan, form.changes())
        except IntegrityError:
            form.add_error("skill", _("There is already an open learning plan for this skill."))
        else:
            messages.success(request, _("Learning plan saved."))
            return redirect(_plan_next(request))
    context = {"form": form, "plan": plan, "team": _plan_team(request)}
    return render(request, "organization/plan_form.html", context)
