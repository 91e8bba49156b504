from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from opsmaturity.campaigns import services
from opsmaturity.dbconfig import use_job_timeouts


class Command(BaseCommand):
    help = _(
        "Close the campaigns whose deadline has passed and record every open campaign's "
        "progress for today, as the daily snapshot task does."
    )

    def handle(self, *args, verbosity=1, **options):
        use_job_timeouts()
        summary = services.daily()
        if verbosity >= 1:
            self.stdout.write(
                _("%(closed)d campaigns closed, %(recorded)d recorded for %(date)s.") % summary
            )
