from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils.translation import gettext as _

from opsmaturity.dbconfig import use_job_timeouts
from opsmaturity.maturity.models import FlagKind, ScanRun
from opsmaturity.maturity.rules import reason_of
from opsmaturity.maturity.scan import flags_changed_by, run_scan


class Command(BaseCommand):
    help = _(
        "Run the maturity scan now, as the hourly task does: open and resolve flags, "
        "and print what changed per kind. With -v 2, list the flags themselves."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--operation",
            dest="operation_ids",
            type=int,
            action="append",
            metavar="ID",
            help=_("Scan only this operation (repeat for several). Default: every operation."),
        )

    def handle(self, *args, operation_ids=None, verbosity=1, **options):
        use_job_timeouts()
        try:
            result = run_scan(operation_ids=operation_ids)
        except DatabaseError as exc:
            raise CommandError(_("The scan failed and changed nothing: %s") % exc) from exc
        if verbosity < 1:
            return
        self.stdout.write(
            _("Scan %(run)s: %(count)s operations as of %(as_of)s")
            % {
                "run": result.run_id,
                "count": result.operation_count,
                "as_of": f"{result.as_of:%Y-%m-%d %H:%M:%S %Z}",
            }
        )
        labels = {kind: str(FlagKind(kind).label) for kind in result.by_kind}
        width = max(map(len, labels.values()), default=0)
        for kind, counts in result.by_kind.items():
            self.stdout.write(
                f"  {labels[kind]:<{width}}  "
                + _("opened %(opened)6d  resolved %(resolved)6d  updated %(refreshed)6d") % counts
            )
        self.stdout.write(
            self.style.SUCCESS(
                _("%(opened)d opened, %(resolved)d resolved, %(refreshed)d brought up to date")
                % {
                    "opened": result.opened,
                    "resolved": result.resolved,
                    "refreshed": result.refreshed,
                }
            )
        )
        if verbosity >= 2:
            opened, resolved = flags_changed_by(ScanRun.objects.get(pk=result.run_id))
            for title, flags in ((_("Opened"), opened), (_("Resolved"), resolved)):
                for flag in flags.iterator(chunk_size=2000):
                    self.stdout.write(
                        f"{title}: [{flag.kind}] #{flag.operation_id} {flag.operation.name}: "
                        f"{reason_of(flag)}"
                    )
