from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from opsmaturity.dbconfig import use_job_timeouts
from opsmaturity.maturity.snapshots import backfill_snapshots, take_snapshot


class Command(BaseCommand):
    help = _(
        "Take today's snapshot (count and monthly cost per team and phase), as the daily "
        "task does. With --backfill-weeks, first reconstruct past weeks from the "
        "transition history."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--backfill-weeks",
            type=int,
            default=0,
            metavar="N",
            help=_("Also reconstruct the last N weeks from the transition history."),
        )
        parser.add_argument(
            "--every-days",
            type=int,
            default=7,
            metavar="D",
            help=_("With --backfill-weeks: one reconstructed day every D days (default 7)."),
        )

    def handle(self, *args, backfill_weeks=0, every_days=7, verbosity=1, **options):
        use_job_timeouts()
        if backfill_weeks < 0 or every_days < 1:
            raise CommandError(_("--backfill-weeks must be 0 or more, --every-days 1 or more."))
        if backfill_weeks:
            results = backfill_snapshots(backfill_weeks, every_days=every_days)
        else:
            results = [take_snapshot()]
        if verbosity < 1:
            return
        for result in results:
            line = _(
                "%(date)s: %(rows)d rows, %(operations)d operations, monthly cost %(cost)s"
            ) % {
                "date": result.date,
                "rows": result.rows,
                "operations": result.operations,
                "cost": result.monthly_cost,
            }
            if result.removed:
                line += " " + _("(%(removed)d stale rows removed)") % {"removed": result.removed}
            self.stdout.write(line)
        self.stdout.write(
            self.style.SUCCESS(
                ngettext("%(count)d day recorded.", "%(count)d days recorded.", len(results))
                % {"count": len(results)}
            )
        )
