"""The maturity scan: open and resolve flags for every rule, in SQL, in one transaction.

For each rule of ``rules.ALL_RULES`` the scan runs a fixed number of
statements, whatever the number of operations:

1. refresh (the first full run of a day, and the rescan after an edit): one
   UPDATE rewrites the reason of the open flags whose reason changed (one more
   day in launch, a new cost…);
2. resolve: the open flags whose operation the rule's own filter no longer
   selects get ``resolved_at``;
3. open: an INSERT … SELECT adds a flag for every operation the rule's filter
   selects that has none open. ``ON CONFLICT DO NOTHING`` leans on the partial
   unique constraint ``flag_one_open_per_operation_and_kind``, so a flag opened
   by someone else in the meantime is kept, never duplicated.

On PostgreSQL, 2 and 3 are one statement (a data-modifying WITH) that finds
the rule's operations once; SQLite, which has no UPDATE inside WITH, runs them
as two.

Which operations a rule holds for always comes from ``rule.filter()``: the
conditions are defined once, in rules.py. Only the *wording* of the reason is
built here as SQL expressions, from the same translated messages as
``rule.check(op).reason``; ``tests/maturity/test_scan.py`` proves that the stored
reason and the predicate's reason are the same text for random operations.

Every run is one transaction, so a worker killed half-way changes nothing and
the next run does the whole job. On PostgreSQL two runs at once are serialized
by a transaction-level advisory lock (SQLite serializes writers itself: its
transactions begin IMMEDIATE).
"""

import datetime as dt
import logging
import re
import zlib
from dataclasses import dataclass, field

from django.conf import settings
from django.db import NotSupportedError, connection, transaction
from django.db.models import (
    Case,
    CharField,
    DateTimeField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.constants import OnConflict
from django.db.models.expressions import RawSQL
from django.db.models.functions import (
    Cast,
    Coalesce,
    Concat,
    Least,
    Left,
    Replace,
    Substr,
    Trim,
    TruncDate,
)
from django.db.models.lookups import Exact, GreaterThan
from django.utils import timezone
from django.utils.formats import get_format
from django.utils.translation import gettext as _

from opsmaturity.lib.clock import day_start
from opsmaturity.operations.models import Operation
from opsmaturity.operations.phases import Phase

from . import rules
from .models import Flag, FlagKind, ScanRun, ScanStatus

log = logging.getLogger(__name__)

# Serializes scans on PostgreSQL: a fixed number that no other advisory lock uses.
SCAN_LOCK_KEY = zlib.crc32(b"opsmaturity.maturity.scan")
DETAIL_MAX_LENGTH = Flag._meta.get_field("detail").max_length


# --- SQL building blocks ---------------------------------------------------------


class LocalDaysSince(Func):
    """Whole local calendar days from a moment to a day, as clock.days_since.

    The moment's local date is taken in the current time zone (TruncDate does
    the conversion the same way the ORM does everywhere else).
    """

    output_field = IntegerField()

    def __init__(self, moment, on, **extra):
        local_date = TruncDate(moment, tzinfo=timezone.get_current_timezone())
        super().__init__(Value(on), local_date, **extra)

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError(f"LocalDaysSince is not implemented on {connection.vendor}")

    def as_sqlite(self, compiler, connection, **extra_context):
        template = "CAST(julianday(%(expressions)s) AS INTEGER)"
        return super().as_sql(
            compiler, connection, template=template, arg_joiner=") - julianday(", **extra_context
        )

    def as_postgresql(self, compiler, connection, **extra_context):
        template = "((%(expressions)s)::date)"
        return super().as_sql(
            compiler, connection, template=template, arg_joiner=")::date - (", **extra_context
        )


class WholeMoney(Func):
    """A non-negative amount as rules._money writes it: no decimals, digits grouped."""

    output_field = CharField()

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError(f"WholeMoney is not implemented on {connection.vendor}")

    def as_sqlite(self, compiler, connection, **extra_context):
        # printf's "," flag groups thousands (SQLite 3.18+); CAST truncates like number_format.
        return super().as_sql(
            compiler,
            connection,
            template="printf('%%%%,d', CAST(%(expressions)s AS INTEGER))",
            **extra_context,
        )

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template="to_char(trunc(%(expressions)s), 'FM999,999,999,999,999,999,990')",
            **extra_context,
        )


class Switch(Func):
    """``CASE value WHEN k THEN text … ELSE default END``: the value is computed once a row.

    A searched CASE (Django's Case/When) would repeat an expensive value, such
    as a day count or a performer count, in every WHEN.
    """

    output_field = CharField()

    def __init__(self, value, texts, default=""):
        expressions = [value]
        for key, text in texts.items():
            expressions += [Value(key), Value(text)]
        super().__init__(*expressions, Value(default))

    def as_sql(self, compiler, connection, **extra_context):
        sqls, params = [], []
        for expression in self.get_source_expressions():
            sql, expression_params = compiler.compile(expression)
            sqls.append(sql)
            params.extend(expression_params)
        value, *pairs, default = sqls
        whens = " ".join(
            f"WHEN {key} THEN {text}" for key, text in zip(pairs[::2], pairs[1::2], strict=True)
        )
        return f"CASE {value} {whens} ELSE {default} END", params


def _money_sql(expression):
    """The amount formatted for the active language, like rules._money.

    Languages that group by other than three digits are written grouped by
    three: the installation's two languages, English and Japanese, group by three.
    """
    grouping = get_format("NUMBER_GROUPING")
    if grouping == 0:
        return Cast(Cast(expression, IntegerField()), CharField())
    grouped = WholeMoney(expression)
    separator = get_format("THOUSAND_SEPARATOR")
    if separator != ",":
        grouped = Replace(grouped, Value(","), Value(separator))
    return grouped


_PLACEHOLDER = re.compile(r"%\((\w+)\)[ds]|%%")


def _format_sql(message, **values):
    """A translated ``%(name)d`` message as a SQL text expression.

    ``values`` are SQL expressions (integers are cast to text) or plain Python
    values; the translation may put the placeholders in any order.
    """
    parts, position = [], 0
    for match in _PLACEHOLDER.finditer(message):
        if match.start() > position:
            parts.append(Value(message[position : match.start()]))
        if match.group(0) == "%%":
            parts.append(Value("%"))
        else:
            value = values[match.group(1)]
            if hasattr(value, "resolve_expression"):
                is_text = isinstance(getattr(value, "_output_field_or_none", None), CharField)
                parts.append(value if is_text else Cast(value, CharField()))
            else:
                parts.append(Value(str(value)))
        position = match.end()
    if position < len(message):
        parts.append(Value(message[position:]))
    if not parts:
        return Value("")
    return parts[0] if len(parts) == 1 else Concat(*parts, output_field=CharField())


def _joined_sql(separator, parts):
    """Join the parts whose condition holds, like ``separator.join(reasons)``.

    ``parts`` are (condition, text expression). Each part that holds is written
    with the separator in front, then the first separator is cut off.
    """
    pieces = [
        Case(When(condition, then=Concat(Value(separator), text)), default=Value(""))
        for condition, text in parts
    ]
    return Substr(Concat(*pieces, output_field=CharField()), len(separator) + 1)


def _stub_reason(rule, on, **attributes):
    """The rule's own reason for an operation with just these facts, or ''."""
    performer_count = attributes.pop("performer_count", None)
    stub = Operation(**attributes)
    if performer_count is not None:
        stub.performer_count = performer_count
    finding = rule.check(stub, on)
    return finding.reason if finding else ""


# --- The reason of each rule, as a SQL expression over Operation ----------------
#
# Where the reason depends on a handful of facts (days left before the stall,
# how many performers below the minimum), each case is worded by the rule's
# own check() on a stand-in operation and the SQL only picks the case. Where it
# depends on an unbounded number (days stalled, money), the rule's message is
# assembled in SQL.


def _stalled_reason(on):
    days = LocalDaysSince("phase_entered_at", on)
    return _format_sql(
        _("in launch for %(days)d days, %(overdue)d past the %(limit)d-day limit"),
        days=days,
        overdue=days - Value(settings.OPS_STALL_DAYS),
        limit=settings.OPS_STALL_DAYS,
    )


def _due_soon_reason(on):
    noon = dt.time(12)
    texts = {
        days: _stub_reason(
            rules.DUE_SOON,
            on,
            phase=Phase.LAUNCH,
            phase_entered_at=timezone.make_aware(
                dt.datetime.combine(on - dt.timedelta(days=days), noon)
            ),
        )
        for days in range(settings.OPS_STALL_WARN_DAYS, settings.OPS_STALL_DAYS + 1)
    }
    return Switch(LocalDaysSince("phase_entered_at", on), texts)


def _unjustified_reason(on):
    days = LocalDaysSince(Coalesce("purpose_reviewed_at", "created_at"), on)
    review_overdue = Q(GreaterThan(days, settings.OPS_PURPOSE_REVIEW_DAYS))
    return _joined_sql(
        "; ",
        [
            (Q(Exact(Trim("purpose"), "")), Value(_("no purpose written"))),
            (
                Q(monthly_value__lt=F("monthly_cost")),
                _format_sql(
                    _("value %(value)s < cost %(cost)s"),
                    value=_money_sql(F("monthly_value")),
                    cost=_money_sql(F("monthly_cost")),
                ),
            ),
            (
                review_overdue & Q(purpose_reviewed_at__isnull=True),
                _format_sql(_("purpose never reviewed in %(days)d days"), days=days),
            ),
            (
                review_overdue & Q(purpose_reviewed_at__isnull=False),
                _format_sql(_("purpose last reviewed %(days)d days ago"), days=days),
            ),
        ],
    )


def _person_dependent_reason(on):
    """Needs ``performer_count``, which PersonDependent.filter() annotates."""
    minimum = settings.OPS_MIN_PERFORMERS
    # One number per case: performers (capped at the minimum) times two, plus
    # one without a runbook.
    key = Least(F("performer_count"), Value(minimum)) * Value(2) + Case(
        When(runbook_url="", then=Value(1)), default=Value(0), output_field=IntegerField()
    )
    texts = {
        count * 2 + (not runbook): _stub_reason(
            rules.PERSON_DEPENDENT,
            on,
            phase=Phase.STANDARDIZE,
            runbook_url=runbook,
            performer_count=count,
        )
        for count in range(minimum + 1)
        for runbook in ("", "https://runbook.example")
    }
    return Switch(key, texts)


REASONS = {
    FlagKind.STALLED: _stalled_reason,
    FlagKind.DUE_SOON: _due_soon_reason,
    FlagKind.UNJUSTIFIED: _unjustified_reason,
    FlagKind.PERSON_DEPENDENT: _person_dependent_reason,
}


def reason_sql(rule, on):
    """The SQL expression that words the rule's reason for an operation row.

    A rule may carry its own ``reason_sql(on)``; the ones above are the default.
    The text is in the active language, as ``check()``'s would be: in a worker
    or a management command, settings.LANGUAGE_CODE.
    """
    build = getattr(rule, "reason_sql", None) or REASONS[rule.kind]
    return Coalesce(Left(build(on), DETAIL_MAX_LENGTH), Value(""))


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
                _scan(ids, as_of, result, reword=ids is not None or first_of_day)
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
        "maturity scan %s: %s operations, %s opened, %s resolved, %s reasons updated",
        run.pk,
        result.operation_count,
        result.opened,
        result.resolved,
        result.refreshed,
    )
    return result


def _first_full_run_of_day(as_of):
    """Whether no full scan has succeeded yet on this local day.

    Reasons count days, so they change once a day; anything else in them (cost,
    value, performers, runbook) changes through the app, which rescans the
    operation at once. The hourly scans after the first of the day only open and
    resolve, and leave the wording alone: at 100,000 operations, rewording every
    open flag is most of a run.
    """
    today_began = day_start(timezone.localdate(as_of))
    return not ScanRun.objects.filter(
        partial=False, status=ScanStatus.SUCCEEDED, as_of__gte=today_began
    ).exists()


def _scan(ids, as_of, result, reword=True):
    on = timezone.localdate(as_of)
    operations = Operation.objects.all()
    open_flags = Flag.objects.filter(resolved_at__isnull=True)
    if ids is not None:
        operations = operations.filter(pk__in=ids)
        open_flags = open_flags.filter(operation_id__in=ids)
    for rule in rules.ALL_RULES:
        refreshed = _refresh(rule, open_flags, on) if reword else 0
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
        _holding(rule, on).annotate(fresh_detail=reason_sql(rule, on)).values("fresh_detail")[:1]
    )
    # The fresh reason is NULL when the rule stopped holding since _resolve
    # (another transaction changed the operation): "detail <> NULL" is not
    # true, so that flag keeps its reason until the next run. The reason is
    # worded once per open flag here, and again only for the flags that changed.
    return (
        open_flags.filter(kind=rule.kind)
        .annotate(fresh_detail=fresh)
        .exclude(detail=F("fresh_detail"))
        .update(detail=fresh)
    )


def _open(rule, operations, on, as_of):
    """One INSERT … SELECT of a flag for each operation where the rule holds and none is open."""
    already_open = Flag.objects.filter(
        operation_id=OuterRef("pk"), kind=rule.kind, resolved_at__isnull=True
    )
    sql, params = _insert_flags_sql(rule, operations.exclude(Exists(already_open)), on, as_of)
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
    holding_sql, holding_params = _sql(rule.filter(operations, on).order_by().values("pk"))
    open_sql, open_params = _sql(
        open_flags.filter(kind=rule.kind).order_by().values("pk", "operation_id")
    )
    flags = connection.ops.quote_name(Flag._meta.db_table)
    to_open = RawSQL("SELECT operation_id FROM differ WHERE flag_id IS NULL", ())
    insert_sql, insert_params = _insert_flags_sql(
        rule, operations.filter(pk__in=to_open), on, as_of, returning=True
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


def _insert_flags_sql(rule, operations, on, as_of, returning=False):
    """INSERT … SELECT of an open flag of the rule's kind for each of ``operations``
    where the rule holds; (sql, params)."""
    candidates = (
        rule.filter(operations, on)
        .order_by()
        .annotate(
            flag_kind=Value(str(rule.kind), output_field=CharField()),
            flag_opened_at=Value(as_of, output_field=DateTimeField()),
            flag_detail=reason_sql(rule, on),
        )
        .values_list("pk", "flag_kind", "flag_opened_at", "flag_detail")
    )
    select_sql, params = _sql(candidates)
    ops = connection.ops
    columns = ", ".join(
        ops.quote_name(Flag._meta.get_field(name).column)
        for name in ("operation", "kind", "opened_at", "detail")
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


def flags_changed_by(run):
    """The flags a finished run opened and resolved (for a report, not for the scan)."""
    if run.as_of is None:
        return Flag.objects.none(), Flag.objects.none()
    flags = Flag.objects.select_related("operation").order_by("kind", "operation__name")
    return flags.filter(opened_at=run.as_of), flags.filter(resolved_at=run.as_of)
