"""Plan the future with the team: goals at 1, 3 and 5 years, the roles they need, and the
campaigns and learning plans that serve them.

Anyone in the team proposes a goal or a role and comments; a manager of the team
accepts or declines, always with a reason. Comments and decisions are notes written
once (``FutureNote``), so the argument stays on the page as it happened.
"""

from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from opsmaturity.lib.concurrency import lock_current
from opsmaturity.organization.models import Horizon, JobRole, LearningPlan, RequiredSkill
from opsmaturity.teams.models import Membership

from .models import Campaign, FutureGoal, FutureNote, NoteKind, ProposalStatus


@transaction.atomic
def propose(
    team,
    *,
    by,
    kind,
    horizon_years,
    title,
    direction="",
    contribution="",
    roles=(),
    campaigns=(),
):
    for role in roles:
        if role.team_id not in (None, team.pk):
            raise ValidationError({"roles": _("That role belongs to another team.")})
    for campaign in campaigns:
        if not campaign.teams.filter(pk=team.pk).exists():
            raise ValidationError({"campaigns": _("That campaign is not one of this team's.")})
    goal = FutureGoal.objects.create(
        team=team,
        kind=kind,
        horizon_years=horizon_years,
        title=title,
        direction=direction,
        contribution=contribution,
        proposed_by=by,
    )
    goal.roles.set(roles)
    goal.campaigns.set(campaigns)
    return goal


def comment(goal, *, by, text):
    return FutureNote.objects.create(goal=goal, kind=NoteKind.COMMENT, by=by, text=text)


@transaction.atomic
def decide(goal, *, by, accept, reason):
    """Accept or decline, with a reason; a later decision (a change of mind) is recorded too."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why, so the team can follow the decision.")})
    current = lock_current(FutureGoal.objects, goal.pk)
    status = ProposalStatus.ACCEPTED if accept else ProposalStatus.DECLINED
    FutureGoal.objects.filter(pk=current.pk).update(status=status, decision_reason=reason)
    FutureNote.objects.create(
        goal=current,
        kind=NoteKind.ACCEPTED if accept else NoteKind.DECLINED,
        by=by,
        at=timezone.now(),
        text=reason,
    )
    current.refresh_from_db()
    return current


def team_roles(team):
    return JobRole.objects.for_team(team).order_by("horizon_years", "name")


def team_campaigns(team):
    return Campaign.objects.filter(teams=team).order_by("closed_at", "deadline", "pk")


def plan_page(team):
    """Everything the page shows, in a fixed number of queries."""
    goals = list(
        FutureGoal.objects.filter(team=team)
        .select_related("proposed_by")
        .prefetch_related(
            Prefetch("roles", queryset=JobRole.objects.order_by("name")),
            Prefetch("campaigns", queryset=Campaign.objects.order_by("deadline")),
            Prefetch("notes", queryset=FutureNote.objects.select_related("by")),
        )
    )
    role_ids = {role.pk for goal in goals for role in goal.roles.all()}
    skills_by_role = defaultdict(set)
    for role_id, skill_id in RequiredSkill.objects.filter(role_id__in=role_ids).values_list(
        "role_id", "skill_id"
    ):
        skills_by_role[role_id].add(skill_id)
    skill_ids = set().union(*skills_by_role.values()) if skills_by_role else set()
    members = Membership.objects.filter(team=team).values("user_id")
    plans = list(
        LearningPlan.objects.open()
        .filter(skill_id__in=skill_ids, user_id__in=members)
        .select_related("user", "skill")
    )
    for goal in goals:
        wanted = set()
        for role in goal.roles.all():
            wanted |= skills_by_role[role.pk]
        goal.learning_plans = [plan for plan in plans if plan.skill_id in wanted]
    horizons = []
    for value, label in Horizon.choices:
        here = [goal for goal in goals if goal.horizon_years == value]
        horizons.append(
            {
                "years": value,
                "label": label,
                **{status: [g for g in here if g.status == status] for status in ProposalStatus},
            }
        )
    return {"horizons": horizons, "goal_count": len(goals)}
