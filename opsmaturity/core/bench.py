"""``make bench``: what every page and job costs as operations grow, on PostgreSQL.

For each size (1,000, 10,000 and 100,000 operations) the bench starts from an
empty database of its own (``DATABASE_URL`` must name a database whose name
starts with ``opsbench``: it is dropped and recreated), migrates, times
``seed_demo --ops N --teams T`` and then measures, with a query count and the
median of several runs:

- a trivial view (``/healthz``) and the dashboard, as the manager of five teams
  and as staff; the operations list, filtered, first and last page; one
  operation's page (Django's test client with ``force_login``: server time,
  no network);
- the maturity scan, first run (no flag open) and second run (nothing
  changed), each beside its limit: the conditions of ``maturity/rules.py``
  written by hand as one raw SQL statement per rule, timed in the same process
  in alternation with the scan; the daily snapshot; the digests built for
  1,000 recipients. The scan and the digests run in a child process whose peak
  memory (``ru_maxrss``) is reported as growth over the child's baseline;
- throughput: gunicorn with two workers on loopback, ``wrk`` against the
  dashboard (a logged-in manager's session cookie) and ``/healthz``.

Every size is reseeded from an empty database rather than topped up, so that
``seed_demo`` is timed for exactly N operations and each size has the same
shape (teams of even average size, twelve weeks of snapshots). After the seed,
``VACUUM ANALYZE`` brings the database to the steady state autovacuum would
reach, so that a background vacuum does not land in the middle of a timing.

Results go to ``var/bench/results.json`` and ``var/bench/results.md``. The
load average is recorded beside every size: the machine may be shared.
"""

import copy
import datetime as dt
import json
import os
import platform
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import django
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

SIZES = ((1_000, 20), (10_000, 60), (100_000, 200))
MANAGED_TEAMS = 5
DIGEST_RECIPIENTS = 1_000
DIGEST_MANAGER_SHARE = 0.1  # the same mix at every size: 100 managers, 900 others
BENCH_MANAGER = "bench.manager"
DB_PREFIX = "opsbench"

VIEW_RUNS = 7
SCAN_FIRST_RUNS = 3
SCAN_SECOND_RUNS = 5
SNAPSHOT_RUNS = 5

SEED_TIMEOUT = 240
CHILD_TIMEOUT = 420
SETTLE_SECONDS = 30  # at most, waiting for the load average to come down before a size


class Bench:
    def __init__(self, out, sizes=SIZES, load_seconds=10, settle_seconds=SETTLE_SECONDS):
        self.out = out
        self.sizes = sizes
        self.load_seconds = load_seconds
        self.settle_seconds = settle_seconds
        self.base_dir = Path(settings.BASE_DIR)
        self.results_dir = self.base_dir / "var" / "bench"
        self.db = settings.DATABASES["default"]
        self.started = time.monotonic()

    def say(self, message):
        elapsed = time.monotonic() - self.started
        self.out.write(f"[{elapsed:6.1f}s] {message}")
        self.out.flush()

    # --- the whole run ---------------------------------------------------------------

    def run(self):
        check_database(self.db)
        self.results_dir.mkdir(parents=True, exist_ok=True)
        machine = machine_info()
        self.say(
            f"{machine['nproc']} CPUs, {machine['memory_gb']} GB, "
            f"PostgreSQL {machine['postgresql']}, load {machine['load_at_start']}"
        )
        results = {"machine": machine, "sizes": [], "config": self.config()}
        self.collect_static()
        try:
            for ops, teams in self.sizes:
                results["sizes"].append(self.measure_size(ops, teams))
                self.write(results)
        finally:
            self.say("dropping the bench database")
            drop_database(self.db)
        results["machine"]["load_at_end"] = load_average()
        results["machine"]["bench_seconds"] = round(time.monotonic() - self.started, 1)
        results["targets"] = targets(results)
        self.write(results)
        self.say(f"results in {self.results_dir / 'results.md'}")
        return results

    def config(self):
        return {
            "sizes": [{"operations": ops, "teams": teams} for ops, teams in self.sizes],
            "managed_teams": MANAGED_TEAMS,
            "digest_recipients": DIGEST_RECIPIENTS,
            "view_runs": VIEW_RUNS,
            "scan_first_runs": SCAN_FIRST_RUNS,
            "scan_second_runs": SCAN_SECOND_RUNS,
            "snapshot_runs": SNAPSHOT_RUNS,
            "load_seconds": self.load_seconds,
            "conn_max_age": self.db.get("CONN_MAX_AGE", 0),
            "debug": settings.DEBUG,
        }

    def write(self, results):
        path = self.results_dir / "results.json"
        path.write_text(json.dumps(results, indent=2, default=str) + "\n")
        (self.results_dir / "results.md").write_text(markdown(results))

    def collect_static(self):
        """The pages use {% static %}: with DEBUG off that needs the manifest."""
        if not settings.DEBUG:
            self.say(f"collectstatic into {settings.STATIC_ROOT}")
            call_command("collectstatic", interactive=False, verbosity=0)

    # --- one size ----------------------------------------------------------------------

    def measure_size(self, ops, teams):
        self.settle()
        size = {"operations": ops, "teams": teams, "load_before": load_average()}
        self.say(f"--- {ops:,} operations over {teams} teams: fresh database")
        recreate_database(self.db)
        call_command("migrate", interactive=False, verbosity=0)
        size["seed"] = self.seed(ops, teams)
        self.say(
            f"seed_demo: {size['seed']['seconds']:.1f} s "
            f"(generation {size['seed'].get('generation_seconds')} s)"
        )
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        fixture = prepare_fixture()
        size["fixture"] = {k: v for k, v in fixture.items() if k != "users"}
        size["requests"] = self.measure_requests(fixture)
        size["scan"] = scan = self.child("scan")
        self.say(
            f"scan: first {_get(scan, 'first_run', 'median_ms')} ms "
            f"(raw {_get(scan, 'raw_insert', 'median_ms')} ms), "
            f"second {_get(scan, 'second_run', 'median_ms')} ms "
            f"(raw {_get(scan, 'raw_select', 'median_ms')} ms)"
        )
        size["snapshot"] = measure_snapshot()
        size["digests"] = digests = self.child("digests")
        self.say(
            f"digests for {digests.get('recipients')} recipients: "
            f"built in {_get(digests, 'build', 'seconds')} s, "
            f"rendered in {_get(digests, 'render', 'seconds')} s, "
            f"{_get(digests, 'build', 'queries_per_recipient_max')} queries at most each "
            + (digests.get("pending") or "")
        )
        size["load"] = self.load_test(fixture)
        if (ops, teams) == self.sizes[-1]:
            # The same with persistent database connections (the default opens one per request).
            size["load_persistent"] = self.load_test(fixture, {"DATABASE_CONN_MAX_AGE": "60"})
        size["load_after"] = load_average()
        self.say(f"load average {size['load_before']} → {size['load_after']}")
        return size

    def settle(self):
        """Wait (a bounded time) for other work on the machine to calm down."""
        limit = max((os.cpu_count() or 1) * 0.6, 1.0)
        deadline = time.monotonic() + self.settle_seconds
        while os.getloadavg()[0] > limit and time.monotonic() < deadline:
            time.sleep(3)

    def seed(self, ops, teams):
        command = [
            sys.executable,
            "manage.py",
            "seed_demo",
            "--ops",
            str(ops),
            "--teams",
            str(teams),
        ]
        started = time.monotonic()
        done = subprocess.run(
            command,
            cwd=self.base_dir,
            capture_output=True,
            text=True,
            timeout=SEED_TIMEOUT,
            check=False,
        )
        seconds = time.monotonic() - started
        if done.returncode:
            raise CommandError(f"seed_demo failed:\n{done.stdout}\n{done.stderr}")
        generated = re.search(r"in ([\d.]+) s\.", done.stdout)
        result = {
            "command": " ".join(command[1:]),
            "seconds": round(seconds, 2),
            "generation_seconds": float(generated.group(1)) if generated else None,
            "output": done.stdout.strip().splitlines(),
        }
        with connection.cursor() as cursor:
            for name, table in (
                ("operations", "operations_operation"),
                ("transitions", "operations_phasetransition"),
                ("users", "auth_user"),
                ("teams", "teams_team"),
                ("open_flags", "maturity_flag"),
                ("snapshots", "maturity_snapshot"),
            ):
                cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
                result[name] = cursor.fetchone()[0]
        return result

    def child(self, job):
        """Run a job in a fresh process (for its peak memory); its JSON comes back in a file."""
        path = self.results_dir / f"child-{job}.json"
        path.unlink(missing_ok=True)
        command = [sys.executable, "manage.py", "bench", "--child", job, "--child-out", str(path)]
        done = subprocess.run(
            command,
            cwd=self.base_dir,
            capture_output=True,
            text=True,
            timeout=CHILD_TIMEOUT,
            check=False,
        )
        if done.returncode or not path.exists():
            self.say(f"{job} failed:\n{done.stdout}\n{done.stderr}")
            return {"error": (done.stderr or done.stdout).strip()[-2000:]}
        result = json.loads(path.read_text())
        path.unlink()
        return result

    # --- pages ---------------------------------------------------------------------------

    def measure_requests(self, fixture):
        from django.contrib.auth import get_user_model
        from django.test import Client

        users = get_user_model().objects.in_bulk(
            [fixture["manager_id"], fixture["staff_id"], fixture["small_manager_id"]]
        )
        manager, staff, small_manager = Client(), Client(), Client()
        manager.force_login(users[fixture["manager_id"]])
        staff.force_login(users[fixture["staff_id"]])
        small_manager.force_login(users[fixture["small_manager_id"]])
        anonymous = Client()
        rows = {}
        for key, client, url in (
            ("healthz", anonymous, "/healthz"),
            ("dashboard_manager", manager, "/dashboard/"),
            ("dashboard_staff", staff, "/dashboard/"),
            ("dashboard_small_manager", small_manager, "/dashboard/"),
            ("list_mine_small_manager", small_manager, "/ops/?scope=mine"),
            ("list_first", staff, fixture["list_url"]),
            ("list_last", staff, f"{fixture['list_url']}&page={fixture['list_last_page']}"),
            ("operation", manager, f"/ops/{fixture['operation_id']}/"),
        ):
            rows[key] = measure_request(client, url)
            self.say(
                f"{key}: {rows[key]['median_ms']:.1f} ms, {rows[key]['queries']} queries ({url})"
            )
        return rows

    # --- throughput ----------------------------------------------------------------------

    def load_test(self, fixture, env=None):
        from django.contrib.auth import get_user_model
        from django.test import Client

        wrk = which("wrk")
        gunicorn = Path(sys.executable).with_name("gunicorn")
        if not wrk or not gunicorn.exists():
            return {"error": "wrk or gunicorn not installed"}
        client = Client()
        client.force_login(get_user_model().objects.get(pk=fixture["manager_id"]))
        cookie = (
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = open(self.results_dir / "gunicorn.log", "w")  # noqa: SIM115 - closed below
        server = subprocess.Popen(
            [
                str(gunicorn),
                "opsmaturity.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--no-control-socket",
                "--log-level",
                "warning",
            ],
            cwd=self.base_dir,
            env={**os.environ, **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        result = {"workers": 2, "pid": server.pid, "env": env or {}}
        try:
            wait_until_up(f"{base}/healthz", server)
            status = http_status(f"{base}/dashboard/", cookie)
            if status != 200:
                raise CommandError(f"the dashboard answered {status} to the bench's session")
            for key, url, headers in (
                ("dashboard", f"{base}/dashboard/", ["-H", f"Cookie: {cookie}"]),
                ("healthz", f"{base}/healthz", []),
            ):
                result[key] = run_wrk(wrk, url, headers, self.load_seconds)
                self.say(
                    f"wrk {key}: {result[key].get('requests_per_second')} req/s, "
                    f"p50 {result[key].get('latency_ms', {}).get('p50')} ms"
                )
        except Exception as exc:  # a failed load test is reported, the rest is kept
            result["error"] = f"{type(exc).__name__}: {exc}"
            self.say(f"load test failed: {result['error']}")
        finally:
            stop_process(server)
            log.close()
        return result


# --- measuring ----------------------------------------------------------------------------


class QueryCounter:
    """Counts the queries run on the default connection (no SQL is kept)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


@contextmanager
def counting():
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        yield counter


def summary(times, **extra):
    """Median and spread of timings given in seconds, in milliseconds."""
    ms = [t * 1000 for t in times]
    return {
        "median_ms": round(statistics.median(ms), 2),
        "min_ms": round(min(ms), 2),
        "max_ms": round(max(ms), 2),
        "runs": len(ms),
        **extra,
    }


def measure_request(client, url, runs=VIEW_RUNS):
    response = client.get(url)  # warm-up: templates compiled, caches filled
    if response.status_code != 200:
        raise CommandError(f"{url} answered {response.status_code}")
    with counting() as counter:
        response = client.get(url)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
    return summary(
        times, queries=counter.count, url=url, bytes=len(response.content), load=load_average()
    )


def measure_snapshot():
    from opsmaturity.maturity.snapshots import take_snapshot

    take_snapshot()
    with counting() as counter:
        result = take_snapshot()
    times = []
    for _ in range(SNAPSHOT_RUNS):
        started = time.perf_counter()
        take_snapshot()
        times.append(time.perf_counter() - started)
    return summary(times, queries=counter.count, rows=result.rows, load=load_average())


def max_rss_mb():
    # ru_maxrss is in kilobytes on Linux
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# --- the fixture: who looks, at what ---------------------------------------------------


def prepare_fixture():
    """A manager of five generated teams, the staff login, an operation, a list filter."""
    from django.contrib.auth import get_user_model
    from django.db.models import Exists, OuterRef

    from opsmaturity.maturity.models import Flag
    from opsmaturity.operations.lists import PAGE_SIZE
    from opsmaturity.operations.models import Operation, PurposeReview
    from opsmaturity.operations.phases import Phase
    from opsmaturity.teams.models import Membership, Role, Team

    user_model = get_user_model()
    manager, _created = user_model.objects.get_or_create(
        username=BENCH_MANAGER,
        defaults={"first_name": "Bench", "last_name": "Manager", "email": "bench@example.com"},
    )
    teams = list(Team.objects.filter(name__startswith="Team ").order_by("name")[:MANAGED_TEAMS])
    Membership.objects.bulk_create(
        [Membership(user=manager, team=team, role=Role.MANAGER) for team in teams],
        ignore_conflicts=True,
    )
    staff = user_model.objects.filter(is_staff=True).order_by("pk").first()
    # The demo's manager: four small hand-written teams, the same at every size.
    small_manager = user_model.objects.get(username="manager")
    # An operation of the manager's first team with the same shape at every size
    # (an open flag, performers, a purpose review by someone), so that its page
    # runs the same prefetches.
    shaped = (
        Operation.objects.filter(team=teams[0])
        .exclude(phase=Phase.LAUNCH)
        .filter(
            Exists(Flag.objects.open().filter(operation=OuterRef("pk"))),
            Exists(Operation.performers.through.objects.filter(operation=OuterRef("pk"))),
            Exists(PurposeReview.objects.filter(operation=OuterRef("pk"), by__isnull=False)),
        )
        .order_by("pk")
    )
    operation = shaped.first() or Operation.objects.filter(team=teams[0]).order_by("pk").first()
    list_phase = Phase.STANDARDIZE
    listed = Operation.objects.filter(phase=list_phase).count()
    scoped = Operation.objects.filter(team__in=teams).count()
    return {
        "manager_id": manager.pk,
        "manager_teams": [t.name for t in teams],
        "manager_operations": scoped,
        "staff_id": staff.pk,
        "small_manager_id": small_manager.pk,
        "small_manager_operations": Operation.objects.filter(
            team__memberships__user=small_manager, team__memberships__role=Role.MANAGER
        ).count(),
        "operation_id": operation.pk,
        "list_url": f"/ops/?scope=all&phase={list_phase}&sort=name",
        "list_rows": listed,
        "list_last_page": max((listed + PAGE_SIZE - 1) // PAGE_SIZE, 1),
    }


# --- the children: scan and digests in a process of their own ---------------------------


def run_child(job, out):
    """Entry point of ``manage.py bench --child JOB``: measure, write JSON to ``out``."""
    jobs = {"scan": child_scan, "digests": child_digests}
    # Everything the job needs is imported and connected before the baseline.
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    result = jobs[job]()
    Path(out).write_text(json.dumps(result, default=str))


def rule_conditions(on):
    """The conditions of maturity/rules.py, by hand, as SQL over an operation row ``o``.

    The same thresholds and day boundaries as the rules; what the scan does
    beyond finding these rows (wording the reasons, comparing with the open
    flags, recording the run) is its cost over the limit.
    """
    from opsmaturity.lib.clock import day_start
    from opsmaturity.maturity.models import FlagKind
    from opsmaturity.operations.models import Operation
    from opsmaturity.operations.phases import ORDER, PAST_LAUNCH, Phase

    performers = connection.ops.quote_name(Operation.performers.through._meta.db_table)
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
            f"(SELECT count(*) FROM {performers} p WHERE p.operation_id = o.id) "
            "< %(min_performers)s)"
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
                "INSERT INTO maturity_flag (operation_id, kind, opened_at, detail) "  # noqa: S608
                f"SELECT o.id, %(kind)s, %(as_of)s, '' FROM operations_operation o "
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


# --- the database -------------------------------------------------------------------------


def check_database(db):
    if db["ENGINE"] != "django.db.backends.postgresql":
        raise CommandError("The bench runs on PostgreSQL: set DATABASE_URL (see `make bench`).")
    if not str(db["NAME"]).startswith(DB_PREFIX):
        raise CommandError(
            f"The bench drops and recreates its database: DATABASE_URL must name one whose "
            f"name starts with “{DB_PREFIX}”, not “{db['NAME']}”."
        )


@contextmanager
def maintenance_cursor(db):
    """A cursor on the server's ``postgres`` database, outside any transaction."""
    import psycopg

    connection.close()
    conninfo = {
        "dbname": "postgres",
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
    }
    with psycopg.connect(**{k: v for k, v in conninfo.items() if v}, autocommit=True) as conn:
        with conn.cursor() as cursor:
            yield cursor


def recreate_database(db):
    check_database(db)
    name = connection.ops.quote_name(db["NAME"])
    with maintenance_cursor(db) as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {name}")


def drop_database(db):
    check_database(db)
    with maintenance_cursor(db) as cursor:
        cursor.execute(
            f"DROP DATABASE IF EXISTS {connection.ops.quote_name(db['NAME'])} WITH (FORCE)"
        )


# --- the machine, processes, wrk ------------------------------------------------------


def load_average():
    return [round(x, 2) for x in os.getloadavg()]


def machine_info():
    memory_kb = 0
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    cpu = ""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            cpu = next(
                (
                    line.split(":", 1)[1].strip()
                    for line in cpuinfo
                    if line.startswith("model name")
                ),
                "",
            )
    except OSError:
        pass
    with maintenance_cursor(settings.DATABASES["default"]) as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
        cursor.execute("SHOW jit")
        jit = cursor.fetchone()[0]
        cursor.execute("SHOW shared_buffers")
        shared_buffers = cursor.fetchone()[0]
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "postgresql": pg.split()[0],
        "postgresql_jit": jit,
        "postgresql_shared_buffers": shared_buffers,
        "python": platform.python_version(),
        "django": django.get_version(),
        "os": platform.platform(),
        "load_at_start": load_average(),
    }


def which(name):
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        candidate = Path(folder) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_status(url, cookie=None):
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def wait_until_up(url, process, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CommandError("gunicorn stopped at start (see var/bench/gunicorn.log)")
        try:
            if http_status(url) == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise CommandError(f"gunicorn did not answer {url} within {timeout} s")


def stop_process(process, timeout=15):
    """Stop a child we started, by its pid: TERM, then KILL if it does not go."""
    if process.poll() is not None:
        return
    os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def run_wrk(wrk, url, headers, seconds, connections=4, threads=2):
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "--latency",
        *headers,
        url,
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 30, check=False
    )
    return parse_wrk(done.stdout) | {"connections": connections, "threads": threads}


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text):
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return round(float(number) * _UNITS[unit], 2)


def parse_wrk(output):
    result = {"latency_ms": {}}
    for percent, value in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", output, re.M):
        result["latency_ms"][f"p{percent}"] = _ms(value)
    if match := re.search(r"Requests/sec:\s+([\d.]+)", output):
        result["requests_per_second"] = round(float(match.group(1)), 1)
    if match := re.search(r"(\d+) requests in", output):
        result["requests"] = int(match.group(1))
    match = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result["errors"] = int(match.group(1)) if match else 0
    if match := re.search(r"Socket errors: (.*)", output):
        result["socket_errors"] = match.group(1)
    if "requests_per_second" not in result:
        result["raw"] = output[-1000:]
    return result


# --- the targets and the report -----------------------------------------------------------

REQUEST_ROWS = (
    ("healthz", "`/healthz` (trivial view: the limit beside the pages)"),
    ("dashboard_manager", "dashboard, manager of 5 teams"),
    ("dashboard_staff", "dashboard, staff (all teams)"),
    ("dashboard_small_manager", "dashboard, the demo's manager (4 small teams)"),
    ("list_mine_small_manager", 'operations list, "mine", the demo\'s manager'),
    ("list_first", "operations list, all teams, phase filter, page 1"),
    ("list_last", "operations list, same filter, last page"),
    ("operation", "one operation's page"),
)


def _get(data, *keys):
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def rows(results):
    """(label, [(queries, median ms) per size], extra) for every measure, in table order."""
    sizes = results["sizes"]
    table = []

    def add(label, path, queries_path=None, memory_path=None, note=""):
        cells = []
        for size in sizes:
            median = _get(size, *path)
            queries = _get(size, *queries_path) if queries_path else None
            memory = None
            if memory_path:
                growth = _get(size, *memory_path)
                peak = _get(size, memory_path[0], "rss_peak_mb")
                memory = None if growth is None else f"+{_fmt(growth)} (peak {_fmt(peak)})"
            cells.append((queries, median, memory))
        table.append((label, cells, note))

    add("`seed_demo --ops N --teams T` (s, whole command)", ("seed", "seconds"))
    for key, label in REQUEST_ROWS:
        add(label, ("requests", key, "median_ms"), ("requests", key, "queries"))
    add(
        "scan, first run (no flag open)",
        ("scan", "first_run", "median_ms"),
        ("scan", "first_run", "queries"),
        ("scan", "rss_growth_first_run_mb"),
    )
    add("↳ limit: raw INSERT … SELECT, one per rule", ("scan", "raw_insert", "median_ms"))
    add(
        "scan, second run (nothing changed)",
        ("scan", "second_run", "median_ms"),
        ("scan", "second_run", "queries"),
        ("scan", "rss_growth_mb"),
    )
    add("↳ limit: raw SELECT, one per rule", ("scan", "raw_select", "median_ms"))
    add("daily snapshot", ("snapshot", "median_ms"), ("snapshot", "queries"))
    add(
        "digests built for 1,000 recipients (s)",
        ("digests", "build", "seconds"),
        ("digests", "build", "queries_per_recipient_max"),
        ("digests", "rss_growth_mb"),
        "queries: per recipient, at most",
    )
    add(
        "↳ and rendered (3 templates each), not sent (s)",
        ("digests", "render", "seconds"),
        ("digests", "render", "queries_per_recipient_max"),
        None,
        "queries: per recipient, at most",
    )
    return table


def _fmt(value, digits=1):
    if value is None:
        return "–"
    if isinstance(value, float):
        if value >= 100:
            return f"{value:,.0f}"
        return f"{value:.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def targets(results):
    sizes = results["sizes"]
    if len(sizes) < 2:
        return []
    small, large = sizes[0], sizes[-1]
    found = []

    def target(name, met, detail):
        found.append({"target": name, "met": bool(met) if met is not None else None, **detail})

    # 1. query counts the same at every size
    varying = []
    for label, cells, _note in rows(results):
        counts = {q for q, _m, _r in cells if q is not None}
        if len(counts) > 1:
            varying.append(f"{label}: {sorted(counts)}")
    target("query counts the same at every size", not varying, {"varying": varying})

    # 2. dashboard at 100k at most 3× its time at 1k
    for key in ("dashboard_manager", "dashboard_small_manager", "dashboard_staff"):
        a = _get(small, "requests", key, "median_ms")
        b = _get(large, "requests", key, "median_ms")
        ratio = round(b / a, 2) if a and b else None
        target(
            f"{key.replace('_', ' ')}: {large['operations']:,} ≤ 3 × {small['operations']:,}",
            ratio is not None and ratio <= 3,
            {"small_ms": a, "large_ms": b, "ratio": ratio},
        )

    # 3. the scan within 2× its raw SQL
    for run, raw in (("first_run", "raw_insert"), ("second_run", "raw_select")):
        a = _get(large, "scan", run, "median_ms")
        b = _get(large, "scan", raw, "median_ms")
        ratio = round(a / b, 2) if a and b else None
        target(
            f"scan {run.replace('_', ' ')} at {large['operations']:,} ≤ 2 × raw SQL",
            ratio is not None and ratio <= 2,
            {"scan_ms": a, "raw_ms": b, "ratio": ratio},
        )
    target(
        "the raw conditions select the same operations as the scan's flags",
        all(_get(s, "scan", "same_sets") for s in sizes),
        {},
    )

    # 4. seed_demo of the largest size within 60 s
    seconds = _get(large, "seed", "seconds")
    target(
        f"seed_demo of {large['operations']:,} within 60 s",
        seconds is not None and seconds <= 60,
        {"seconds": seconds, "generation_seconds": _get(large, "seed", "generation_seconds")},
    )

    # 5. digest queries per recipient constant
    for part in ("build", "render"):
        per_size = [_get(s, "digests", part, "queries_per_recipient") for s in sizes]
        if any(p is None for p in per_size):
            target(f"digest ({part}) queries per recipient constant", None, {"pending": True})
            continue
        maxima = [_get(s, "digests", part, "queries_per_recipient_max") for s in sizes]
        target(
            f"digest ({part}) queries per recipient constant",
            len(set(maxima)) == 1,
            {"max_per_size": maxima, "histogram_per_size": per_size},
        )

    # 6. memory of the scan and the digests nearly flat (within 20 MB of the small size)
    for label, path in (
        ("scan", ("scan", "rss_growth_mb")),
        ("digests", ("digests", "rss_growth_mb")),
    ):
        a, b = _get(small, *path), _get(large, *path)
        target(
            f"{label}: peak memory nearly flat (growth at {large['operations']:,} "
            f"within 20 MB of {small['operations']:,})",
            a is not None and b is not None and b - a <= 20,
            {"small_mb": a, "large_mb": b},
        )
    return found


def markdown(results):
    machine = results["machine"]
    sizes = results["sizes"]
    lines = [
        "# Ops Maturity benchmark",
        "",
        f"{machine['date']}: {machine['nproc']} CPUs ({machine['cpu']}), "
        f"{machine['memory_gb']} GB RAM, PostgreSQL {machine['postgresql']} "
        f"(jit {machine['postgresql_jit']}, "
        f"shared_buffers {machine['postgresql_shared_buffers']}), "
        f"Python {machine['python']}, Django {machine['django']}. "
        f"Load average (1, 5, 15 min) at start {machine['load_at_start']}"
        + (f", at end {machine['load_at_end']}" if "load_at_end" in machine else "")
        + (
            f"; the bench took {machine['bench_seconds']} s." if "bench_seconds" in machine else "."
        ),
        "",
        "Times are medians in milliseconds unless marked (s); queries per run; memory is the "
        "peak RSS growth of the child process that ran the job over its baseline after start-up, "
        "and its peak (MB), per size.",
        "",
    ]
    heads = [f"{s['operations']:,} ops / {s['teams']} teams" for s in sizes]
    lines.append(
        "| measure | queries | "
        + " | ".join(heads)
        + " | largest ÷ smallest | peak memory growth (MB) |"
    )
    lines.append("| --- | --- | " + " | ".join("---:" for _ in heads) + " | ---: | --- |")
    for label, cells, _note in rows(results):
        counts = [q for q, _m, _r in cells]
        distinct = {q for q in counts if q is not None}
        queries = (
            "–"
            if not distinct
            else _fmt(counts[0])
            if len(distinct) == 1
            else " / ".join(_fmt(q) for q in counts)
        )
        medians = [m for _q, m, _r in cells]
        ratio = (
            f"{medians[-1] / medians[0]:.1f}×" if medians[0] and medians[-1] is not None else "–"
        )
        memory = [r for _q, _m, r in cells]
        memory_text = " / ".join(_fmt(r) for r in memory) if any(memory) else ""

        lines.append(
            f"| {label} | {queries} | "
            + " | ".join(_fmt(m) for m in medians)
            + f" | {ratio} | {memory_text} |"
        )
    load_rows = [
        ("dashboard (manager), gunicorn 2 workers, wrk 4 connections", "load", "dashboard"),
        ("`/healthz`", "load", "healthz"),
        (
            "dashboard, persistent DB connections (`DATABASE_CONN_MAX_AGE=60`)",
            "load_persistent",
            "dashboard",
        ),
        ("`/healthz`, persistent DB connections", "load_persistent", "healthz"),
    ]
    lines += [
        "",
        "| throughput under load | " + " | ".join(heads) + " |",
        "| --- | " + " | ".join("---" for _ in heads) + " |",
    ]
    for label, run, key in load_rows:
        if not any(run in size for size in sizes):
            continue
        cells = []
        for size in sizes:
            data = _get(size, run, key) or {}
            latency = data.get("latency_ms", {})
            if "requests_per_second" in data:
                cells.append(
                    f"{data['requests_per_second']} req/s; p50 {latency.get('p50')} · "
                    f"p90 {latency.get('p90')} · p99 {latency.get('p99')} ms"
                    + (f"; {data['errors']} errors" if data.get("errors") else "")
                )
            else:
                cells.append(_get(size, run, "error") or "–")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "| load average (1, 5, 15 min) | "
        + " | ".join(f"{s['load_before']} → {s.get('load_after')}" for s in sizes)
        + " |",
        "| --- | " + " | ".join("---" for _ in heads) + " |",
        "",
    ]
    found = results.get("targets") or []
    if found:
        lines += ["| target | met | figures |", "| --- | --- | --- |"]
        for item in found:
            met = {True: "yes", False: "**no**", None: "pending"}[item["met"]]
            figures = ", ".join(
                f"{k} {v}"
                for k, v in item.items()
                if k not in ("target", "met", "histogram_per_size") and v not in ([], None)
            )
            lines.append(f"| {item['target']} | {met} | {figures} |")
        lines.append("")
    for size in sizes:
        digests = size.get("digests") or {}
        if "pending" in digests:
            lines.append(f"Digests at {size['operations']:,}: pending ({digests['pending']}).")
    return "\n".join(lines) + "\n"
