"""The gap between a team's members today and the roles it plans to need.

``team_gap(team)`` answers in a constant number of queries, whatever the number
of members, roles and skills: the best confirmed level per skill is one
aggregate in the database, the rest are a handful of flat queries combined here.

One definition of each status, used by the page, the CSV and the tests:
a cell is *met* when the team's best confirmed level reaches the required
level, *one short* when it is one level below, *far* when it is two or more.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from opsmaturity.lib.people import display_name
from opsmaturity.operations.models import Operation
from opsmaturity.operations.phases import Phase
from opsmaturity.teams.models import Membership, Role

from .models import (
    CARRIER_LEVEL,
    JobRole,
    LearningPlan,
    PlanStatus,
    RequiredSkill,
    SkillCategory,
    SkillLevel,
    category_position,
)

MET, SHORT, FAR = "met", "short", "far"
STATUS_LABELS = {MET: _("met"), SHORT: _("one short"), FAR: _("far")}
# More operations in automation per person who can carry them than this, and the
# team is stretched.
OPERATIONS_PER_CARRIER = 5
# Finished learning plans stay on the gap view for a while, as encouragement.
DONE_PLANS_SHOWN_DAYS = 90


def gap_status(required, best):
    """'met', 'short' (one level below) or 'far' (two or more below)."""
    shortfall = required - best
    if shortfall <= 0:
        return MET
    return SHORT if shortfall == 1 else FAR


@dataclass
class Cell:
    skill: object
    required: int | None  # None: this role does not need this skill
    best: int = 0  # the best confirmed level among the team's members
    holders: list = field(default_factory=list)  # who has the best level (when above 0)
    proposed: int | None = None  # a pending proposal above the best, if any

    @property
    def gap(self):
        return max(0, self.required - self.best) if self.required is not None else 0

    @property
    def status(self):
        return gap_status(self.required, self.best) if self.required is not None else ""

    @property
    def status_label(self):
        return STATUS_LABELS.get(self.status, "")


@dataclass
class RoleRow:
    role: object
    cells: list

    @property
    def required_count(self):
        return sum(1 for c in self.cells if c.required is not None)

    @property
    def met_count(self):
        return sum(1 for c in self.cells if c.status == MET)


@dataclass
class RoleFit:
    role: object
    total_gap: int
    missing: list  # (skill, confirmed level, required level), biggest gap first
    closest: bool = False


@dataclass
class MemberFit:
    user: object
    is_manager: bool
    fits: list  # one RoleFit per planned role with requirements, in the roles' order

    @property
    def closest(self):
        return [fit for fit in self.fits if fit.closest]

    @property
    def name(self):
        return display_name(self.user)


@dataclass
class AutomationCapacity:
    """Operations in automate and cost-optimize against the people who can carry them."""

    automate: int
    cost_optimize: int
    carriers: int

    @property
    def operations(self):
        return self.automate + self.cost_optimize

    @property
    def per_carrier(self):
        """Operations per person who can carry them: 6, or 2.5."""
        if not self.carriers:
            return None
        each = round(self.operations / self.carriers, 1)
        return int(each) if each == int(each) else each

    @property
    def tone(self):
        if not self.operations:
            return "good"
        if not self.carriers:
            return "bad"
        return "warn" if self.operations > OPERATIONS_PER_CARRIER * self.carriers else "good"

    @property
    def headline(self):
        operations = ngettext(
            "%(n)s operation in automation", "%(n)s operations in automation", self.operations
        ) % {"n": self.operations}
        people = ngettext(
            "%(n)s person who can carry them", "%(n)s people who can carry them", self.carriers
        ) % {"n": self.carriers}
        return _("%(operations)s, %(people)s") % {"operations": operations, "people": people}

    @property
    def verdict(self):
        if not self.operations:
            return _("No operation is in automate or cost-optimize yet: nothing to carry for now.")
        if not self.carriers:
            return _(
                "Nobody in the team has a confirmed automation skill at level 3 or more: "
                "these operations depend on people outside it. Plan learning, or hire."
            )
        if self.tone == "warn":
            return _(
                "About %(each)s each, more than the %(max)s one person can carry well: "
                "grow more people into automation."
            ) % {"each": self.per_carrier, "max": OPERATIONS_PER_CARRIER}
        return _("About %(each)s each: the team can carry the automation it has.") % {
            "each": self.per_carrier
        }


@dataclass
class TeamGap:
    team: object
    skills: list
    rows: list  # RoleRow per planned role
    members: list  # MemberFit per member
    plans: list
    pending: list
    capacity: AutomationCapacity
    fit_roles: list = field(default_factory=list)  # the roles members are compared against

    @property
    def counts(self):
        statuses = [c.status for row in self.rows for c in row.cells if c.required is not None]
        return {status: statuses.count(status) for status in (MET, SHORT, FAR)}


def automation_capacity(team):
    """Two queries: the team's operations by phase, and its automation carriers."""
    operations = Operation.objects.filter(team=team).aggregate(
        automate=Count("pk", filter=Q(phase=Phase.AUTOMATE)),
        cost_optimize=Count("pk", filter=Q(phase=Phase.COST_OPTIMIZE)),
    )
    carriers = (
        SkillLevel.objects.filter(
            user_id__in=Membership.objects.filter(team=team).values("user_id"),
            skill__category=SkillCategory.AUTOMATION,
            level__gte=CARRIER_LEVEL,
        )
        .values("user_id")
        .distinct()
        .count()
    )
    return AutomationCapacity(carriers=carriers, **operations)


def team_gap(team):
    """Everything the gap view and its CSV show for one team."""
    roles = list(
        JobRole.objects.planned()
        .for_team(team)
        .select_related("team")
        .order_by("horizon_years", "name", "pk")
    )
    requirements = list(
        RequiredSkill.objects.filter(role_id__in=[r.pk for r in roles]).select_related("skill")
    )
    skills = sorted(
        {req.skill_id: req.skill for req in requirements}.values(),
        key=lambda s: (category_position(s.category), s.name.lower()),
    )
    skill_ids = [s.pk for s in skills]
    needed = {(req.role_id, req.skill_id): req.level for req in requirements}

    team_people = Membership.objects.filter(team=team).values("user_id")
    memberships = list(
        Membership.objects.filter(team=team)
        .select_related("user__profile")
        .order_by("user__first_name", "user__last_name", "user__username")
    )
    best = dict(
        SkillLevel.objects.confirmed()
        .filter(user_id__in=team_people, skill_id__in=skill_ids)
        .order_by()
        .values("skill_id")
        .annotate(best=Max("level"))
        .values_list("skill_id", "best")
    )
    levels = {}  # (user id, skill id) -> confirmed level
    proposed = {}  # skill id -> highest pending proposal
    member_levels = (
        SkillLevel.objects.filter(user_id__in=team_people, skill_id__in=skill_ids)
        .order_by()
        .values_list("user_id", "skill_id", "level", "proposed_level")
    )
    for user_id, skill_id, level, proposal in member_levels:
        if level is not None:
            levels[user_id, skill_id] = level
        if proposal is not None:
            proposed[skill_id] = max(proposal, proposed.get(skill_id, proposal))

    names = {m.user_id: display_name(m.user) for m in memberships}
    holders = {}
    for (user_id, skill_id), level in levels.items():
        if level and level == best.get(skill_id):
            holders.setdefault(skill_id, []).append(names[user_id])

    rows = []
    for role in roles:
        cells = []
        for skill in skills:
            top = best.get(skill.pk) or 0
            proposal = proposed.get(skill.pk)
            cells.append(
                Cell(
                    skill=skill,
                    required=needed.get((role.pk, skill.pk)),
                    best=top,
                    holders=sorted(holders.get(skill.pk, [])),
                    proposed=proposal if proposal is not None and proposal > top else None,
                )
            )
        rows.append(RoleRow(role=role, cells=cells))

    fit_roles = [role for role in roles if any(r == role.pk for r, _s in needed)]
    members = []
    for membership in memberships:
        fits = []
        for role in fit_roles:
            missing = []
            for skill in skills:
                need = needed.get((role.pk, skill.pk))
                have = levels.get((membership.user_id, skill.pk), 0)
                if need is not None and have < need:
                    missing.append((skill, have, need))
            missing.sort(key=lambda m: (m[1] - m[2], m[0].name.lower()))
            fits.append(RoleFit(role, sum(need - have for _s, have, need in missing), missing))
        if fits:
            smallest = min(fit.total_gap for fit in fits)
            for fit in fits:
                fit.closest = fit.total_gap == smallest
        members.append(MemberFit(membership.user, membership.role == Role.MANAGER, fits))

    recent = timezone.now() - timedelta(days=DONE_PLANS_SHOWN_DAYS)
    plans = list(
        LearningPlan.objects.filter(user_id__in=team_people)
        .filter(
            Q(status__in=[PlanStatus.PLANNED, PlanStatus.IN_PROGRESS])
            | Q(status=PlanStatus.DONE, updated_at__gte=recent)
        )
        .select_related("user__profile", "skill")
        .order_by("target_date", "id")
    )
    plans.sort(key=lambda plan: not plan.is_open)  # open ones first, each by date
    pending = list(
        SkillLevel.objects.pending()
        .filter(user_id__in=team_people)
        .select_related("user__profile", "skill")
        .order_by("proposed_at", "id")
    )
    return TeamGap(
        team=team,
        skills=skills,
        rows=rows,
        members=members,
        plans=plans,
        pending=pending,
        capacity=automation_capacity(team),
        fit_roles=fit_roles,
    )


CSV_HEADER = [
    _("team"),
    _("role"),
    _("horizon (years)"),
    _("skill"),
    _("category"),
    _("required level"),
    _("best confirmed level"),
    _("gap"),
    _("status"),
    _("who has the best level"),
]


def _safe(value):
    """Text a spreadsheet will not run as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_rows(gap):
    """The gap view's cells as CSV rows: one per role and required skill."""
    yield [str(h) for h in CSV_HEADER]
    for row in gap.rows:
        for cell in row.cells:
            if cell.required is None:
                continue
            values = [
                gap.team.name,
                row.role.name,
                row.role.horizon_years,
                cell.skill.name,
                str(cell.skill.get_category_display()),
                cell.required,
                cell.best,
                cell.gap,
                str(cell.status_label),
                "; ".join(cell.holders),
            ]
            yield [_safe(value) for value in values]
