"""The bench's runner: one fresh database per size, seeded, measured, reported."""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from .constants import (
    CHILD_TIMEOUT,
    DIGEST_RECIPIENTS,
    IMPORT_AT,
    MANAGED_TEAMS,
    SCAN_FIRST_RUNS,
    SCAN_SECOND_RUNS,
    SECONDS_PER_THOUSAND,
    SEED_TIMEOUT,
    SETTLE_SECONDS,
    SIZES,
    SNAPSHOT_RUNS,
    VIEW_RUNS,
)
from .measure import link_of, measure_request, measure_snapshot, middle_of_list, prepare_fixture
from .report import _get, markdown, targets
from .system import (
    check_database,
    drop_database,
    free_port,
    http_status,
    load_average,
    machine_info,
    recreate_database,
    run_wrk,
    stop_process,
    wait_until_up,
    which,
)


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
        self.ops = 0

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
        self.ops = ops  # the children's time limits grow with it
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
            # as long as it takes: the jobs' statement limit is not for maintenance
            cursor.execute("SET statement_timeout = 0")
            cursor.execute("VACUUM ANALYZE")
            cursor.execute("RESET statement_timeout")
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
        # What the beat does within a minute of the scan and the snapshot (each marked
        # every team): the digests and the load test read the kept figures, as they would.
        size["figures_refresh"] = self.refresh_figures()
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
        if ops == IMPORT_AT:
            # Last: the 10,000 operations it adds would change every measure above.
            size["import"] = imported = self.child("import")
            self.say(
                f"import of {imported.get('rows')} rows: preview "
                f"{_get(imported, 'preview', 'seconds')} s "
                f"({_get(imported, 'preview', 'queries')} queries), import "
                f"{_get(imported, 'import', 'seconds')} s, same file again "
                f"{_get(imported, 'again', 'seconds')} s"
            )
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
            timeout=max(SEED_TIMEOUT, ops / 1000 * SECONDS_PER_THOUSAND),
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
            timeout=max(CHILD_TIMEOUT, self.ops / 1000 * SECONDS_PER_THOUSAND),
            check=False,
        )
        if done.returncode or not path.exists():
            self.say(f"{job} failed:\n{done.stdout}\n{done.stderr}")
            return {"error": (done.stderr or done.stdout).strip()[-2000:]}
        result = json.loads(path.read_text())
        path.unlink()
        return result

    def refresh_figures(self):
        from opsmaturity.dashboard import figures

        started = time.perf_counter()
        teams = figures.refresh()
        seconds = round(time.perf_counter() - started, 2)
        self.say(f"team figures refreshed: {teams} teams in {seconds} s")
        return {"teams": teams, "seconds": seconds}

    # --- pages ---------------------------------------------------------------------------

    def measure_requests(self, fixture):
        from django.contrib.auth import get_user_model
        from django.test import Client, override_settings

        users = get_user_model().objects.in_bulk(
            [fixture["manager_id"], fixture["staff_id"], fixture["small_manager_id"]]
        )
        manager, staff, small_manager = Client(), Client(), Client()
        manager.force_login(users[fixture["manager_id"]])
        staff.force_login(users[fixture["staff_id"]])
        small_manager.force_login(users[fixture["small_manager_id"]])
        anonymous = Client()
        rows = {}
        # The list's deep pages as a person reaches them: by the Last and Next links.
        staff_user = users[fixture["staff_id"]]
        # The dashboards as built from the data (what a reader pays after any change,
        # and the targets), then as kept between changes (dashboard/fragments.py).
        for key, client in (
            ("dashboard_manager", manager),
            ("dashboard_staff", staff),
            ("dashboard_small_manager", small_manager),
        ):
            with override_settings(OPS_DASHBOARD_CACHE_SECONDS=0):
                rows[key] = measure_request(client, "/dashboard/")
            rows[f"{key}_kept"] = measure_request(client, "/dashboard/")
            for name in (key, f"{key}_kept"):
                self.say(
                    f"{name}: {rows[name]['median_ms']:.1f} ms, {rows[name]['queries']} queries"
                )
        for key, client, url in (
            ("healthz", anonymous, "/healthz"),
            ("list_mine_small_manager", small_manager, "/ops/?scope=mine"),
            ("list_first", staff, fixture["list_url"]),
            ("list_last", staff, link_of(staff, fixture["list_url"], "last")),
            ("list_middle", staff, middle_of_list(fixture["list_all_url"], staff_user)),
            ("list_filtered", staff, fixture["list_filtered_url"]),
            ("list_sorted", staff, link_of(staff, fixture["list_sorted_url"], "next")),
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
