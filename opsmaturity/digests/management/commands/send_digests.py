from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils.translation import gettext as _

from opsmaturity.dbconfig import use_job_timeouts
from opsmaturity.digests import sending


class Command(BaseCommand):
    help = _(
        "Send the weekly digests that are due now, as the dispatcher task does, and retry "
        "the failed ones whose time has come. Never sends a user two digests in one week."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=_("Build the digests and say what would be sent; send and change nothing."),
        )
        parser.add_argument(
            "--user",
            dest="emails",
            action="append",
            metavar="EMAIL",
            help=_(
                "Only this user (repeat for several), whose digest is then due now. "
                "One already sent this week is not sent again."
            ),
        )

    def handle(self, *args, dry_run=False, emails=None, verbosity=1, **options):
        use_job_timeouts()
        user_ids = None
        if emails:
            wanted = Q()
            for email in emails:
                wanted |= Q(email__iexact=email)
            users = list(get_user_model().objects.filter(wanted))
            found = {u.email.lower() for u in users}
            unknown = [e for e in emails if e.lower() not in found]
            if unknown:
                raise CommandError(_("No user with the address %s.") % ", ".join(unknown))
            user_ids = [u.pk for u in users]

        def report(outcome):
            if verbosity < 1:
                return
            line = f"{outcome.status:<16} {outcome.email}"
            if outcome.period:
                line += f"  {outcome.period:%Y-%m-%d}"
            if outcome.subject:
                line += f"  {outcome.subject}"
            if outcome.error:
                line += f"  ({outcome.error})"
            self.stdout.write(line)
            if verbosity >= 2 and outcome.rendered is not None:
                self.stdout.write(outcome.rendered.text)

        result = sending.dispatch(user_ids=user_ids, dry_run=dry_run, report=report)
        if dry_run:
            self.stdout.write(
                _("Dry run: %(send)d would be sent, %(skip)d have nothing to report.")
                % {"send": result.count("dry-run:send"), "skip": result.count("dry-run:skip")}
            )
            return
        counts = result.as_dict()
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "%(sent)d sent, %(skipped)d with nothing to report, %(retry)d to retry, "
                    "%(failed)d given up."
                )
                % counts
            )
        )
