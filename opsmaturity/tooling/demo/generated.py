"""Generated volume on top of the fixed demo: "Team 001"… with ten people each."""

import math
import random
import time
from collections import defaultdict
from contextlib import nullcontext
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils.text import slugify

from opsmaturity.maturity.moves import MoveKind
from opsmaturity.operations.models import Operation, PhaseTransition, PurposeReview
from opsmaturity.operations.phases import Phase
from opsmaturity.teams.models import Membership, Role, Team

from .data import (
    BACKWARD_NOTES,
    FIRST_NAMES,
    FORWARD_NOTES,
    LAST_NAMES,
    OPERATIONS,
    REINSTATE_NOTES,
    RETIRE_NOTES,
    REVIEW_REASONS,
    SKIP_NOTES,
)
from .writer import (
    BATCH_SIZE,
    CREATED_NOTE,
    EMAIL_DOMAIN,
    IN_CHUNK,
    PEOPLE_PER_TEAM,
    WIKI,
    WORKING,
    A,
    C,
    Calendar,
    L,
    Plan,
    R,
    S,
    Step,
    bulk_load,
    chunks,
    existing_users,
    move_between,
    round_yen,
    shared_password_hash,
    write_operations,
)


@dataclass
class GeneratedResult:
    operations: int = 0
    teams: int = 0
    new_teams: int = 0
    users: int = 0
    transitions: int = 0
    seconds: float = 0.0


# Realistic proportions: most operations are past launch, and some are retired.
PHASE_WEIGHTS = ((L, 18), (S, 27), (A, 22), (C, 18), (R, 15))
# Performer counts: few in launch, usually two or more afterwards.
LAUNCH_PERFORMERS = ((0, 10), (1, 50), (2, 30), (3, 10))
LATER_PERFORMERS = ((0, 3), (1, 17), (2, 35), (3, 30), (4, 15))
RUNBOOK_SHARE = {L: 0.35, S: 0.8, A: 0.9, C: 0.9, R: 0.6}
RETIRED_FROM = ((L, 25), (S, 35), (A, 25), (C, 15))
UNJUSTIFIED_VALUE_SHARE = 0.15
OVERDUE_REVIEW_SHARE = 0.2
MIN_COST, MAX_COST = 50_000, 2_000_000


def _cumulative(weights):
    values, total, cumulative = [], 0, []
    for value, weight in weights:
        total += weight
        values.append(value)
        cumulative.append(total)
    return values, cumulative


PHASES_CUM = _cumulative(PHASE_WEIGHTS)
LAUNCH_PERFORMERS_CUM = _cumulative(LAUNCH_PERFORMERS)
LATER_PERFORMERS_CUM = _cumulative(LATER_PERFORMERS)
RETIRED_FROM_CUM = _cumulative(RETIRED_FROM)
CATALOGUE = tuple(
    (spec.name, spec.purpose, slugify(spec.name)) for specs in OPERATIONS.values() for spec in specs
)


def _pick(rng, cumulative):
    values, cum = cumulative
    return rng.choices(values, cum_weights=cum)[0]


def _sequence(rng, phase):
    """The phases an operation in ``phase`` went through, and the note of each move."""
    r = rng.random()
    if phase == L:
        return [L]
    if phase == S:
        if r < 0.04:
            return [L, S, A, S]
        if r < 0.05:
            return [L, S, R, S]
        return [L, S]
    if phase == A:
        return [L, A] if r < 0.06 else [L, S, A]
    if phase == C:
        return [L, S, C] if r < 0.05 else [L, S, A, C]
    before = _pick(rng, RETIRED_FROM_CUM)
    return [*(p for p in WORKING if Phase(p).position <= Phase(before).position), R]


NOTES_FOR = {
    MoveKind.RETIRE: RETIRE_NOTES,
    MoveKind.REINSTATE: REINSTATE_NOTES,
    MoveKind.BACKWARD: BACKWARD_NOTES,
    MoveKind.SKIP: SKIP_NOTES,
}


def _note(rng, move):
    """A note for a move of the kind the transition rules say it is."""
    if move.kind in NOTES_FOR:
        return rng.choice(NOTES_FOR[move.kind])
    return rng.choice(FORWARD_NOTES[move.to_phase]) if rng.random() < 0.3 else ""


def _days_in(rng, phase):
    """How long an operation stayed in a phase it has since left."""
    if phase == L:  # most move on within two months, many do not
        return rng.randint(14, 60) if rng.random() < 0.6 else rng.randint(61, 200)
    if phase == R:
        return rng.randint(30, 300)
    return rng.randint(30, 400)


def _days_since_last_move(rng, phase):
    if phase == L:
        r = rng.random()
        if r < 0.4:
            return rng.randint(1, 44)
        if r < 0.6:
            return rng.randint(45, 60)  # due soon
        return min(61 + int(rng.expovariate(1 / 80)), 700)  # stalled
    return min(1 + int(rng.expovariate(1 / 120)), 900)


def _generated_plan(rng, calendar, team_id, name, kind, people):
    """A plausible operation of a generated team, with its history."""
    _kind_name, purpose, kind_slug = kind
    manager, owner = people[0], rng.choice(people)
    phases = _sequence(rng, _pick(rng, PHASES_CUM))
    days = [_days_since_last_move(rng, phases[-1])]
    for phase in reversed(phases[:-1]):
        days.append(days[-1] + _days_in(rng, phase))
    days.reverse()
    steps = []
    previous = None
    for phase, ago in zip(phases, days, strict=True):
        if previous is None:
            note, by = CREATED_NOTE, owner
        else:
            move = move_between(previous, phase)
            note = _note(rng, move)
            forward = move.kind == MoveKind.FORWARD
            by = owner if forward and rng.random() < 0.7 else manager
        steps.append(Step(phase, calendar.moment(rng, ago), note, by))
        previous = phase

    current = phases[-1]
    cost = round_yen(math.exp(rng.uniform(math.log(MIN_COST), math.log(MAX_COST))))
    if rng.random() < UNJUSTIFIED_VALUE_SHARE:
        value = round_yen(cost * rng.uniform(0.3, 0.95))
    else:
        value = round_yen(cost * rng.uniform(1.1, 4.0))

    created_days = days[0]
    reviewed_days = None
    if rng.random() < OVERDUE_REVIEW_SHARE:
        if created_days > 185 and rng.random() < 0.6:
            reviewed_days = rng.randint(181, created_days - 1)
    elif created_days > 170 or rng.random() < 0.5:
        if created_days > 1:
            reviewed_days = rng.randint(1, min(170, created_days - 1))
    reviewed_at = calendar.moment(rng, reviewed_days) if reviewed_days is not None else None

    count = _pick(rng, LAUNCH_PERFORMERS_CUM if current == L else LATER_PERFORMERS_CUM)
    performers = []
    if count:
        if rng.random() < 0.85:
            performers = [owner, *rng.sample([p for p in people if p != owner], count - 1)]
        else:
            performers = rng.sample(people, count)
    runbook = rng.random() < RUNBOOK_SHARE[current]
    return Plan(
        team_id=team_id,
        owner_id=owner,
        name=name,
        purpose=purpose,
        steps=steps,
        cost=cost,
        value=value,
        volume=int(math.exp(rng.uniform(math.log(5), math.log(20_000)))),
        runbook_url=f"{WIKI}/t{team_id}/{kind_slug}-{name.rsplit('#', 1)[-1]}" if runbook else "",
        performer_ids=performers,
        reviewed_at=reviewed_at,
        reviewed_by_id=owner if reviewed_at else None,
        review_reason=rng.choice(REVIEW_REASONS) if reviewed_at else "",
    )


def _team_people(team_name):
    """The same ten people for a team on every run: (username, first, last)."""
    rng = random.Random(f"people:{team_name}")
    code = slugify(team_name).replace("-", "")
    people = []
    for index in rng.sample(range(len(FIRST_NAMES) * len(LAST_NAMES)), PEOPLE_PER_TEAM):
        first = FIRST_NAMES[index // len(LAST_NAMES)]
        last = LAST_NAMES[index % len(LAST_NAMES)]
        username = f"{slugify(first)}.{slugify(last)}.{code}"
        people.append((username, first, last))
    return people


def _ensure_generated_teams(count, logins):
    """Teams "Team 001"… and their people; returns [(team, [user ids, manager first])]."""
    user_model = get_user_model()
    width = max(3, len(str(count)))
    names = [f"Team {n:0{width}d}" for n in range(1, count + 1)]
    with transaction.atomic():
        existing = {t.name: t for t in Team.objects.filter(name__in=names)}
        new = [
            Team(name=n, description="Generated by seed_demo for volume.")
            for n in names
            if n not in existing
        ]
        Team.objects.bulk_create(new)
        teams = {t.name: t for t in Team.objects.filter(name__in=names)}

        people = {name: _team_people(name) for name in names}
        wanted = {u: (first, last) for team in people.values() for u, first, last in team}
        have = existing_users(wanted)
        password = shared_password_hash(logins) if len(have) < len(wanted) else None
        # In every tenth team (001, 011…) the last of its ten people has left, so that
        # the volume shows "owner has left" too, on about one operation in a hundred.
        left = {
            people[name][-1][0]
            for number, name in enumerate(names, start=1)
            if number % 10 == 1 and people[name]
        }
        users = [
            user_model(
                username=u,
                first_name=first,
                last_name=last,
                email=f"{u}@{EMAIL_DOMAIN}",
                password=password,
                is_active=u not in left,
            )
            for u, (first, last) in wanted.items()
            if u not in have
        ]
        user_model.objects.bulk_create(users, batch_size=BATCH_SIZE)
        ids = existing_users(wanted)
        memberships = [
            Membership(
                user_id=ids[username],
                team=teams[name],
                role=Role.MANAGER if index == 0 else Role.MEMBER,
            )
            for name in names
            for index, (username, _f, _l) in enumerate(people[name])
        ]
        Membership.objects.bulk_create(memberships, batch_size=BATCH_SIZE, ignore_conflicts=True)
    result = [(teams[name], [ids[u] for u, _f, _l in people[name]]) for name in names]
    return result, len(new), len(users)


def seed_generated(ops, teams, seed=1, progress=None, logins=True):
    """Add ``ops`` generated operations over ``teams`` generated teams, in bulk batches."""
    started = time.monotonic()
    result = GeneratedResult(teams=teams)
    team_people, result.new_teams, result.users = _ensure_generated_teams(teams, logins)
    team_ids = [team.pk for team, _people in team_people]

    # Names continue after each team's existing operations and never repeat one.
    taken = defaultdict(set)
    for chunk in chunks(team_ids, IN_CHUNK):
        for team_id, name in Operation.objects.filter(team_id__in=chunk).values_list(
            "team_id", "name"
        ):
            taken[team_id].add(name.lower())
    counters = {team_id: len(taken[team_id]) for team_id in team_ids}
    existing_total = sum(counters.values())
    rng = random.Random(f"seed_demo:{seed}:{teams}:{existing_total}")

    # Uneven teams, as in real life, but every team gets some when there are enough.
    weights = [rng.lognormvariate(0, 0.6) for _ in team_ids]
    assignment = list(range(min(ops, len(team_ids))))
    assignment += rng.choices(range(len(team_ids)), weights=weights, k=ops - len(assignment))
    rng.shuffle(assignment)

    calendar = Calendar.current()
    with _loading(ops, Operation.objects.count()):
        _write_batches(
            rng, calendar, ops, assignment, team_people, taken, counters, result, progress
        )
    _refresh_planner_statistics()
    result.seconds = time.monotonic() - started
    return result


# A load this large into tables this small drops their secondary indexes and keys
# for the time of the load (writer.bulk_load): a fresh database, as the bench's.
BULK_LOAD_MIN = 20_000
BULK_LOAD_GROWTH = 4


def _loading(ops, existing):
    if connection.vendor == "postgresql" and ops >= max(BULK_LOAD_MIN, existing * BULK_LOAD_GROWTH):
        return bulk_load([Operation, PhaseTransition, Operation.performers.through, PurposeReview])
    return nullcontext()


def _write_batches(rng, calendar, ops, assignment, team_people, taken, counters, result, progress):
    for start in range(0, ops, BATCH_SIZE):
        plans = []
        for index in assignment[start : start + BATCH_SIZE]:
            team, people = team_people[index]
            kind = rng.choice(CATALOGUE)
            while True:
                counters[team.pk] += 1
                name = f"{kind[0]} #{counters[team.pk]}"
                if name.lower() not in taken[team.pk]:
                    break
            taken[team.pk].add(name.lower())
            plans.append(_generated_plan(rng, calendar, team.pk, name, kind, people))
        with transaction.atomic():
            operations, transitions = write_operations(plans)
        result.operations += len(operations)
        result.transitions += transitions
        if progress:
            progress(result.operations, ops)


def _refresh_planner_statistics():
    """After a bulk load, let PostgreSQL's planner see the new rows now.

    Autovacuum would analyze the tables later; the scan and the snapshot
    backfill that seed_demo runs next would otherwise be planned for nearly
    empty tables (at 100,000 operations: 12 s instead of 6 s for twelve weeks
    of snapshots, 3 s instead of 1 s for the scan). Analyzing takes 0.5 s.
    """
    if connection.vendor != "postgresql":
        return
    models = (Operation, Operation.performers.through, PhaseTransition, PurposeReview)
    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")
