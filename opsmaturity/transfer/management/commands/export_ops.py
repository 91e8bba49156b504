import sys

from django.core.management.base import BaseCommand, CommandError

from opsmaturity.dbconfig import use_job_timeouts
from opsmaturity.operations.models import Operation
from opsmaturity.teams.models import Team
from opsmaturity.transfer import export


class Command(BaseCommand):
    help = (
        "Write every operation (or one team's) with the import's columns to standard "
        "output, as CSV (UTF-8 with BOM) or XLSX: export_ops --format xlsx > ops.xlsx"
    )

    def add_arguments(self, parser):
        parser.add_argument("--team", help="only this team's operations")
        parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")

    def handle(self, *args, team, format, **options):
        use_job_timeouts()
        operations = Operation.objects.order_by("team__name", "name", "pk")
        if team:
            found = Team.objects.filter(name__iexact=team).first()
            if found is None:
                raise CommandError(f"no team called {team!r}")
            operations = operations.filter(team=found)
        rows = export.operation_rows(operations)
        out = getattr(self.stdout, "_out", sys.stdout)
        if format == "xlsx":
            with export.xlsx_file(rows) as workbook:
                while chunk := workbook.read(1 << 16):
                    _write(out, chunk)
        else:
            for chunk in export.csv_chunks(rows):
                _write(out, chunk.encode("utf-8"))
        out.flush()


def _write(out, data):
    """Bytes to standard output (or to the binary file a test passes)."""
    target = getattr(out, "buffer", out)
    try:
        target.write(data)
    except TypeError:  # a text stream (a test's StringIO)
        out.write(data.decode("utf-8"))
