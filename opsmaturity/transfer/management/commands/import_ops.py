from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from opsmaturity.dbconfig import use_job_timeouts
from opsmaturity.transfer import importing
from opsmaturity.transfer.plan import cell_message
from opsmaturity.transfer.reading import MAX_BYTES, FileRefused


class Command(BaseCommand):
    help = (
        "Import operations from an .xlsx or .csv file, as the import page does: every row "
        "or none. --dry-run prints the preview and writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="preview only")
        parser.add_argument(
            "--as", dest="username", help="import as this person (default: a superuser)"
        )
        parser.add_argument(
            "--create-missing",
            action="store_true",
            help="staff only: make the teams and accounts the file names and nobody has",
        )

    def handle(self, *args, file, dry_run, username, create_missing=False, **options):
        use_job_timeouts()
        user = self.importer(username)
        path = Path(file)
        try:
            with path.open("rb") as f:
                data = f.read(MAX_BYTES + 1)
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from None
        try:
            record = importing.store_upload(user, path.name, data, create_missing=create_missing)
            plan = importing.preview(record, user)
        except FileRefused as exc:
            raise CommandError(str(exc)) from None
        for number, key, message in plan.errors:
            self.stderr.write(cell_message(number, key, message))
        counts = plan.counts
        summary = (
            "{create} to create, {update} to update, {unchanged} unchanged, {error} with errors"
        )
        self.stdout.write(summary.format(**counts))
        if plan.unknown:
            self.stdout.write("Columns ignored: " + ", ".join(plan.unknown))
        if create_missing and not record.create_missing:
            raise CommandError("--create-missing is for staff: import --as a staff member")
        for team in plan.new_teams:
            self.stdout.write(f"New team: {team.name}")
        for person in plan.new_people:
            self.stdout.write(f"New account: {person.email}")
        for team, person in plan.new_members:
            self.stdout.write(f"Joins {team.name}: {person.email or person.username}")
        if dry_run:
            record.delete()  # a dry run leaves no trace
            if plan.errors:
                raise CommandError("the file has errors: nothing would be imported")
            return
        try:
            importing.run_import(record, user, fingerprint=plan.fingerprint())
        except importing.ImportFailed as exc:
            raise CommandError(f"nothing imported: {exc}") from None
        self.stdout.write(self.style.SUCCESS(f"Imported {path.name}."))

    def importer(self, username):
        users = get_user_model().objects.filter(is_active=True)
        if username:
            user = users.filter(username=username).first()
            if user is None:
                raise CommandError(f"no active person with the username {username!r}")
            return user
        user = users.filter(is_superuser=True).order_by("pk").first()
        if user is None:
            raise CommandError("no active superuser: say whom to import as with --as USERNAME")
        return user
