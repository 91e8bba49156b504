"""python manage.py seed_demo [--ops N --teams T]: demo data, and volume on top of it."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from opsmaturity.dashboard.figures import refresh as refresh_figures
from opsmaturity.dbconfig import use_job_timeouts
from opsmaturity.maturity.scan import run_scan
from opsmaturity.maturity.snapshots import backfill_snapshots, take_snapshot
from opsmaturity.tooling import demo


class Command(BaseCommand):
    help = (
        "Load the fixed demo (six teams, about sixty operations in every phase, demo logins) "
        "unless it is already there; with --ops N, also add N generated operations over "
        "--teams T generated teams."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--ops", type=int, default=0, help="Generated operations to add (default: none)."
        )
        parser.add_argument(
            "--teams",
            type=int,
            default=None,
            help="Generated teams to spread them over, Team 001… (default: 10).",
        )
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed of the generated data (default: 1)."
        )
        parser.add_argument(
            "--demo-logins",
            action="store_true",
            help=(
                "Give the demo people their well-known passwords (manager/manager, "
                "admin/admin…) although DEBUG is off. With DEBUG on they always have them."
            ),
        )

    def handle(self, *args, ops, teams, seed, demo_logins, verbosity, **options):
        use_job_timeouts()
        people, other_teams = demo.foreign_data()
        if people or other_teams:
            raise CommandError(
                f"This database holds data that is not the demo's ({people} people and "
                f"{other_teams} teams of its own), and the demo adds logins with well-known "
                "passwords (admin/admin). Load the demo into an empty database: check "
                "DATABASE_URL."
            )
        logins = settings.DEBUG or demo_logins
        if ops < 0:
            raise CommandError("--ops must be 0 or more.")
        if teams is not None and not ops:
            raise CommandError("--teams is used together with --ops N.")
        teams = 10 if teams is None else teams
        if teams < 1:
            raise CommandError("--teams must be 1 or more.")

        fixed = demo.seed_fixed(logins=logins)
        if fixed.skipped:
            self.stdout.write("Fixed demo: already there, skipped.")
        else:
            self.stdout.write(
                f"Fixed demo: {fixed.teams} teams, {fixed.operations} operations, "
                f"{fixed.users} users, {fixed.transitions} phase transitions, "
                f"{fixed.checks} criterion checks created."
            )

        if ops:

            def progress(done, total):
                if verbosity > 1:
                    self.stdout.write(f"  {done:,} / {total:,} operations")

            generated = demo.seed_generated(ops, teams, seed=seed, progress=progress, logins=logins)
            self.stdout.write(
                f"Generated: {generated.operations:,} operations over {generated.teams} teams "
                f"({generated.new_teams} teams and {generated.users:,} users created, "
                f"{generated.transitions:,} phase transitions) in {generated.seconds:.1f} s."
            )

        self._flags_and_trend(backfill=not fixed.skipped)
        if not logins:
            self.stdout.write(
                "Demo people were given no password that works (DEBUG is off): pass "
                "--demo-logins for the well-known ones, or set passwords in the admin."
            )
            return
        pairs = ", ".join(f"{username}/{password}" for username, password, *_ in demo.LOGINS)
        self.stdout.write(
            f"Demo logins: {pairs} (admin is staff). "
            f"Every other demo person's password is “{demo.DEMO_PASSWORD}”."
        )
        if not settings.DEBUG:
            self.stderr.write(
                "Warning: DEBUG is off and --demo-logins gave these well-known passwords: "
                "never load the demo into a production database."
            )

    def _flags_and_trend(self, backfill):
        """Open the flags the new data calls for, and give the dashboard its trend.

        The fixed demo's history is replayed into twelve weekly snapshots, so a new
        demo shows a real trend on its first day; later runs take today's snapshot.
        """
        run = run_scan()
        if backfill:
            backfill_snapshots(weeks=12)
        else:
            take_snapshot()
        # What the worker does every minute, done now: the first dashboard reads kept figures.
        teams = refresh_figures()
        self.stdout.write(
            f"Maturity scan: {run.opened} flags opened, {run.resolved} resolved; "
            + ("twelve weeks of snapshots rebuilt" if backfill else "today's snapshot taken")
            + f"; the figures of {teams} teams computed."
        )
