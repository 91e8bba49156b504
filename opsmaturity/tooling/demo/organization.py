"""Demo data for the team plan: a skill catalogue, roles, levels and learning plans.

``seed_organization(teams, users, rng)`` is called by ``seed_demo`` after the
teams, people and memberships exist. It adds, with batches of bulk inserts and
no query per person:

- a skill catalogue in the four categories (kept if already there);
- per team an "Operator" role that exists today and an "Automation promoter"
  planned for next year; two organisation-wide planned roles, "Growth planner"
  (3 years) and "Data platform steward" (5 years); each with required skills;
- for each of ``users`` who is in one of ``teams``: confirmed levels (confirmed
  by a manager of one of their teams, or by an administrator for a manager
  alone in their teams), a few proposals still waiting, and the history rows
  of both;
- learning plans for about half of them, towards the automation promoter role,
  mostly open, a few done, one or two overdue.

Running it again adds nothing that is already there: roles are found by name,
and people who already have levels or learning plans get no more.
"""

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from opsmaturity.organization.models import (
    JobRole,
    LearningPlan,
    LevelChange,
    LevelChangeKind,
    PlanStatus,
    RequiredSkill,
    Skill,
    SkillCategory,
    SkillLevel,
)
from opsmaturity.teams.models import Membership, Role

from .data import ORGANISATION_ROLES, PLAN_NOTES, PROPOSAL_NOTES, SKILLS, TEAM_ROLES

OPS, AUTO, DATA, MGMT = (
    SkillCategory.OPERATIONS,
    SkillCategory.AUTOMATION,
    SkillCategory.DATA,
    SkillCategory.MANAGEMENT,
)
# How levels are spread per category: (probability of having any level, lowest, highest).
PROFILE = {OPS: (0.95, 1, 4), AUTO: (0.55, 0, 3), DATA: (0.5, 0, 3), MGMT: (0.45, 0, 3)}
# Some people are already the team's automation enthusiasts.
ENTHUSIAST_SHARE = 0.2
PENDING_SHARE = 0.15
PLAN_SHARE = 0.5


@dataclass
class OrganizationResult:
    skills: int = 0
    roles: int = 0
    levels: int = 0
    pending: int = 0
    plans: int = 0


def _ensure_skills():
    existing = {name.lower(): pk for name, pk in Skill.objects.values_list(Lower("name"), "pk")}
    new = [
        Skill(name=name, category=category, description=description)
        for name, category, description in SKILLS
        if name.lower() not in existing
    ]
    Skill.objects.bulk_create(new)
    by_name = {s.name.lower(): s for s in Skill.objects.all()}
    return {name: by_name[name.lower()] for name, _c, _d in SKILLS}, len(new)


def _ensure_roles(team_ids, skills):
    """The demo roles, found by name in their team, created when missing."""
    existing = {
        (team_id, name.lower())
        for team_id, name in JobRole.objects.filter(team_id__in=team_ids).values_list(
            "team_id", "name"
        )
    }
    existing |= {
        (None, name.lower())
        for name in JobRole.objects.filter(team__isnull=True).values_list("name", flat=True)
    }
    wanted = [(team_id, spec) for team_id in team_ids for spec in TEAM_ROLES]
    wanted += [(None, spec) for spec in ORGANISATION_ROLES]
    new, needs = [], []
    for team_id, (name, status, horizon, description, required) in wanted:
        if (team_id, name.lower()) in existing:
            continue
        role = JobRole(
            name=name,
            status=status,
            horizon_years=horizon,
            description=description,
            team_id=team_id,
        )
        new.append(role)
        needs.append(required)
    JobRole.objects.bulk_create(new)
    if new and new[0].pk is None:  # a backend that does not return ids from bulk inserts
        saved = {(r.team_id, r.name.lower()): r for r in JobRole.objects.all()}
        new = [saved[r.team_id, r.name.lower()] for r in new]
    RequiredSkill.objects.bulk_create(
        [
            RequiredSkill(role=role, skill=skills[skill_name], level=level)
            for role, required in zip(new, needs, strict=True)
            for skill_name, level in required.items()
        ]
    )
    return len(new)


def _levels_for(rng, skills):
    """A believable set of (skill, level) for one person."""
    enthusiast = rng.random() < ENTHUSIAST_SHARE
    levels = {}
    for name, category, _d in SKILLS:
        chance, low, high = PROFILE[category]
        if category == AUTO and enthusiast:
            chance, low, high = 0.9, 2, 4
        if rng.random() < chance:
            levels[skills[name]] = rng.randint(low, high)
    return levels


def _moment(rng, now, max_days):
    return now - dt.timedelta(days=rng.randint(1, max_days), hours=rng.randint(0, 8))


def seed_organization(teams, users, rng):
    """Fill the team plan of ``teams`` for those of ``users`` who are in them.

    ``teams``: Team objects (or their ids); ``users``: User objects (or their ids),
    None for everyone in the teams; ``rng``: a ``random.Random``, so that the demo
    is the same from one run to the next. Returns an ``OrganizationResult``.
    """
    team_ids = sorted({getattr(team, "pk", team) for team in teams})
    user_ids = None if users is None else {getattr(user, "pk", user) for user in users}
    result = OrganizationResult()
    now = timezone.now()
    today = timezone.localdate()
    with transaction.atomic():
        skills, result.skills = _ensure_skills()
        result.roles = _ensure_roles(team_ids, skills)

        # Subqueries rather than lists of ids: there may be more people than a
        # backend takes parameters in one query.
        in_teams = Membership.objects.filter(team_id__in=team_ids).values("user_id")
        memberships = (
            Membership.objects.filter(team_id__in=team_ids)
            .order_by("team_id", "user_id")
            .values_list("team_id", "user_id", "role")
        )
        managers = {}
        teams_of = {}
        for team_id, user_id, role in memberships:
            if role == Role.MANAGER:
                managers.setdefault(team_id, []).append(user_id)
            if user_ids is None or user_id in user_ids:
                teams_of.setdefault(user_id, []).append(team_id)
        people = sorted(teams_of)
        assessed = set(
            SkillLevel.objects.filter(user_id__in=in_teams).values_list("user_id", flat=True)
        )
        staff = (
            get_user_model()
            .objects.filter(is_staff=True, is_active=True)
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )
        planned = set(
            LearningPlan.objects.filter(user_id__in=in_teams).values_list("user_id", flat=True)
        )

        levels, changes, plans = [], [], []
        promoter_needs = dict(TEAM_ROLES[1][4])
        for user_id in people:
            confirmers = [
                m
                for team_id in teams_of[user_id]
                for m in managers.get(team_id, [])
                if m != user_id
            ]
            confirmer = confirmers[0] if confirmers else staff
            if user_id in assessed or user_id in planned:
                continue  # seeded before, or with a plan of their own
            mine = _levels_for(rng, skills)
            for skill, level in mine.items():
                confirmed_at = _moment(rng, now, 300)
                row = SkillLevel(
                    user_id=user_id,
                    skill=skill,
                    level=level,
                    confirmed_by_id=confirmer,
                    confirmed_at=confirmed_at,
                )
                proposed_before = confirmed_at - dt.timedelta(days=rng.randint(1, 6))
                changes += [
                    LevelChange(
                        user_id=user_id,
                        skill=skill,
                        kind=LevelChangeKind.PROPOSED,
                        level=level,
                        by_id=user_id,
                        at=proposed_before,
                    ),
                    LevelChange(
                        user_id=user_id,
                        skill=skill,
                        kind=LevelChangeKind.CONFIRMED,
                        level=level,
                        by_id=confirmer,
                        at=confirmed_at,
                    ),
                ]
                if level < 4 and rng.random() < PENDING_SHARE:
                    row.proposed_level = level + 1
                    row.proposed_at = _moment(rng, now, 20)
                    row.proposal_note = rng.choice(PROPOSAL_NOTES)
                    changes.append(
                        LevelChange(
                            user_id=user_id,
                            skill=skill,
                            kind=LevelChangeKind.PROPOSED,
                            level=level + 1,
                            by_id=user_id,
                            at=row.proposed_at,
                        )
                    )
                    result.pending += 1
                levels.append(row)

            if rng.random() >= PLAN_SHARE:
                continue
            gaps = [
                (name, need)
                for name, need in promoter_needs.items()
                if mine.get(skills[name], 0) < need
            ]
            for name, need in rng.sample(gaps, min(len(gaps), rng.randint(1, 2))):
                roll = rng.random()
                if roll < 0.15:
                    status, target = PlanStatus.DONE, today - dt.timedelta(days=rng.randint(5, 60))
                elif roll < 0.22:
                    status, target = PlanStatus.IN_PROGRESS, today - dt.timedelta(days=10)
                else:
                    status = rng.choice([PlanStatus.PLANNED, PlanStatus.IN_PROGRESS])
                    target = today + dt.timedelta(days=rng.randint(30, 270))
                plans.append(
                    LearningPlan(
                        user_id=user_id,
                        skill=skills[name],
                        goal_level=need,
                        target_date=target,
                        status=status,
                        note=rng.choice(PLAN_NOTES),
                        created_by_id=user_id,
                        created_at=now - dt.timedelta(days=rng.randint(10, 90)),
                    )
                )

        SkillLevel.objects.bulk_create(levels, batch_size=2000)
        LevelChange.objects.bulk_create(changes, batch_size=2000)
        LearningPlan.objects.bulk_create(plans, batch_size=2000)
    result.levels = len(levels)
    result.plans = len(plans)
    return result
