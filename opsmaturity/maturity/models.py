from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opsmaturity.operations.phases import Phase


class FlagKind(models.TextChoices):
    STALLED = "stalled", _("Stalled in launch")
    DUE_SOON = "due_soon", _("Launch due soon")
    UNJUSTIFIED = "unjustified", _("Purpose does not justify cost")
    PERSON_DEPENDENT = "person_dependent", _("Person-dependent")
    OWNER_LEFT = "owner_left", _("Owner has left")


def not_snoozed(on=None):
    """No snooze, or one whose last day is before ``on`` (today by default)."""
    on = on or timezone.localdate()
    return Q(snoozed_until__isnull=True) | Q(snoozed_until__lt=on)


class FlagQuerySet(models.QuerySet):
    def open(self):
        return self.filter(resolved_at__isnull=True)

    def current(self, on=None):
        """Open and not snoozed: what the lists, the dashboard and the digests show.

        A flag snoozed until a day stays out through that day and comes back by
        itself the day after; no job has to wake it.
        """
        return self.open().filter(not_snoozed(on))

    def snoozed(self, on=None):
        on = on or timezone.localdate()
        return self.open().filter(snoozed_until__gte=on)


class Flag(models.Model):
    """A rule holds for an operation. Opened and resolved by the maturity scan."""

    operation = models.ForeignKey(
        "operations.Operation", on_delete=models.CASCADE, related_name="flags"
    )
    kind = models.CharField(_("kind"), max_length=24, choices=FlagKind.choices)
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    # The numbers behind the flag (maturity.rules: each rule's facts), written by the
    # scan; the reason is worded from them when shown, in the reader's language.
    facts = models.JSONField(_("facts"), default=dict, blank=True)
    # The exemption in force, if any; its history is in FlagExemption. Defaults live in
    # the database too, since the scan opens flags with INSERT … SELECT.
    snoozed_until = models.DateField(_("snoozed until"), null=True, blank=True)
    snoozed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("snoozed by"),
    )
    snooze_reason = models.CharField(
        _("why snoozed"), max_length=500, blank=True, default="", db_default=""
    )
    snooze_requested = models.BooleanField(_("snooze requested"), default=False, db_default=False)

    objects = FlagQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = _("flag")
        verbose_name_plural = _("flags")
        constraints = [
            models.UniqueConstraint(
                fields=["operation", "kind"],
                condition=Q(resolved_at__isnull=True),
                name="flag_one_open_per_operation_and_kind",
                violation_error_message=_("This operation already has an open flag of this kind."),
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "resolved_at"], name="flag_kind_resolved"),
        ]

    def __str__(self):
        return f"{self.operation}: {self.get_kind_display()}"

    @property
    def is_open(self):
        return self.resolved_at is None

    @property
    def is_snoozed(self):
        return (
            self.resolved_at is None
            and self.snoozed_until is not None
            and self.snoozed_until >= timezone.localdate()
        )


class ExemptionAction(models.TextChoices):
    REQUESTED = "requested", _("Snooze requested")
    GRANTED = "granted", _("Snoozed")
    DECLINED = "declined", _("Request declined")
    LIFTED = "lifted", _("Snooze lifted")


class FlagExemption(models.Model):
    """Every request, grant, refusal and end of a snooze: who, when, why, until when."""

    flag = models.ForeignKey(Flag, on_delete=models.CASCADE, related_name="exemptions")
    action = models.CharField(_("action"), max_length=16, choices=ExemptionAction.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    until = models.DateField(_("until"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("flag exemption")
        verbose_name_plural = _("flag exemptions")

    def __str__(self):
        return f"{self.flag}: {self.get_action_display()}"


class Snapshot(models.Model):
    """How many operations, at what monthly cost, a team had in a phase on a day."""

    date = models.DateField(_("date"))
    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="snapshots")
    phase = models.CharField(_("phase"), max_length=16, choices=Phase.choices)
    count = models.PositiveIntegerField(_("operations"), default=0)
    monthly_cost = models.DecimalField(
        _("monthly cost"), max_digits=16, decimal_places=2, default=0
    )
    # When the row was last written: a rerun for the same day removes the rows
    # it did not write (a team and phase that emptied since).
    taken_at = models.DateTimeField(_("taken at"), default=timezone.now)

    class Meta:
        ordering = ["date", "team", "phase"]
        verbose_name = _("snapshot")
        verbose_name_plural = _("snapshots")
        constraints = [
            models.UniqueConstraint(
                fields=["date", "team", "phase"], name="snapshot_one_per_day_team_phase"
            )
        ]

    def __str__(self):
        return f"{self.date} {self.team} {self.phase}: {self.count}"


class ScanStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class ScanRun(models.Model):
    """One run of the maturity scan, whole or limited to some operations.

    A run whose worker died stays "running" without ``finished_at``: its flag
    changes were rolled back with its transaction, and the next run does them.
    """

    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    # The moment the run judged the operations at, and stamped on the flags it
    # opened and resolved: later than started_at when it waited for another run.
    as_of = models.DateTimeField(_("as of"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ScanStatus.choices, default=ScanStatus.RUNNING
    )
    partial = models.BooleanField(
        _("limited to some operations"),
        default=False,
        help_text=_("Checked now for chosen operations rather than the whole registry."),
    )
    operation_count = models.PositiveIntegerField(_("operations scanned"), null=True, blank=True)
    opened = models.PositiveIntegerField(_("flags opened"), default=0)
    resolved = models.PositiveIntegerField(_("flags resolved"), default=0)
    refreshed = models.PositiveIntegerField(
        _("facts updated"),
        default=0,
        help_text=_("Open flags whose facts changed outside the app, e.g. a new cost."),
    )
    by_kind = models.JSONField(_("by kind"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        get_latest_by = "started_at"
        verbose_name = _("scan run")
        verbose_name_plural = _("scan runs")
        indexes = [models.Index(fields=["-started_at"], name="scanrun_started")]

    def __str__(self):
        return f"{self.started_at:%Y-%m-%d %H:%M:%S} {self.get_status_display()}"

    @property
    def duration(self):
        if self.finished_at is None:
            return None
        return self.finished_at - self.started_at
