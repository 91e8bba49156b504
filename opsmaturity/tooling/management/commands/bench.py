"""python manage.py bench: the benchmark of ``make bench`` (see opsmaturity/tooling/bench/)."""

import argparse
import signal

from django.core.management.base import BaseCommand, CommandError

from opsmaturity.tooling.bench import constants, runner
from opsmaturity.tooling.bench.children import run_child


def _stop(signum, frame):
    # A timeout's SIGTERM unwinds like Ctrl-C: gunicorn is stopped, the database dropped.
    raise KeyboardInterrupt(f"signal {signum}")


class Command(BaseCommand):
    help = (
        "Seed 1,000, 10,000 and 100,000 operations in a fresh PostgreSQL database (its name "
        "must start with 'opsbench': it is dropped) and measure pages, jobs and throughput; "
        "results in var/bench/results.json and var/bench/results.md."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--sizes",
            default=",".join(f"{ops}:{teams}" for ops, teams in constants.SIZES),
            help="Operations:teams per size, comma-separated (default: %(default)s).",
        )
        parser.add_argument(
            "--load-seconds", type=int, default=10, help="Seconds of wrk per URL (default: 10)."
        )
        parser.add_argument(
            "--settle-seconds",
            type=int,
            default=constants.SETTLE_SECONDS,
            help="At most this long, wait for the load average to fall before each size.",
        )
        # Internal: the bench runs the scan and the digests in a child process of its own.
        parser.add_argument(
            "--child", choices=["scan", "digests", "import"], help=argparse.SUPPRESS
        )
        parser.add_argument("--child-out", help=argparse.SUPPRESS)

    def handle(self, *args, sizes, load_seconds, settle_seconds, child, child_out, **options):
        if child:
            run_child(child, child_out)
            return
        signal.signal(signal.SIGTERM, _stop)
        try:
            parsed = tuple(
                (int(ops), int(teams))
                for ops, teams in (item.split(":") for item in sizes.split(","))
            )
        except ValueError:
            raise CommandError(
                f"--sizes (BENCH_SIZES) is operations:teams, comma-separated, "
                f"such as 1000:20,100000:200; not {sizes!r}"
            ) from None
        if not parsed or any(ops < 1 or teams < 1 for ops, teams in parsed):
            raise CommandError("--sizes (BENCH_SIZES): every size needs operations and teams ≥ 1")
        runner.Bench(
            self.stdout, sizes=parsed, load_seconds=load_seconds, settle_seconds=settle_seconds
        ).run()
