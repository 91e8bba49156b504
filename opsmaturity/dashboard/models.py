"""Each team's figures, kept ahead of time so that a dashboard over every team reads
two thousand small rows instead of a million operations.

There is one source of truth, the operations, their flags and their history; a
team's kept figures are recomputed from it, never adjusted. Triggers in the
database (migration 0002) write a ``FiguresChange`` row for each team a statement
touched, whichever code ran it: a form, an import, the scan, the admin, raw SQL.
A team with such a row is *stale*: its figures are read live until the refresher
(``figures.refresh``, after each scan and every minute) recomputes them and, in the
same transaction, removes the rows it has seen. See ``figures.py``.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TeamFigures(models.Model):
    """A team's figures as of ``computed_at``: operations and monthly cost per phase,
    standing open flags per kind (with the days their snoozes end), and how many of
    its operations ever left launch (for the conversion rate)."""

    team = models.OneToOneField(
        "teams.Team", on_delete=models.CASCADE, primary_key=True, related_name="figures"
    )
    figures = models.JSONField(_("figures"), default=dict)
    # The day the figures' periods end (a period counts back from today), and the
    # flags shown that day (not snoozed through it): the organisation's roll-up ranks
    # its teams by these without reading their figures.
    day = models.DateField(_("day"), null=True)
    flags_shown = models.PositiveIntegerField(_("flags shown"), default=0)
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    class Meta:
        verbose_name = _("team figures")
        indexes = [models.Index(fields=["day", "-flags_shown"], name="teamfigures_day_flags")]
        verbose_name_plural = _("team figures")

    def __str__(self):
        return f"{self.team_id} @ {self.computed_at:%Y-%m-%d %H:%M}"


class FiguresChange(models.Model):
    """A statement changed something a team's figures count. Written by triggers only;
    rows are only ever inserted and deleted (never updated), so writers never wait on
    one another here. No foreign key: a team being deleted still leaves its mark."""

    team_id = models.BigIntegerField(_("team"), db_index=True)

    class Meta:
        verbose_name = _("figures change")
        verbose_name_plural = _("figures changes")

    def __str__(self):
        return f"team {self.team_id}"


class OrgFigures(models.Model):
    """Every team's kept figures added up, by the same refresh that keeps them (in
    its transaction): a dashboard over every team reads this one row, then takes
    away the kept figures of the teams marked since and adds their live ones."""

    KEY = "all"

    key = models.CharField(_("key"), max_length=8, primary_key=True, default=KEY)
    figures = models.JSONField(_("figures"), default=dict)
    day = models.DateField(_("day"))
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    class Meta:
        verbose_name = _("organisation figures")
        verbose_name_plural = _("organisation figures")

    def __str__(self):
        return f"{self.day} @ {self.computed_at:%Y-%m-%d %H:%M}"
