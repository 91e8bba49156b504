"""The maturity scan: open and resolve flags for every rule, in SQL, in one transaction.

For each rule of ``rules.ALL_RULES`` the scan runs a fixed number of
statements, whatever the number of operations:

1. refresh (the first full run of a day, and the rescan after an edit): one
   UPDATE rewrites the facts of the open flags whose operation changed since
   (a new cost, one performer fewer…);
2. resolve: the open flags whose operation the rule's own filter no longer
   selects get ``resolved_at``;
3. open: an INSERT … SELECT adds a flag for every operation the rule's filter
   selects that has none open, with the rule's facts. ``ON CONFLICT DO NOTHING``
   leans on the partial unique constraint ``flag_one_open_per_operation_and_kind``,
   so a flag opened by someone else in the meantime is kept, never duplicated.

On PostgreSQL, 2 and 3 are one statement (a data-modifying WITH) that finds
the rule's operations once; SQLite, which has no UPDATE inside WITH, runs them
as two.

Everything about a rule comes from ``maturity/rules.py``: which operations it
holds for (``rule.filter()``) and the facts a flag keeps (``rule.facts_sql()``,
a JSON object built in the database). Facts are dates and amounts, not day
counts, so they do not go stale as days pass; the reason is worded from them
when a page or a digest shows the flag. ``tests/maturity/test_scan.py`` proves
that the stored facts are the rule's own ``facts_of()`` for random operations.
Over a set of operations (2 and 3) a rule counts what it counts, the
performers, in one grouped pass (``many=True``); per open flag (1, and 2 on
SQLite) one operation at a time. ``tests/maturity/test_scan_agrees.py`` proves
that both ways, and each rule's own check, find the same flags.

Every run is one transaction, so a worker killed half-way changes nothing and
the next run does the whole job. On PostgreSQL two runs at once are serialized
by a transaction-level advisory lock (SQLite serializes writers itself: its
transactions begin IMMEDIATE).
"""

import datetime as dt
import logging
import zlib
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    CharField,
    DateTimeField,
    Exists,
    F,
    JSONField,
    OuterRef,
    Subquery,
    Value,
)
from django.db.models.constants import OnConflict
from django.db.models.expressions import RawSQL
from django.db.models.functions import JSONObject
from django.utils import timezone

from opsmaturity.lib import events
from opsmaturity.lib.clock import day_start
from opsmaturity.operations.models import Operation

from . import rules
from .models import Flag, ScanRun, ScanStatus

log = logging.getLogger(__name__)

# Serializes scans on PostgreSQL: a fixed number that no other advisory lock uses.
SCAN_LOCK_KEY = zlib.crc32(b"opsmaturity.maturity.scan")


def facts_sql(rule):
    """The JSON object of the rule's facts, built in the database for each row."""
    return JSONObject(**rule.facts_sql())


# --- The run ---------------------------------------------------------------------


@dataclass
class ScanResult:
    """What one run changed, per flag kind."""

    run_id: int | None
    as_of: dt.datetime | None
    partial: bool
    operation_count: int = 0
    by_kind: dict = field(default_factory=dict)

    def _total(self, key):
        return sum(counts[key] for counts in self.by_kind.values())

    @property
    def opened(self):
        return self._total("opened")

    @property
    def resolved(self):
        return self._total("resolved")

    @property
    def refreshed(self):
        return self._total("refreshed")

    def as_dict(self):
        """A small JSON-able summary, e.g. for a Celery result."""
        return {
            "run": self.run_id,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "partial": self.partial,
            "operations": self.operation_count,
            "opened": self.opened,
            "resolved": self.resolved,
            "refreshed": self.refreshed,
            "by_kind": self.by_kind,
        }


def run_scan(operation_ids=None, record=True):
    """Bring the open flags in line with the rules, for every operation or only these.

    Returns a ScanResult; the run is also recorded as a ScanRun unless
    ``record`` is False (the rescan of one operation after each edit). Raises
    what the database raises (the run is then marked failed and changed nothing).
    """
    ids = None if operation_ids is None else sorted({int(pk) for pk in operation_ids})
    if not record:
        with transaction.atomic():
            result = ScanResult(run_id=None, as_of=timezone.now(), partial=ids is not None)
            if ids != []:
                _scan(ids, result.as_of, result)
            _announce(result)
        return result
    # Recorded before the transaction, so that a run that dies leaves its trace.
    run = ScanRun.objects.create(partial=ids is not None)
    try:
        with transaction.atomic():
            if ids is None:
                # A few operations need no turn: the one-open-flag constraint keeps
                # them right beside a full scan, and an edit must not wait for one.
                _wait_for_other_scans()
            as_of = timezone.now()
            result = ScanResult(run_id=run.pk, as_of=as_of, partial=run.partial)
            first_of_day = ids is None and _first_full_run_of_day(as_of)
            if ids != []:
                _scan(ids, as_of, result, refresh=ids is not None or first_of_day)
            _announce(result)
            if first_of_day:
                _forget_old_runs(as_of)
                _refresh_planner_statistics()
            ScanRun.objects.filter(pk=run.pk).update(
                as_of=as_of,
                finished_at=timezone.now(),
                status=ScanStatus.SUCCEEDED,
                operation_count=result.operation_count,
                opened=result.opened,
                resolved=result.resolved,
                refreshed=result.refreshed,
                by_kind=result.by_kind,
            )
    except BaseException as exc:
        _record_failure(run, exc)
        raise
    log.info(
        "maturity scan %s: %s operations, %s opened, %s resolved, %s brought up to date",
        run.pk,
        result.operation_count,
        result.opened,
        result.resolved,
        result.refreshed,
    )
    return result


def _first_full_run_of_day(as_of):
    """Whether no full scan has succeeded yet on this local day.

    Facts change with their operation, and every change in the app rescans the
    operation at once; the first run of a day still brings every open flag's
    facts in line (a change made outside the app, a new time zone), and the
    hourly scans after it only open and resolve.
    """
    today_began = day_start(timezone.localdate(as_of))
    return not ScanRun.objects.filter(
        partial=False, status=ScanStatus.SUCCEEDED, as_of__gte=today_began
    ).exists()


def _scan(ids, as_of, result, refresh=True):
    on = timezone.localdate(as_of)
    operations = Operation.objects.all()
    open_flags = Flag.objects.filter(resolved_at__isnull=True)
    if ids is not None:
        operations = operations.filter(pk__in=ids)
        open_flags = open_flags.filter(operation_id__in=ids)
    for rule in rules.ALL_RULES:
        refreshed = _refresh(rule, open_flags, on) if refresh else 0
        if connection.vendor == "postgresql":  # SQLite has no UPDATE or INSERT inside WITH
            resolved, opened = _resolve_and_open(rule, operations, open_flags, on, as_of)
        else:
            resolved = _resolve(rule, open_flags, on, as_of)
            opened = _open(rule, operations, on, as_of)
        result.by_kind[str(rule.kind)] = {
            "opened": opened,
            "resolved": resolved,
            "refreshed": refreshed,
        }
    result.operation_count = operations.count()


def _forget_old_runs(as_of):
    """Once a day, delete the records of runs older than OPS_SCAN_HISTORY_DAYS (an
    hourly scan and every "check now" add one). Flags keep their own dates."""
    cutoff = as_of - dt.timedelta(days=settings.OPS_SCAN_HISTORY_DAYS)
    ScanRun.objects.filter(started_at__lt=cutoff).delete()


def _wait_for_other_scans():
    """On PostgreSQL, one scan at a time; the lock ends with the transaction.

    The run's transaction also does without JIT compilation: the correlated
    subqueries of the rules make the planner's cost estimates large enough to
    trigger it on every statement, and compiling took longer than running
    (300 of 460 ms for one statement at 100,000 operations; the second run of
    a scan 950 ms with JIT, 650 ms without). ``SET LOCAL`` ends with the transaction.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SCAN_LOCK_KEY])
            cursor.execute("SET LOCAL jit = off")


def _refresh_planner_statistics():
    """Let PostgreSQL's planner see how many flags there are now (on the first full
    run of each day; autovacuum analyzes after large changes in between).

    A first scan can open tens of thousands of flags in one go. Until
    autovacuum analyzes the table, the planner still believes it nearly empty
    and plans the next scan's NOT EXISTS as nested loops over it: 30 s instead
    of 3 s at 100,000 operations. Analyzing a sample costs about 50 ms.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(Flag._meta.db_table)}")


def _holding(rule, on):
    """The flag's operation, if the rule still holds for it (for use in a Flag query)."""
    return rule.filter(Operation.objects.filter(pk=OuterRef("operation_id")).order_by(), on)


def _resolve(rule, open_flags, on, as_of):
    return (
        open_flags.filter(kind=rule.kind)
        .exclude(Exists(_holding(rule, on)))
        .update(resolved_at=as_of)
    )


def _refresh(rule, open_flags, on):
    fresh = Subquery(
        _holding(rule, on).annotate(fresh_facts=facts_sql(rule)).values("fresh_facts")[:1],
        output_field=JSONField(),
    )
    # The fresh facts are NULL when the rule stopped holding since _resolve
    # (another transaction changed the operation): "facts <> NULL" is not
    # true, so that flag keeps its facts until the next run. The facts are
    # built once per open flag here, and again only for the flags that changed.
    return (
        open_flags.filter(kind=rule.kind)
        .annotate(fresh_facts=fresh)
        .exclude(facts=F("fresh_facts"))
        .update(facts=fresh)
    )


def _open(rule, operations, on, as_of):
    """One INSERT … SELECT of a flag for each operation where the rule holds and none is open."""
    already_open = Flag.objects.filter(
        operation_id=OuterRef("pk"), kind=rule.kind, resolved_at__isnull=True
    )
    candidates = rule.filter(operations.exclude(Exists(already_open)), on, many=True)
    sql, params = _insert_flags_sql(rule, candidates, as_of)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


def _resolve_and_open(rule, operations, open_flags, on, as_of):
    """_resolve and _open in one statement, finding the rule's operations once.

    PostgreSQL runs an UPDATE and an INSERT as parts of one statement (data-modifying
    WITH), both reading one list of the operations where the rule holds. Two
    statements would each evaluate the rule over every operation: at 100,000
    operations that was most of an hourly run. Returns (resolved, opened).
    """
    holding_sql, holding_params = _sql(
        rule.filter(operations, on, many=True).order_by().values("pk")
    )
    open_sql, open_params = _sql(
        open_flags.filter(kind=rule.kind).order_by().values("pk", "operation_id")
    )
    flags = connection.ops.quote_name(Flag._meta.db_table)
    to_open = RawSQL("SELECT operation_id FROM differ WHERE flag_id IS NULL", ())
    # The rule is not tested again on these: every part of the statement reads the
    # same snapshot, so it holds for them (testing it again counted the performers
    # of each new flag twice more at 1,000,000 operations).
    insert_sql, insert_params = _insert_flags_sql(
        rule, rule.annotate(operations.filter(pk__in=to_open), many=True), as_of, returning=True
    )
    # One hash join finds both sides of the difference: open flags whose operation
    # the rule no longer holds for, and operations it holds for with no open flag.
    sql = (
        "WITH differ (operation_id, flag_id) AS MATERIALIZED ("
        "SELECT holding.id, open_flag.id "
        f"FROM ({holding_sql}) holding (id) "
        f"FULL JOIN ({open_sql}) open_flag (id, operation_id) "
        "ON open_flag.operation_id = holding.id "
        "WHERE holding.id IS NULL OR open_flag.id IS NULL), "
        # "resolved_at IS NULL" again: a flag resolved meanwhile by another
        # transaction (an edit's rescan) keeps the moment it was resolved.
        f"resolved AS (UPDATE {flags} SET resolved_at = %s WHERE resolved_at IS NULL AND id IN "
        "(SELECT flag_id FROM differ WHERE operation_id IS NULL) RETURNING 1), "
        f"opened AS ({insert_sql}) "
        "SELECT (SELECT count(*) FROM resolved), (SELECT count(*) FROM opened)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (*holding_params, *open_params, as_of, *insert_params))
        return cursor.fetchone()


def _sql(queryset):
    return queryset.query.get_compiler(connection=connection).as_sql()


def _insert_flags_sql(rule, candidates, as_of, returning=False):
    """INSERT … SELECT of an open flag of the rule's kind for each of ``candidates``
    (operations where the rule holds, with what its facts read); (sql, params)."""
    candidates = (
        candidates.order_by()
        .annotate(
            flag_kind=Value(str(rule.kind), output_field=CharField()),
            flag_opened_at=Value(as_of, output_field=DateTimeField()),
            flag_facts=facts_sql(rule),
        )
        .values_list("pk", "flag_kind", "flag_opened_at", "flag_facts")
    )
    select_sql, params = _sql(candidates)
    ops = connection.ops
    columns = ", ".join(
        ops.quote_name(Flag._meta.get_field(name).column)
        for name in ("operation", "kind", "opened_at", "facts")
    )
    if connection.vendor in ("postgresql", "sqlite"):
        # Not SQLite's INSERT OR IGNORE: that would also drop a row that breaks
        # NOT NULL or CHECK, silently. Only the one-open-flag constraint may skip a row.
        insert, suffix = "INSERT INTO", "ON CONFLICT DO NOTHING"
    else:
        insert = ops.insert_statement(on_conflict=OnConflict.IGNORE)
        suffix = ops.on_conflict_suffix_sql([], OnConflict.IGNORE, [], []) or ""
    # The WHERE keeps SQLite from reading ON CONFLICT as a join's ON clause.
    sql = (
        f"{insert} {ops.quote_name(Flag._meta.db_table)} ({columns}) "
        f"SELECT * FROM ({select_sql}) candidate WHERE 1 = 1 {suffix}"
    )
    if returning:
        sql += " RETURNING 1"
    return sql, params


def _record_failure(run, exc):
    try:
        ScanRun.objects.filter(pk=run.pk).update(
            status=ScanStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000]
        )
    except Exception:  # the database may be what failed; the run stays "running"
        log.warning("could not record the failure of scan run %s", run.pk, exc_info=True)


def _announce(result):
    """Tell who listens (webhooks) which flags this run opened and resolved."""
    if result.opened or result.resolved:
        events.flags_changed.send(
            Flag, as_of=result.as_of, opened=result.opened, resolved=result.resolved
        )


def flags_changed_by(run):
    """The flags a finished run opened and resolved (for a report, not for the scan)."""
    if run.as_of is None:
        return Flag.objects.none(), Flag.objects.none()
    flags = Flag.objects.select_related("operation").order_by("kind", "operation__name")
    return flags.filter(opened_at=run.as_of), flags.filter(resolved_at=run.as_of)
