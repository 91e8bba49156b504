from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from opsmaturity.campaigns import services


class Command(BaseCommand):
    help = _(
        "Close the campaigns whose deadline has passed and record every open campaign's "
        "progress for today, as the daily snapshot task does."
    )

    def handle(self, *args, verbosity=1, **options):
        summary = services.daily()
        if verbosity >= 1:
            self.stdout.write(
                _("%(closed)d campaigns closed, %(recorded)d recorded for %(date)s.") % summary
            )
