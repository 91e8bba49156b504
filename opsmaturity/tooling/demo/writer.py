"""Writing demo operations in bulk, through the models' own rules.

Bulk inserts bypass ``Operation.save()`` and ``PhaseTransition.save()``, so each
operation is normalised by the model's own ``normalize()`` and each plan's path
is held to the transition rules (``classify_move``) before it is written: the
first step is the creation, in launch; the steps get more recent; a retirement,
a skip, a move backward or a reinstatement carries a note. The operation's phase
and ``phase_entered_at`` are those of its last step.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from opsmaturity.maturity.moves import classify_move
from opsmaturity.operations.models import (
    Operation,
    PhaseTransition,
    PurposeReview,
    TransitionKind,
)
from opsmaturity.operations.phases import Phase

BATCH_SIZE = 5000
# Keep IN (...) lists well under every backend's limit on query parameters.
IN_CHUNK = 900
DEMO_PASSWORD = "demo"  # noqa: S105 - demo people other than the three logins below
EMAIL_DOMAIN = "example.com"
WIKI = "https://wiki.example.com/ops"
# The first step's note in a plan: written as the creation (worded when shown), no note.
CREATED_NOTE = "Recorded"

L, S, A, C, R = (
    Phase.LAUNCH.value,
    Phase.STANDARDIZE.value,
    Phase.AUTOMATE.value,
    Phase.COST_OPTIMIZE.value,
    Phase.RETIRE.value,
)
LETTERS = {"L": L, "S": S, "A": A, "C": C, "R": R}
WORKING = (L, S, A, C)
# How the monthly cost of an operation falls as it matures, relative to launch.
COST_FACTOR = {L: 1.0, S: 0.85, A: 0.55, C: 0.4}


PEOPLE_PER_TEAM = 10


@dataclass
class Step:
    """One entry into a phase: the first is the creation, in launch."""

    phase: str
    at: dt.datetime
    note: str = ""
    by_id: int | None = None


@dataclass
class Plan:
    team_id: int
    owner_id: int
    name: str
    purpose: str
    steps: list
    cost: int
    value: int
    volume: int = 0
    runbook_url: str = ""
    performer_ids: list = field(default_factory=list)
    reviewed_at: dt.datetime | None = None
    reviewed_by_id: int | None = None
    review_reason: str = ""


def _money_by_phase(plan):
    """The monthly cost while in each working phase, falling as the operation matured."""
    last_working = next(s.phase for s in reversed(plan.steps) if s.phase != R)
    base = plan.cost / COST_FACTOR[last_working]
    return {
        phase: plan.cost if phase == last_working else round(base * factor, -3)
        for phase, factor in COST_FACTOR.items()
    }


def check_path(plan):
    """Hold a plan's steps to the transition rules, as ``move_phase`` would."""
    first = plan.steps[0]
    if first.phase != L:
        raise ValueError(f"{plan.name}: an operation is recorded in launch first.")
    for before, step in zip(plan.steps, plan.steps[1:], strict=False):
        if step.at <= before.at:
            raise ValueError(f"{plan.name}: the steps of its path must get more recent.")
        move = classify_move(before.phase, step.phase)
        if move.needs_note and not step.note:
            raise ValueError(f"{plan.name}: the move to {step.phase} needs a note.")


def write_operations(plans):
    """Insert operations, their histories, performers and purpose reviews in bulk.

    Returns the operations and how many transitions were written.
    """
    for plan in plans:
        check_path(plan)
    operations = [
        Operation(
            team_id=p.team_id,
            owner_id=p.owner_id,
            name=p.name,
            purpose=p.purpose,
            phase=p.steps[-1].phase,
            phase_entered_at=p.steps[-1].at,
            launched_at=timezone.localdate(p.steps[0].at),
            runbook_url=p.runbook_url,
            monthly_volume=p.volume,
            monthly_cost=Decimal(p.cost),
            monthly_value=Decimal(p.value),
            purpose_reviewed_at=p.reviewed_at,
            purpose_reviewed_by_id=p.reviewed_by_id,
            # One save for the creation, one per move and one for the review.
            version=len(p.steps) + (p.reviewed_at is not None),
            created_at=p.steps[0].at,
            updated_at=max(p.steps[-1].at, p.reviewed_at or p.steps[-1].at),
        )
        for p in plans
    ]
    for operation in operations:
        operation.normalize()  # what save() does, which bulk inserts bypass
    Operation.objects.bulk_create(operations, batch_size=BATCH_SIZE)
    if any(op.pk is None for op in operations):
        raise RuntimeError("The database did not return the ids of the new operations.")

    transitions, performers, reviews = [], [], []
    through = Operation.performers.through
    value_of = Decimal
    for op, p in zip(operations, plans, strict=True):
        cost_in = _money_by_phase(p)
        value = value_of(p.value)
        cost = cost_in[L]
        previous, entered = "", None
        for step in p.steps:
            first = previous == ""
            note = "" if first and step.note == CREATED_NOTE else step.note
            # The money as it stood when the move was made, as move_phase records it.
            transitions.append(
                PhaseTransition(
                    operation_id=op.pk,
                    team_id=op.team_id,
                    from_phase=previous,
                    to_phase=step.phase,
                    by_id=step.by_id,
                    at=step.at,
                    from_phase_entered_at=entered,
                    kind=TransitionKind.CREATED if first else TransitionKind.MOVE,
                    note=note,
                    monthly_cost=value_of(cost),
                    monthly_value=value,
                )
            )
            if step.phase != R:
                cost = cost_in[step.phase]
            previous, entered = step.phase, step.at
        performers.extend(through(operation_id=op.pk, user_id=u) for u in p.performer_ids)
        if p.reviewed_at is not None:
            # The money the reviewer confirmed is the operation's money today.
            reviews.append(
                PurposeReview(
                    operation_id=op.pk,
                    by_id=p.reviewed_by_id,
                    at=p.reviewed_at,
                    reason=p.review_reason,
                    monthly_cost=op.monthly_cost,
                    monthly_value=op.monthly_value,
                )
            )
    PhaseTransition.objects.bulk_create(transitions, batch_size=BATCH_SIZE)
    through.objects.bulk_create(performers, batch_size=BATCH_SIZE)
    PurposeReview.objects.bulk_create(reviews, batch_size=BATCH_SIZE)
    return operations, len(transitions)


# --- Helpers --------------------------------------------------------------------


@dataclass(frozen=True)
class Calendar:
    """Today and the installation's time zone, looked up once per run."""

    today: dt.date
    zone: dt.tzinfo

    @classmethod
    def current(cls):
        return cls(timezone.localdate(), timezone.get_current_timezone())

    def moment(self, rng, days_ago):
        """A moment at office hours, ``days_ago`` local days before today."""
        day = self.today - dt.timedelta(days=days_ago)
        moment = dt.datetime.combine(day, dt.time(rng.randint(9, 17), rng.randint(0, 59)))
        return timezone.make_aware(moment, self.zone)


def round_yen(amount):
    return max(1000, int(round(amount, -3)))


def password_hash(raw, logins):
    """The demo's well-known password, or none that works when the logins are off."""
    return make_password(raw if logins else None)


def shared_password_hash(logins=True):
    # One hash for every demo person but the logins: hashing is slow on purpose.
    return password_hash(DEMO_PASSWORD, logins)


def chunks(items, size):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def existing_users(usernames):
    user_model = get_user_model()
    found = {}
    for chunk in chunks(list(usernames), IN_CHUNK):
        found.update(user_model.objects.filter(username__in=chunk).values_list("username", "pk"))
    return found
