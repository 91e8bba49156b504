"""The scan, the digests and the import, measured in a child process of their own (peak memory)."""

import copy
import datetime as dt
import json
import time
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction

from .constants import (
    BENCH_MANAGER,
    DIGEST_MANAGER_SHARE,
    DIGEST_RECIPIENTS,
    IMPORT_ROWS,
    SCAN_FIRST_RUNS,
    SCAN_SECOND_RUNS,
)
from .measure import QueryCounter, counting, max_rss_mb, summary
from .system import load_average

# --- the children: scan and digests in a process of their own ---------------------------


def run_child(job, out):
    """Entry point of ``manage.py bench --child JOB``: measure, write JSON to ``out``."""
    jobs = {"scan": child_scan, "digests": child_digests, "import": child_import}
    # Everything the job needs is imported and connected before the baseline.
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    result = jobs[job]()
    Path(out).write_text(json.dumps(result, default=str))


def rule_conditions(on):
    """The conditions of maturity/rules.py, by hand, as SQL over an operation row ``o``.

    The same thresholds and day boundaries as the rules; what the scan does
    beyond finding these rows (building the facts, comparing with the open
    flags, recording the run) is its cost over the limit.
    """
    from opsmaturity.lib.clock import day_start
    from opsmaturity.maturity.models import FlagKind
    from opsmaturity.operations.models import Operation
    from opsmaturity.operations.phases import ORDER, PAST_LAUNCH, Phase

    performers = connection.ops.quote_name(Operation.performers.through._meta.db_table)
    users = connection.ops.quote_name(
        Operation._meta.get_field("owner").related_model._meta.db_table
    )
    params = {
        "launch": str(Phase.LAUNCH),
        "working": [str(p) for p in ORDER[:-1]],
        "past_launch": [str(p) for p in PAST_LAUNCH],
        "stall": day_start(on - dt.timedelta(days=settings.OPS_STALL_DAYS)),
        "warn": day_start(on - dt.timedelta(days=settings.OPS_STALL_WARN_DAYS - 1)),
        "review": day_start(on - dt.timedelta(days=settings.OPS_PURPOSE_REVIEW_DAYS)),
        "min_performers": settings.OPS_MIN_PERFORMERS,
    }
    conditions = {
        FlagKind.STALLED: "o.phase = %(launch)s AND o.phase_entered_at < %(stall)s",
        FlagKind.DUE_SOON: (
            "o.phase = %(launch)s AND o.phase_entered_at >= %(stall)s "
            "AND o.phase_entered_at < %(warn)s"
        ),
        FlagKind.UNJUSTIFIED: (
            "o.phase = ANY(%(working)s) AND (o.monthly_value < o.monthly_cost "
            "OR o.purpose_reviewed_at < %(review)s "
            "OR (o.purpose_reviewed_at IS NULL AND o.created_at < %(review)s) "
            "OR o.purpose = '')"
        ),
        FlagKind.PERSON_DEPENDENT: (
            "o.phase = ANY(%(past_launch)s) AND (o.runbook_url = '' OR "
            f"(SELECT count(*) FROM {performers} p JOIN {users} pu ON pu.id = p.user_id "
            "WHERE p.operation_id = o.id AND pu.is_active) "
            "< %(min_performers)s)"
        ),
        FlagKind.OWNER_LEFT: (
            "o.phase = ANY(%(working)s) AND EXISTS "
            f"(SELECT 1 FROM {users} u WHERE u.id = o.owner_id AND NOT u.is_active)"
        ),
    }
    return conditions, params


def raw_select(on):
    """The limit of a run that changes nothing: find each rule's operations, one statement each."""
    conditions, params = rule_conditions(on)
    counts = {}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")  # the best a hand-written statement does here
        for kind, condition in conditions.items():
            cursor.execute(
                f"SELECT count(*) FROM operations_operation o WHERE {condition}",  # noqa: S608
                params,
            )
            counts[str(kind)] = cursor.fetchone()[0]
    return counts


def raw_insert(on, as_of):
    """The limit of a first run: insert a flag for each rule's operations, one statement each."""
    conditions, params = rule_conditions(on)
    inserted = 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        for kind, condition in conditions.items():
            cursor.execute(
                "INSERT INTO maturity_flag (operation_id, kind, opened_at, facts) "  # noqa: S608
                f"SELECT o.id, %(kind)s, %(as_of)s, '{{}}' FROM operations_operation o "
                f"WHERE {condition} ON CONFLICT DO NOTHING",
                {**params, "kind": str(kind), "as_of": as_of},
            )
            inserted += cursor.rowcount
    return inserted


def truncate_flags():
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE maturity_flag CASCADE")


def open_flags_by_kind():
    from django.db.models import Count

    from opsmaturity.maturity.models import Flag

    rows = Flag.objects.open().order_by().values_list("kind").annotate(n=Count("pk"))
    return {kind: n for kind, n in rows}


def child_scan():
    from django.utils import timezone

    from opsmaturity.maturity.scan import run_scan

    baseline = max_rss_mb()
    first, first_raw, first_queries, result = [], [], None, None
    for _ in range(SCAN_FIRST_RUNS):
        truncate_flags()
        now = timezone.now()
        started = time.perf_counter()
        raw_insert(timezone.localdate(now), now)
        first_raw.append(time.perf_counter() - started)
        truncate_flags()
        with counting() as counter:
            started = time.perf_counter()
            result = run_scan()
            first.append(time.perf_counter() - started)
        first_queries = counter.count
    after_first = max_rss_mb()
    second, second_raw, second_queries = [], [], None
    raw_counts = {}
    for _ in range(SCAN_SECOND_RUNS):
        started = time.perf_counter()
        raw_counts = raw_select(timezone.localdate())
        second_raw.append(time.perf_counter() - started)
        with counting() as counter:
            started = time.perf_counter()
            again = run_scan()
            second.append(time.perf_counter() - started)
        second_queries = counter.count
    open_flags = open_flags_by_kind()
    return {
        "first_run": summary(first, queries=first_queries, opened=result.opened),
        "raw_insert": summary(first_raw, statements=4),
        "second_run": summary(
            second,
            queries=second_queries,
            opened=again.opened,
            resolved=again.resolved,
            refreshed=again.refreshed,
        ),
        "raw_select": summary(second_raw, statements=4),
        # The hand-written conditions select exactly the flags the scan keeps open.
        "raw_counts": raw_counts,
        "open_flags": open_flags,
        "same_sets": raw_counts == open_flags,
        "rss_baseline_mb": baseline,
        "rss_peak_mb": max_rss_mb(),
        "rss_growth_mb": round(max_rss_mb() - baseline, 1),
        "rss_growth_first_run_mb": round(after_first - baseline, 1),
        "load": load_average(),
    }


def digest_recipients():
    """1,000 recipients, 10 % of them managers, cycling through the people there are."""
    from itertools import cycle, islice

    from django.contrib.auth import get_user_model

    from opsmaturity.teams.models import Membership, Role

    managers = set(
        Membership.objects.filter(role=Role.MANAGER).values_list("user_id", flat=True).distinct()
    )
    people = list(
        get_user_model()
        .objects.filter(is_active=True)
        .exclude(email="")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    manager_ids = [pk for pk in people if pk in managers]
    others = [pk for pk in people if pk not in managers]
    wanted_managers = int(DIGEST_RECIPIENTS * DIGEST_MANAGER_SHARE)
    ids = list(islice(cycle(manager_ids), wanted_managers))
    ids += list(islice(cycle(others), DIGEST_RECIPIENTS - wanted_managers))
    return ids, len(set(ids))


def fresh(user):
    """A copy of a user with nothing cached on it, as a dispatcher would load it."""
    clone = copy.copy(user)
    clone._state = copy.copy(user._state)
    clone._state.fields_cache = {}
    clone.__dict__.pop("_prefetched_objects_cache", None)
    return clone


class DigestStats:
    """Time and queries of each recipient's digest."""

    def __init__(self, what):
        self.what = what
        self.times, self.queries = [], {}

    def add(self, seconds, queries):
        self.times.append(seconds)
        self.queries[queries] = self.queries.get(queries, 0) + 1

    def as_dict(self):
        if not self.times:
            return None
        counts = sorted(self.queries)
        total = sum(n * k for k, n in self.queries.items())
        return {
            "what": self.what,
            "seconds": round(sum(self.times), 2),
            **summary(self.times),
            "queries_total": total,
            "queries_per_recipient": {str(k): self.queries[k] for k in counts},
            "queries_per_recipient_min": counts[0],
            "queries_per_recipient_max": counts[-1],
            "queries_per_recipient_mean": round(total / len(self.times), 2),
        }


def child_digests():
    """Build (and, where the sending module is there, render) 1,000 recipients' digests.

    When ``sending.render_digest`` exists, one pass renders each digest and the
    ``build_digest`` it calls is timed inside it; otherwise only building is timed.
    """
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    try:
        from opsmaturity.digests.building import build_digest
    except ImportError:
        return {"pending": "opsmaturity.digests.building.build_digest does not exist yet"}
    try:
        from opsmaturity.digests import sending
        from opsmaturity.digests.models import DigestSubscription
    except ImportError:
        sending = None

    ids, distinct = digest_recipients()
    users = get_user_model().objects.in_bulk(set(ids))
    now = timezone.now()
    period = timezone.localdate(now)
    build = DigestStats("build_digest(user, period)")
    render = DigestStats("render_digest(user, subscription): built and rendered, not sent")
    counter = QueryCounter()

    def timed_build(*args, **kwargs):
        queries, started = counter.count, time.perf_counter()
        try:
            return build_digest(*args, **kwargs)
        finally:
            build.add(time.perf_counter() - started, counter.count - queries)

    renders = sending is not None and getattr(sending, "build_digest", None) is build_digest
    if renders:
        sending.build_digest = timed_build  # this child process only

        def one(user):
            sending.render_digest(user, DigestSubscription.for_user(user), now=now)

    else:

        def one(user):
            timed_build(user, period, now)

    one(fresh(users[ids[0]]))  # warm-up: templates compiled
    build.times, build.queries = [], {}
    baseline = max_rss_mb()
    with connection.execute_wrapper(counter):
        for pk in ids:
            user = fresh(users[pk])
            queries, started = counter.count, time.perf_counter()
            one(user)
            if renders:
                render.add(time.perf_counter() - started, counter.count - queries)
    return {
        "recipients": len(ids),
        "distinct_people": distinct,
        "managers": int(DIGEST_RECIPIENTS * DIGEST_MANAGER_SHARE),
        "build": build.as_dict(),
        "render": render.as_dict(),
        "rss_baseline_mb": baseline,
        "rss_peak_mb": max_rss_mb(),
        "rss_growth_mb": round(max_rss_mb() - baseline, 1),
        "load": load_average(),
    }


# --- the import: a spreadsheet of IMPORT_ROWS rows, previewed, imported, previewed again ---


def import_file_bytes(manager):
    """A CSV of IMPORT_ROWS new operations in the manager's first team, as a pilot brings it."""
    from opsmaturity.teams.models import Membership, Role
    from opsmaturity.transfer import export
    from opsmaturity.transfer.columns import COLUMNS

    team_id = (
        Membership.objects.filter(user=manager, role=Role.MANAGER)
        .order_by("team__name")
        .values_list("team_id", flat=True)
        .first()
    )
    members = list(
        Membership.objects.filter(team_id=team_id, user__is_active=True)
        .exclude(user=manager)
        .order_by("user__username")
        .values_list("user__username", "team__name")[:3]
    )
    team = members[0][1]
    owner = members[0][0]
    performers = ", ".join(username for username, _team in members[:2])
    phases = ["launch", "standardize", "automate", "cost_optimize"]

    def rows():
        for i in range(IMPORT_ROWS):
            cells = {
                "name": f"Imported operation {i:05d}",
                "team": team,
                "owner": owner,
                "purpose": "Brought in from the team's spreadsheet.",
                "phase": phases[i % len(phases)],
                "phase_since": "2025-03-01",
                "launched_on": "2025/01/10",
                "performers": performers,
                "runbook_url": f"https://wiki.example.com/ops/{i}",
                "monthly_volume": "1,200",
                "monthly_cost": "12,000",
                "monthly_value": "30,000",
            }
            yield [cells.get(column.key, "") for column in COLUMNS]

    return "".join(export.csv_chunks(rows())).encode("utf-8")


def child_import():
    from django.contrib.auth import get_user_model

    from opsmaturity.transfer import importing

    manager = get_user_model().objects.get(username=BENCH_MANAGER)
    data = import_file_bytes(manager)
    baseline = max_rss_mb()
    result = {"rows": IMPORT_ROWS, "bytes": len(data)}
    with counting() as counter:
        started = time.perf_counter()
        record = importing.store_upload(manager, "bench.csv", data)
        plan = importing.preview(record, manager)
        result["preview"] = {
            "seconds": round(time.perf_counter() - started, 2),
            "queries": counter.count,
            "counts": plan.counts,
            "errors": plan.errors[:5],
        }
    with counting() as counter:
        started = time.perf_counter()
        importing.run_import(record, manager, fingerprint=plan.fingerprint())
        result["import"] = {
            "seconds": round(time.perf_counter() - started, 2),
            "queries": counter.count,
        }
    with counting() as counter:
        started = time.perf_counter()
        again = importing.store_upload(manager, "bench.csv", data)
        plan = importing.preview(again, manager)
        result["again"] = {
            "seconds": round(time.perf_counter() - started, 2),
            "queries": counter.count,
            "counts": plan.counts,
        }
    result["rss_baseline_mb"] = baseline
    result["rss_peak_mb"] = max_rss_mb()
    result["rss_growth_mb"] = round(max_rss_mb() - baseline, 1)
    result["load"] = load_average()
    return result
