from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from opsmaturity.lib.models import AppendOnly
from opsmaturity.lib.text import normalize_name

from .phases import ORDER, Phase

# Large enough for any real operation, small enough to catch a typo of extra zeros.
MAX_MONEY = 10**11
MAX_VOLUME = 10**9
MONEY = {"max_digits": 14, "decimal_places": 2}


def name_taken(team, name):
    """The message when a team already has an operation of that name (form or race)."""
    return _("%(team)s already has an operation called “%(name)s”.") % {
        "team": team.name,
        "name": name,
    }


def phase_position():
    """The phase as its place in the method (launch 0 … retired 4), to sort by: the
    list orders and seeks by it, and an index holds it (Operation.Meta.indexes)."""
    return Case(
        *[When(phase=phase, then=Value(i)) for i, phase in enumerate(ORDER)],
        output_field=IntegerField(),
    )


def shortfall():
    """How much more it costs than it earns each month (negative when it earns more)."""
    return F("monthly_cost") - F("monthly_value")


class OperationQuerySet(models.QuerySet):
    def active(self):
        return self.exclude(phase=Phase.RETIRE)

    def _performed_ids(self, user):
        return list(
            Operation.performers.through.objects.filter(user=user).values_list(
                "operation_id", flat=True
            )
        )

    def run_by(self, user):
        """The operations a person owns or performs: what needs them personally.

        The operations performed are looked up first, as a list: the condition is
        then ``owner = … OR id IN (1, 2, …)``, which PostgreSQL answers by OR-ing
        two indexes (a subquery in its place made it read every operation).
        """
        return self.filter(Q(owner=user) | Q(pk__in=self._performed_ids(user)))

    def for_user(self, user):
        """Mine: I own it, I perform it, or it belongs to one of my teams.

        Teams and operations performed as lists, for the same reason as run_by():
        three indexes OR-ed (at 100,000 operations, 46 ms → a few).
        """
        from opsmaturity.teams.models import Membership

        my_teams = list(Membership.objects.filter(user=user).values_list("team_id", flat=True))
        return self.filter(
            Q(owner=user) | Q(team_id__in=my_teams) | Q(pk__in=self._performed_ids(user))
        )


class Operation(models.Model):
    name = models.CharField(_("name"), max_length=200)
    team = models.ForeignKey(
        "teams.Team", on_delete=models.PROTECT, related_name="operations", verbose_name=_("team")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_operations",
        verbose_name=_("owner"),
    )
    purpose = models.TextField(
        _("purpose"),
        help_text=_("Why this operation exists, so anyone can judge whether it is still needed."),
    )
    phase = models.CharField(_("phase"), max_length=16, choices=Phase.choices, default=Phase.LAUNCH)
    phase_entered_at = models.DateTimeField(_("in this phase since"), default=timezone.now)
    launched_at = models.DateField(_("launched on"), null=True, blank=True)
    performers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="performed_operations",
        blank=True,
        verbose_name=_("performers"),
        help_text=_("Everyone who can run this operation today."),
    )
    runbook_url = models.URLField(_("runbook URL"), max_length=500, blank=True)
    monthly_volume = models.IntegerField(
        _("monthly volume"),
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_VOLUME)],
    )
    monthly_cost = models.DecimalField(
        _("monthly cost"),
        **MONEY,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_MONEY)],
    )
    monthly_value = models.DecimalField(
        _("monthly value"),
        **MONEY,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_MONEY)],
    )
    purpose_reviewed_at = models.DateTimeField(_("purpose last reviewed"), null=True, blank=True)
    purpose_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("purpose reviewed by"),
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    # A default rather than auto_now_add, so that imported and demo history can be dated.
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # Set by save(), like auto_now, but a default rather than auto_now so that bulk
    # imports (and the demo) can date it.
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    objects = OperationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("operation")
        verbose_name_plural = _("operations")
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                "team",
                name="operation_name_unique_in_team",
                violation_error_message=_("This team already has an operation with this name."),
            ),
            models.CheckConstraint(
                condition=Q(monthly_cost__gte=0),
                name="operation_cost_not_negative",
                violation_error_message=_("The monthly cost cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(monthly_value__gte=0),
                name="operation_value_not_negative",
                violation_error_message=_("The monthly value cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(monthly_volume__gte=0),
                name="operation_volume_not_negative",
                violation_error_message=_("The monthly volume cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(phase__in=Phase.values),
                name="operation_phase_known",
            ),
        ]
        indexes = [
            # stalled in launch / due soon: phase + entry date; the id rides along, so
            # that the scan finds the rules' operations from the index alone (at
            # 1,000,000 operations it read 32,000 of the table's 37,000 pages for them)
            models.Index(
                fields=["phase", "phase_entered_at"],
                include=["id"],
                name="operation_phase_entered",
            ),
            # dashboard roll-ups and the team filter; the cost rides along, so that
            # PostgreSQL adds up the funnel from the index alone
            models.Index(
                fields=["team", "phase"], include=["monthly_cost"], name="operation_team_phase"
            ),
            # purpose not reviewed for a long time
            models.Index(fields=["purpose_reviewed_at"], name="operation_purpose_reviewed"),
            # Each sort of the list, with the id that breaks its ties: a page is then one
            # range of one index, read forward or backward from where the last one
            # ended (operations.pages), the thousandth page as fast as the first.
            models.Index(fields=["name", "id"], name="operation_name_id"),
            models.Index(phase_position(), F("id"), name="operation_phase_order_id"),
            models.Index(fields=["phase_entered_at", "id"], name="operation_entered_id"),
            models.Index(fields=["monthly_cost", "id"], name="operation_cost_id"),
            # also the dashboard's short lists, read in this order until they are full:
            # depends on one person, most valuable first
            models.Index(fields=["monthly_value", "id"], name="operation_value_id"),
            # also the retire candidates, the biggest shortfall of value against cost first
            models.Index(shortfall(), F("id"), name="operation_shortfall_id"),
            models.Index(fields=["updated_at", "id"], name="operation_updated_id"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.normalize()
        self.updated_at = timezone.now()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "updated_at"}
        if getattr(self, "_saved_team_id", self.team_id) == self.team_id:
            super().save(*args, **kwargs)
        else:
            # An operation that changes team takes its history along.
            with transaction.atomic():
                super().save(*args, **kwargs)
                self.transitions.update(team_id=self.team_id)
        self._saved_team_id = self.team_id

    def get_absolute_url(self):
        return reverse("operations:detail", args=[self.pk])

    def normalize(self):
        """One spelling of each text, whoever writes the row (forms, services, bulk
        writers): the name's white space collapsed, and the purpose stripped, so
        that white space alone is no purpose for the rules."""
        self.name = normalize_name(self.name)
        self.purpose = (self.purpose or "").strip()

    @classmethod
    def from_db(cls, db, field_names, values):
        operation = super().from_db(db, field_names, values)
        # Remembered to keep the history's copy of the team in step (see save()).
        operation._saved_team_id = operation.__dict__.get("team_id")
        return operation

    def clean_fields(self, exclude=None):
        # Normalised first, so that a purpose of white space alone is blank, and refused.
        self.normalize()
        super().clean_fields(exclude=exclude)

    @property
    def is_retired(self):
        return self.phase == Phase.RETIRE


class TransitionKind(models.TextChoices):
    """What a line of an operation's history records. The first line says how the
    operation came in; its wording is produced when shown, in the reader's language
    (``PhaseTransition.summary``), never stored in the writer's."""

    MOVE = "move", _("phase move")
    # Recorded as new, in launch.
    CREATED = "created", _("recorded")
    # Recorded as already in its phase since a day (the create form's "since").
    RECORDED = "recorded", _("recorded as already in its phase")
    # The same, by a spreadsheet import.
    IMPORTED = "imported", _("recorded on import")


class PhaseTransition(AppendOnly, models.Model):
    """One phase move. Append-only: the history of an operation is never rewritten."""

    operation = models.ForeignKey(
        Operation, on_delete=models.PROTECT, related_name="transitions", verbose_name=_("operation")
    )
    # The operation's team, kept in step with it by Operation.save(), so that a
    # team's history is one range of the index below instead of a join through
    # every operation (the dashboard's history figures). Not history itself: an
    # operation that changes team takes its history along.
    team = models.ForeignKey(
        "teams.Team",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("team"),
        db_index=False,
        editable=False,
    )
    from_phase = models.CharField(
        _("from"),
        max_length=16,
        choices=Phase.choices,
        blank=True,
        help_text=_("Empty for the operation's creation."),
    )
    to_phase = models.CharField(_("to"), max_length=16, choices=Phase.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    # When the operation had entered the phase it leaves: time spent in a phase
    # (say, days in launch) is then one subtraction, not a self-join.
    from_phase_entered_at = models.DateTimeField(
        _("in the previous phase since"), null=True, blank=True
    )
    kind = models.CharField(
        _("kind"),
        max_length=16,
        choices=TransitionKind.choices,
        default=TransitionKind.MOVE,
        help_text=_("A move, or the first line of the history: how the operation came in."),
    )
    note = models.TextField(_("note"), blank=True)
    # The money at the moment of the move, so savings can be computed from history.
    monthly_cost = models.DecimalField(_("monthly cost then"), **MONEY, default=0)
    monthly_value = models.DecimalField(_("monthly value then"), **MONEY, default=0)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("phase transition")
        verbose_name_plural = _("phase transitions")
        indexes = [
            models.Index(fields=["operation", "at"], name="transition_operation_at"),
            models.Index(fields=["to_phase", "at"], name="transition_to_phase_at"),
            # A team's history in time order, with what the dashboard's figures read,
            # so PostgreSQL answers them from the index alone.
            models.Index(
                fields=["team", "at"],
                name="transition_team_at",
                include=[
                    "from_phase",
                    "to_phase",
                    "operation",
                    "from_phase_entered_at",
                    "monthly_cost",
                ],
            ),
        ]

    def __str__(self):
        return f"{self.operation}: {self.from_phase or '∅'} → {self.to_phase}"

    def save(self, *args, **kwargs):
        if self.team_id is None:
            self.team_id = self.operation.team_id
        if not self.from_phase and self.kind == TransitionKind.MOVE:
            self.kind = TransitionKind.CREATED  # a line from nothing is the creation
        super().save(*args, **kwargs)

    def summary(self):
        """How the operation came in, in the active language, for the first line of its
        history; "" for a move (its note says why, as its author wrote it)."""
        if self.kind == TransitionKind.CREATED:
            return gettext("Recorded")
        if self.kind not in (TransitionKind.RECORDED, TransitionKind.IMPORTED):
            return ""
        values = {
            "phase": Phase(self.to_phase).label,
            # The day as it was recorded: days are the installation's (lib.clock).
            "date": formats.date_format(
                timezone.localdate(self.at, timezone.get_default_timezone()), "DATE_FORMAT"
            ),
        }
        if self.kind == TransitionKind.IMPORTED:
            return gettext("Recorded on import as already in %(phase)s since %(date)s") % values
        return gettext("Recorded as already in %(phase)s since %(date)s") % values


class CriterionKey(models.TextChoices):
    """The exit criteria the operation's own data answers: a criterion with one of these
    keys is met when the data says so (operations.criteria, where each is defined), and
    is never ticked by hand."""

    PURPOSE = "purpose_written", _("a purpose is written")
    OWNER = "owner_named", _("its owner is named and has not left")
    VOLUME = "volume_measured", _("its monthly volume is entered")
    RUNBOOK = "runbook_linked", _("a runbook URL is given")
    PERFORMERS = "performers_enough", _("enough performers are listed")
    COST_VALUE = "cost_value_measured", _("its monthly cost and value are entered")
    REVIEWED = "purpose_reviewed", _("its purpose was reviewed and its value covers its cost")


class PhaseCriterion(models.Model):
    """An exit criterion of a phase, shown as a checklist item when moving on."""

    phase = models.CharField(_("phase"), max_length=16, choices=Phase.choices)
    label = models.CharField(_("label"), max_length=200)
    help_text = models.TextField(_("explanation"), blank=True)
    key = models.CharField(
        _("answered by the data"),
        max_length=32,
        choices=CriterionKey.choices,
        blank=True,
        help_text=_(
            "When set, the operation's own data answers this criterion, and nobody ticks it "
            "by hand. Leave empty for a criterion that people tick."
        ),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive criteria are no longer asked for.")
    )

    class Meta:
        ordering = ["phase", "position", "id"]
        verbose_name = _("exit criterion")
        verbose_name_plural = _("exit criteria")
        constraints = [
            models.UniqueConstraint(fields=["phase", "label"], name="criterion_unique_in_phase"),
            models.UniqueConstraint(
                fields=["phase", "key"],
                condition=~Q(key=""),
                name="criterion_key_unique_in_phase",
                violation_error_message=_("This phase already has a criterion with this answer."),
            ),
        ]

    def __str__(self):
        return f"{self.get_phase_display()}: {self.label}"

    @property
    def from_data(self):
        """Whether the operation's data answers it (else people tick it)."""
        return bool(self.key)


class CriterionCheckQuerySet(models.QuerySet):
    def current(self):
        """The ticks that stand: not taken back since."""
        return self.filter(unchecked_at__isnull=True)


class CriterionCheck(AppendOnly, models.Model):
    """That one operation meets one exit criterion: who said so, when, with what evidence.

    Kept for good, like the phase transitions: unticking a criterion records who
    took it back and when (``unchecked_*``), and ticking it again writes a new row.
    Only the current tick of an operation and criterion is without ``unchecked_at``.
    """

    operation = models.ForeignKey(Operation, on_delete=models.CASCADE, related_name="checks")
    criterion = models.ForeignKey(PhaseCriterion, on_delete=models.CASCADE, related_name="checks")
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    checked_at = models.DateTimeField(_("checked at"), default=timezone.now)
    evidence = models.CharField(_("evidence"), max_length=500, blank=True)
    unchecked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("unchecked by"),
    )
    unchecked_at = models.DateTimeField(_("unchecked at"), null=True, blank=True)

    objects = CriterionCheckQuerySet.as_manager()

    class Meta:
        ordering = ["checked_at", "id"]
        verbose_name = _("criterion check")
        verbose_name_plural = _("criterion checks")
        constraints = [
            models.UniqueConstraint(
                fields=["operation", "criterion"],
                condition=Q(unchecked_at__isnull=True),
                name="check_one_current_per_operation_and_criterion",
            )
        ]

    def __str__(self):
        return f"{self.operation} ✓ {self.criterion.label}"


class PurposeReview(models.Model):
    """Someone confirmed that the operation is still needed, and why."""

    operation = models.ForeignKey(
        Operation, on_delete=models.CASCADE, related_name="purpose_reviews"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(_("reviewed at"), default=timezone.now)
    reason = models.TextField(_("still needed because"))
    monthly_cost = models.DecimalField(_("monthly cost"), **MONEY)
    monthly_value = models.DecimalField(_("monthly value"), **MONEY)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("purpose review")
        verbose_name_plural = _("purpose reviews")

    def __str__(self):
        return f"{self.operation} reviewed {self.at:%Y-%m-%d}"
