"""The fixed demo: six teams, their people and sixty operations in every phase."""

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from opsmaturity.maturity.moves import MoveKind, classify_move
from opsmaturity.operations.models import CriterionCheck, Operation, PhaseCriterion
from opsmaturity.teams.models import Membership, Role, Team

from .data import LEFT, LOGINS, OPERATIONS, PEOPLE, REVIEW_REASONS, TEAMS
from .organization import seed_organization
from .writer import (
    CREATED_NOTE,
    EMAIL_DOMAIN,
    LETTERS,
    WIKI,
    Calendar,
    Plan,
    R,
    Step,
    existing_users,
    password_hash,
    shared_password_hash,
    write_operations,
)


@dataclass
class FixedResult:
    skipped: bool = False
    teams: int = 0
    operations: int = 0
    users: int = 0
    transitions: int = 0
    checks: int = 0


def fixed_demo_present():
    """Whether every operation of the fixed demo is already recorded in its team."""
    wanted = {(team, op.name.lower()) for team, ops in OPERATIONS.items() for op in ops}
    have = {
        (team, name.lower())
        for team, name in Operation.objects.filter(team__name__in=OPERATIONS).values_list(
            "team__name", "name"
        )
    }
    return wanted <= have


def _parse_step(token):
    head, _, note = token.partition(":")
    return LETTERS[head[0]], int(head[1:]), note.strip()


def _ensure_fixed_people(logins):
    """Create the logins and demo people that are missing; return (ids by username, created)."""
    user_model = get_user_model()
    wanted = {username: (first, last, False) for username, first, last, _ in PEOPLE}
    wanted.update({u: (first, last, staff) for u, _, first, last, staff in LOGINS})
    existing = existing_users(wanted)
    passwords = {username: password for username, password, *_ in LOGINS}
    shared = None
    new = []
    for username, (first, last, staff) in wanted.items():
        if username in existing:
            continue
        if username in passwords:
            password = password_hash(passwords[username], logins)
        else:
            shared = shared or shared_password_hash(logins)
            password = shared
        new.append(
            user_model(
                username=username,
                first_name=first,
                last_name=last,
                email=f"{username}@{EMAIL_DOMAIN}",
                password=password,
                is_staff=staff,
                is_superuser=staff,
                is_active=username not in LEFT,
            )
        )
    user_model.objects.bulk_create(new)
    ids = existing_users(wanted)
    return ids, len(new)


def _fixed_plan(rng, calendar, team, spec, members, manager_id, user_ids):
    """The plan of one fixed operation."""
    others = [m for m in members if m != manager_id] or members
    owner = user_ids[spec.owner] if spec.owner else rng.choice(others)
    if owner not in members:
        raise ValueError(f"{spec.name}: its owner is not in {team.name}.")
    performers = []
    if spec.performers:
        pool = [m for m in others if m != owner]
        performers = [owner, *rng.sample(pool, min(len(pool), spec.performers - 1))]
    steps = []
    previous = None
    for token in spec.path:
        phase, days, note = _parse_step(token)
        by = owner
        if previous is None:
            note = CREATED_NOTE
        elif classify_move(previous, phase).kind != MoveKind.FORWARD:
            by = manager_id
        steps.append(Step(phase, calendar.moment(rng, days), note, by))
        previous = phase
    reviewed_at = None
    if spec.reviewed is not None:
        reviewed_at = max(calendar.moment(rng, spec.reviewed), steps[0].at + dt.timedelta(hours=1))
    slug = slugify(spec.name)
    return Plan(
        team_id=team.pk,
        owner_id=owner,
        name=spec.name,
        purpose=spec.purpose,
        steps=steps,
        cost=spec.cost,
        value=spec.value,
        volume=spec.volume,
        runbook_url=f"{WIKI}/{slugify(team.name)}/{slug}" if spec.runbook else "",
        performer_ids=performers,
        reviewed_at=reviewed_at,
        reviewed_by_id=owner if reviewed_at else None,
        review_reason=rng.choice(REVIEW_REASONS) if reviewed_at else "",
    )


def _criteria_met(criterion, plan):
    label = criterion.label.lower()
    if "runbook" in label:
        return bool(plan.runbook_url)
    if "two people" in label:
        return len(plan.performer_ids) >= 2
    return True


def _checks_and_notes(rng, plan, criteria_by_phase, now):
    """Exit-criterion checks that fit the history; a note on moves that left some unmet."""
    checks = {}
    for index, step in enumerate(plan.steps):
        following = plan.steps[index + 1] if index + 1 < len(plan.steps) else None
        if step.phase == R:
            continue
        criteria = criteria_by_phase.get(step.phase, [])
        if following is None:
            # The current phase: part of its checklist done so far.
            span = max((now - step.at).total_seconds(), 3600)
            for criterion in criteria:
                if _criteria_met(criterion, plan) and rng.random() < 0.5:
                    at = step.at + dt.timedelta(seconds=rng.uniform(0, span))
                    checks.setdefault(criterion.pk, (criterion, at, step.by_id))
            continue
        if classify_move(step.phase, following.phase).kind != MoveKind.FORWARD:
            continue  # a skip, a move back or a retirement: not checked on the way out
        span = (following.at - step.at).total_seconds()
        unmet = []
        for criterion in criteria:
            if _criteria_met(criterion, plan):
                at = following.at - dt.timedelta(seconds=rng.uniform(600, max(span / 3, 601)))
                checks.setdefault(criterion.pk, (criterion, at, step.by_id))
            else:
                unmet.append(criterion.label)
        if unmet and not following.note:
            following.note = "Moved on with exit criteria still open: “{}”. {}".format(
                "”, “".join(unmet), "Follow-up agreed with the team lead."
            )
    return [
        CriterionCheck(
            criterion=criterion,
            checked_by_id=by,
            checked_at=at,
            evidence=plan.runbook_url if "runbook" in criterion.label.lower() else "",
        )
        for criterion, at, by in checks.values()
        # Those the data answers are never ticked (operations.criteria).
        if not criterion.key
    ]


def seed_fixed(seed=2024, logins=True):
    """Build the fixed demo in one transaction, unless it is already there."""
    rng = random.Random(seed)
    with transaction.atomic():
        if fixed_demo_present():
            return FixedResult(skipped=True)
        user_ids, users_created = _ensure_fixed_people(logins)
        teams = {}
        teams_created = 0
        for name, description, _manager in TEAMS:
            team, created = Team.objects.get_or_create(
                name=name, defaults={"description": description}
            )
            teams[name] = team
            teams_created += created
        memberships = [
            Membership(user_id=user_ids[manager], team=teams[name], role=Role.MANAGER)
            for name, _d, manager in TEAMS
        ]
        for username, _f, _l, team_names in PEOPLE:
            memberships += [
                Membership(user_id=user_ids[username], team=teams[t], role=Role.MEMBER)
                for t in team_names
            ]
        Membership.objects.bulk_create(memberships, ignore_conflicts=True)

        members = defaultdict(list)
        for team_id, user_id in Membership.objects.filter(team__in=teams.values()).values_list(
            "team_id", "user_id"
        ):
            members[team_id].append(user_id)
        for team_id in members:
            members[team_id].sort()
        managers = {name: user_ids[manager] for name, _d, manager in TEAMS}
        existing = {
            (team_id, name.lower())
            for team_id, name in Operation.objects.filter(team__in=teams.values()).values_list(
                "team_id", "name"
            )
        }
        criteria_by_phase = defaultdict(list)
        for criterion in PhaseCriterion.objects.filter(is_active=True).order_by(
            "phase", "position", "id"
        ):
            criteria_by_phase[criterion.phase].append(criterion)

        calendar = Calendar.current()
        now = timezone.now()
        plans, checks = [], []
        for team_name, specs in OPERATIONS.items():
            team = teams[team_name]
            for spec in specs:
                if (team.pk, spec.name.lower()) in existing:
                    continue
                plan = _fixed_plan(
                    rng, calendar, team, spec, members[team.pk], managers[team_name], user_ids
                )
                checks.append(_checks_and_notes(rng, plan, criteria_by_phase, now))
                plans.append(plan)
        operations, transitions = write_operations(plans)
        rows = []
        for operation_id, op_checks in zip(operations, checks, strict=True):
            for check in op_checks:
                check.operation_id = operation_id
                rows.append(check)
        CriterionCheck.objects.bulk_create(rows)
        # The future ops team: roles, skills, levels and learning plans of these teams.
        seed_organization(teams.values(), user_ids.values(), rng)
    return FixedResult(
        teams=teams_created,
        operations=len(operations),
        users=users_created,
        transitions=transitions,
        checks=len(rows),
    )
