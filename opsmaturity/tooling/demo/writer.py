"""Writing demo operations in bulk, through the models' own rules.

Bulk inserts bypass ``Operation.save()`` and ``PhaseTransition.save()``, so each
operation is normalised by the model's own ``normalize()`` and each plan's path
is held to the transition rules (``classify_move``) before it is written: the
first step is the creation, in launch; the steps get more recent; a retirement,
a skip, a move backward or a reinstatement carries a note. The operation's phase
and ``phase_entered_at`` are those of its last step.
"""

import datetime as dt
import functools
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
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


@functools.cache
def move_between(from_phase, to_phase):
    """``classify_move``, once per pair of phases: a seed asks it millions of times."""
    return classify_move(from_phase, to_phase)


def check_path(plan):
    """Hold a plan's steps to the transition rules, as ``move_phase`` would."""
    first = plan.steps[0]
    if first.phase != L:
        raise ValueError(f"{plan.name}: an operation is recorded in launch first.")
    for before, step in zip(plan.steps, plan.steps[1:], strict=False):
        if step.at <= before.at:
            raise ValueError(f"{plan.name}: the steps of its path must get more recent.")
        move = move_between(before.phase, step.phase)
        if move.needs_note and not step.note:
            raise ValueError(f"{plan.name}: the move to {step.phase} needs a note.")


def write_operations(plans):
    """Insert operations, their histories, performers and purpose reviews in bulk.

    Returns the new operations' ids, in the order of the plans, and how many
    transitions were written. On PostgreSQL the rows go in with COPY (the
    operations' ids drawn from their sequence first), elsewhere with multi-row
    INSERTs (``bulk_create``); either way as plain rows, not a model instance each.
    """
    for plan in plans:
        check_path(plan)
    columns = [f.attname for f in Operation._meta.concrete_fields]
    # What a new Operation() holds for a column this writer does not set.
    defaults = {f.attname: f.get_default() for f in Operation._meta.concrete_fields}
    rows = []
    for p in plans:
        texts = _Texts(p.name, p.purpose)
        Operation.normalize(texts)  # what save() does, which bulk inserts bypass
        values = {
            **defaults,
            "team_id": p.team_id,
            "owner_id": p.owner_id,
            "name": texts.name,
            "purpose": texts.purpose,
            "phase": p.steps[-1].phase,
            "phase_entered_at": p.steps[-1].at,
            "launched_at": timezone.localdate(p.steps[0].at),
            "runbook_url": p.runbook_url,
            "monthly_volume": p.volume,
            "monthly_cost": Decimal(p.cost),
            "monthly_value": Decimal(p.value),
            "purpose_reviewed_at": p.reviewed_at,
            "purpose_reviewed_by_id": p.reviewed_by_id,
            # One save for the creation, one per move and one for the review.
            "version": len(p.steps) + (p.reviewed_at is not None),
            "created_at": p.steps[0].at,
            "updated_at": max(p.steps[-1].at, p.reviewed_at or p.steps[-1].at),
        }
        rows.append(values)
    copying = connection.vendor == "postgresql"
    if copying:
        for values, pk in zip(rows, _next_ids(Operation, len(rows)), strict=True):
            values["id"] = pk
        copy_rows(Operation, columns, ([values[c] for c in columns] for values in rows))
    else:
        created = Operation.objects.bulk_create(
            [Operation(**values) for values in rows], batch_size=BATCH_SIZE
        )
        for values, operation in zip(rows, created, strict=True):
            values["id"] = operation.pk
    if any(values["id"] is None for values in rows):
        raise RuntimeError("The database did not return the ids of the new operations.")

    # Plain rows, in the order of these columns: no model instance per row.
    transitions, performers, reviews = [], [], []
    value_of = Decimal
    for op, p in zip(rows, plans, strict=True):
        op_id, team_id = op["id"], op["team_id"]
        cost_in = _money_by_phase(p)
        value = value_of(p.value)
        cost = cost_in[L]
        previous, entered = "", None
        for step in p.steps:
            first = previous == ""
            note = "" if first and step.note == CREATED_NOTE else step.note
            # The money as it stood when the move was made, as move_phase records it.
            transitions.append(
                (
                    op_id,
                    team_id,
                    previous,
                    step.phase,
                    step.by_id,
                    step.at,
                    entered,
                    (TransitionKind.CREATED if first else TransitionKind.MOVE).value,
                    note,
                    value_of(cost),
                    value,
                )
            )
            if step.phase != R:
                cost = cost_in[step.phase]
            previous, entered = step.phase, step.at
        performers.extend((op_id, u) for u in p.performer_ids)
        if p.reviewed_at is not None:
            # The money the reviewer confirmed is the operation's money today.
            reviews.append(
                (
                    op_id,
                    p.reviewed_by_id,
                    p.reviewed_at,
                    p.review_reason,
                    op["monthly_cost"],
                    op["monthly_value"],
                )
            )
    write = copy_rows if copying else insert_rows
    write(PhaseTransition, TRANSITION_COLUMNS, transitions)
    write(Operation.performers.through, ("operation_id", "user_id"), performers)
    write(PurposeReview, REVIEW_COLUMNS, reviews)
    return [values["id"] for values in rows], len(transitions)


@dataclass
class _Texts:
    """The two texts ``Operation.normalize`` reads and rewrites, without a model instance."""

    name: str
    purpose: str


TRANSITION_COLUMNS = (
    "operation_id",
    "team_id",
    "from_phase",
    "to_phase",
    "by_id",
    "at",
    "from_phase_entered_at",
    "kind",
    "note",
    "monthly_cost",
    "monthly_value",
)
REVIEW_COLUMNS = ("operation_id", "by_id", "at", "reason", "monthly_cost", "monthly_value")


@contextmanager
def bulk_load(models):
    """One transaction for a load that will multiply these tables' rows (PostgreSQL).

    Their secondary indexes and the foreign keys they hold are dropped for the
    load and made again after it, as PostgreSQL's "Populating a Database"
    advises: one sorted build and one join per key instead of a b-tree insert
    and a trigger per row (at 100,000 operations, 260,000 transitions took 15 s
    of index upkeep and 8 s of key checks; the build and the checks after, 3 s).
    Unique indexes and primary keys stay, and a key made again checks every row:
    a load that fails, or a row a key refuses, rolls everything back.
    """
    tables = [model._meta.db_table for model in models]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        # A key cannot be dropped while checks of it wait for the commit: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "SELECT x.indexrelid::regclass::text, pg_get_indexdef(x.indexrelid) "
            "FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid "
            "WHERE t.oid = ANY(%s::regclass[]) AND NOT x.indisunique AND NOT x.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)",
            [tables],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT k.conrelid::regclass::text, quote_ident(k.conname), "
            "pg_get_constraintdef(k.oid) FROM pg_constraint k "
            "WHERE k.contype = 'f' AND k.conrelid = ANY(%s::regclass[])",
            [tables],
        )
        keys = cursor.fetchall()
        for table, name, _definition in keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
        yield
        for _name, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # Django's keys: initially deferred


def _next_ids(model, count):
    """``count`` ids from the table's own sequence, as the inserts would have taken them."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [connection.ops.quote_name(table), model._meta.pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def copy_rows(model, attnames, rows):
    """PostgreSQL: COPY rows (sequences of values, in the order of ``attnames``) into
    the model's table; the values are the model's own Python values (str, int,
    Decimal, aware datetime, date, None), which psycopg writes as the columns' types."""
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    fields = [by_attname[name] for name in attnames]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor, connection.wrap_database_errors:
        raw = cursor.cursor  # psycopg's own cursor: COPY is not in Django's API
        with raw.copy(f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def insert_rows(model, attnames, rows):
    model.objects.bulk_create(
        (model(**dict(zip(attnames, row, strict=True))) for row in rows), batch_size=BATCH_SIZE
    )


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
