"""Changes to many operations at once, from the list: change their owner or team, snooze
their flags (or ask for it), grant the snoozes asked for, or move them to a phase.

Two steps. ``plan`` says, for each selected operation, what will change, what is left
as it is (nothing to do) and what is refused and why, asking the access module about
each operation as its own page would. The person looks, then confirms; ``apply`` plans
again with the rows locked and writes through the same services as the one-by-one
pages (so the same history, the same transitions, the same events), in one
transaction: if any confirmed operation is refused by then (someone changed it since,
a right was taken away), nothing is written and the plan is shown again.

A plan reads a fixed number of rows sets whatever the number of operations: the
operations in one query, then what the action needs (memberships, names, criteria,
flags) in one or two more.
"""

import re
from dataclasses import dataclass, field
from datetime import timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from opsmaturity.lib.concurrency import EditConflict
from opsmaturity.lib.formatting import day, grouped, listing
from opsmaturity.lib.forms import SafeForm
from opsmaturity.lib.people import SEARCH_LIMIT, PersonLookupField, display_name, matching
from opsmaturity.lib.text import normalize_name
from opsmaturity.lib.widgets import PersonSearch, QuickSelect
from opsmaturity.maturity import exemptions
from opsmaturity.maturity.forms import REASON_MAX
from opsmaturity.maturity.models import ExemptionAction, Flag, FlagExemption
from opsmaturity.maturity.moves import IllegalMove, classify_move
from opsmaturity.teams import access
from opsmaturity.teams.models import Membership, Team

from . import services
from .models import CriterionCheck, Operation, PhaseCriterion, name_taken
from .phases import Phase

User = get_user_model()

MAX_OPERATIONS = 1000
SELECTED = re.compile(r"([0-9]{1,18})(?::([0-9]{1,9}))?")

CHANGE, SKIP, REFUSED = "change", "skip", "refused"


class Action(models.TextChoices):
    OWNER = "owner", gettext_lazy("Change the owner")
    TEAM = "team", gettext_lazy("Move to another team")
    MOVE = "move", gettext_lazy("Move to a phase")
    SNOOZE = "snooze", gettext_lazy("Snooze their open flags")
    GRANT = "grant", gettext_lazy("Grant the snoozes asked for")


@dataclass
class Line:
    """One selected operation in a plan."""

    pk: int
    seen: int | None  # its version on the page the person selected it on
    operation: Operation | None = None
    status: str = CHANGE
    why: str = ""
    now: str = ""
    after: str = ""
    stale: bool = False
    flags: list = field(default_factory=list)
    grants: list = field(default_factory=list)

    def refuse(self, why):
        self.status, self.why = REFUSED, why

    def skip(self, why):
        self.status, self.why = SKIP, why

    @property
    def name(self):
        return self.operation.name if self.operation else f"#{self.pk}"

    @property
    def token(self):
        """What the confirm form sends back: the id and the version now shown."""
        version = self.operation.version if self.operation else self.seen
        return f"{self.pk}:{version}" if version is not None else str(self.pk)


@dataclass
class Plan:
    action: str
    params: dict
    lines: list

    def _with(self, status):
        return [line for line in self.lines if line.status == status]

    @property
    def changes(self):
        return self._with(CHANGE)

    @property
    def skipped(self):
        return self._with(SKIP)

    @property
    def refused(self):
        return self._with(REFUSED)

    @property
    def stale(self):
        return [line for line in self.lines if line.stale]

    def summary(self):
        """What the person is told once it is done, small enough for the session."""

        def rows(lines, text):
            # no link for an id that names no operation
            return [
                (line.pk if line.operation else None, line.name, str(text(line))) for line in lines
            ]

        return {
            "what": str(describe(self.action, self.params)),
            "changed": rows(self.changes, lambda line: line.after),
            "skipped": rows(self.skipped, lambda line: line.why),
            "refused": rows(self.refused, lambda line: line.why),
        }


class _Blocked(Exception):
    def __init__(self, count):
        self.count = count


class NotApplied(Exception):
    """Nothing was written: ``plan`` says why, operation by operation."""

    def __init__(self, plan, message):
        self.plan = plan
        super().__init__(message)


def describe(action, params):
    """The change, in a sentence: the heading of its review and of its summary."""
    if action == Action.OWNER:
        return _("Give them to %(person)s as owner") % {"person": display_name(params["owner"])}
    if action == Action.TEAM:
        values = {"team": params["team"].name}
        if params.get("team_owner"):
            values["person"] = display_name(params["team_owner"])
            return _("Move them to %(team)s, owned by %(person)s") % values
        return _("Move them to %(team)s") % values
    if action == Action.MOVE:
        return _("Move them to %(phase)s") % {"phase": Phase(params["to_phase"]).label}
    if action == Action.SNOOZE:
        return _("Snooze their open flags until %(day)s (or ask a manager to)") % {
            "day": day(params["until"])
        }
    return _("Grant the snoozes asked for")


# --- choosing what to change ------------------------------------------------------------


class BulkForm(SafeForm):
    """The change asked for, and the operations it is for: ticked on the list (each as
    "id:version", the version the list showed) or every one matching its filters."""

    action = forms.ChoiceField(
        label=gettext_lazy("Change"),
        choices=Action.choices,
        error_messages={"required": gettext_lazy("Choose what to change.")},
    )
    everything = forms.BooleanField(required=False)
    filters = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)
    # Typed, with suggestions (people_search), not a list of everyone: thousands of
    # people made these two pickers most of a list page's weight.
    owner = PersonLookupField(
        label=gettext_lazy("New owner"),
        queryset=User.objects.none(),
        required=False,
        widget=PersonSearch,
        help_text=gettext_lazy(
            "Type part of a name and pick from the suggestions, or type a username or an email."
        ),
    )
    team = forms.ModelChoiceField(
        label=gettext_lazy("New team"),
        queryset=Team.objects.none(),
        required=False,
        empty_label=gettext_lazy("Choose a team"),
        # 2,000 teams at 1,000,000 operations: rendered through the option template,
        # they took 1.8 s of the list page.
        widget=QuickSelect(label_field="name"),
    )
    team_owner = PersonLookupField(
        label=gettext_lazy("Owner in the new team"),
        queryset=User.objects.none(),
        required=False,
        widget=PersonSearch,
        help_text=gettext_lazy(
            "Someone of the new team, typed as for the owner; empty: each keeps its owner."
        ),
    )
    to_phase = forms.ChoiceField(
        label=gettext_lazy("Move to"),
        choices=[("", gettext_lazy("Choose a phase")), *Phase.choices],
        required=False,
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    until = forms.DateField(
        label=gettext_lazy("Until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": gettext_lazy("Enter a date.")},
    )
    reason = forms.CharField(label=gettext_lazy("Why"), required=False, max_length=REASON_MAX)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        people = access.assignable_owners(user).select_related("profile")
        search = reverse("operations:people_search")
        for name in ("owner", "team_owner"):
            self.fields[name].queryset = people
            self.fields[name].widget.search_url = search
            self.fields[name].widget.attrs["aria-describedby"] = self[name].auto_id + "_help"
        self.fields["team"].queryset = access.editable_teams(user).order_by("name")
        if not self.is_bound:
            self.fields["until"].initial = timezone.localdate() + timedelta(days=30)

    def clean(self):
        cleaned = super().clean()
        action = cleaned.get("action")
        need = {
            Action.OWNER: {"owner": _("Choose the new owner.")},
            Action.TEAM: {"team": _("Choose the team they move to.")},
            Action.MOVE: {"to_phase": _("Choose the phase they move to.")},
            Action.SNOOZE: {
                "until": _("Choose until when."),
                "reason": _("Say why these flags can wait."),
            },
        }.get(action, {})
        for name, message in need.items():
            if not cleaned.get(name) and name not in self.errors:
                self.add_error(name, message)
        if action == Action.SNOOZE and cleaned.get("until"):
            try:
                exemptions.check_until(cleaned["until"])
            except exemptions.ExemptionError as exc:
                self.add_error("until", str(exc))
        team, owner = cleaned.get("team"), cleaned.get("team_owner")
        if action == Action.TEAM and team and owner:
            if not Membership.objects.filter(team=team, user=owner).exists():
                self.add_error(
                    "team_owner",
                    _("%(person)s is not in %(team)s; choose someone from the team.")
                    % {"person": display_name(owner), "team": team.name},
                )
        cleaned["note"] = (cleaned.get("note") or "").strip()
        cleaned["reason"] = (cleaned.get("reason") or "").strip()
        return cleaned

    def params(self):
        action = self.cleaned_data["action"]
        return {name: self.cleaned_data.get(name) for name in FIELDS[action]}


def people_to_assign(user, text):
    """The first SEARCH_LIMIT people, by name, whom ``user`` may name owner
    (access.assignable_owners) and whose names, username or email hold what was typed:
    the suggestions of the bulk bar's owner boxes."""
    people = matching(access.assignable_owners(user), text).select_related("profile")
    return people.order_by("first_name", "last_name", "username")[:SEARCH_LIMIT]


# The fields each change asks for.
FIELDS = {
    Action.OWNER: ("owner",),
    Action.TEAM: ("team", "team_owner"),
    Action.MOVE: ("to_phase", "note"),
    Action.SNOOZE: ("until", "reason"),
    Action.GRANT: (),
}


def parse_selection(values):
    """{id: version seen or None} of "id:version" values, in order; None when one of them
    is not of that form (a page that was not ours)."""
    selection = {}
    for value in values:
        match = SELECTED.fullmatch(value.strip())
        if match is None:
            return None
        pk, version = int(match[1]), match[2]
        selection.setdefault(pk, int(version) if version is not None else None)
    return selection


class SelectionError(ValueError):
    pass


def selection_of(user, data, form):
    """The operations a bulk form is about: those ticked, or all that match the filters
    it carries. Raises SelectionError with a message for the person."""
    from .lists import filtered_operations

    if form.cleaned_data.get("everything"):
        from django.http import QueryDict

        _filters, queryset = filtered_operations(user, QueryDict(form.cleaned_data["filters"]))
        rows = list(queryset.values_list("pk", "version")[: MAX_OPERATIONS + 1])
        selection = {pk: version for pk, version in rows}
        count = len(selection) if len(rows) <= MAX_OPERATIONS else queryset.count()
    else:
        selection = parse_selection(data.getlist("ids"))
        if selection is None:
            raise SelectionError(
                _("The selection was not understood: go back to the list and select again.")
            )
        count = len(selection)
    if not selection:
        raise SelectionError(_("Select at least one operation first."))
    if count > MAX_OPERATIONS:
        raise SelectionError(
            _(
                "At most %(max)s operations can be changed at once, and %(count)s are "
                "selected: narrow the filters and change them in parts."
            )
            % {"max": grouped(MAX_OPERATIONS), "count": grouped(count)}
        )
    return selection


# --- the plan -------------------------------------------------------------------------------


def not_in_team(operation):
    return _("You are not in %(team)s, which runs it.") % {"team": operation.team.name}


def plan(user, action, params, selection, *, lock=False):
    """What the change would do to each selected operation (see the module's text).

    ``lock``: the rows are locked for the rest of the transaction, and an operation
    changed since the person saw it is refused (when confirming); otherwise it is only
    marked ``stale``, its current state shown for them to check.
    """
    operations = Operation.objects.select_related("team", "owner__profile")
    if lock:
        operations = operations.select_for_update(of=("self",))
    # in the order of the ids: two bulk changes of the same rows lock them in one order
    # and wait for each other instead of deadlocking
    found = {op.pk: op for op in operations.filter(pk__in=list(selection)).order_by("pk")}
    lines = []
    for pk, seen in selection.items():
        line = Line(pk=pk, seen=seen, operation=found.get(pk))
        if line.operation is None:
            line.refuse(_("There is no operation with this number (any more)."))
        elif seen is not None and seen != line.operation.version:
            line.stale = True
            if lock:
                line.refuse(
                    _("Someone else changed it since you reviewed the change: review it again.")
                )
        lines.append(line)
    open_lines = [line for line in lines if line.status == CHANGE]
    PLANNERS[action](user, params, open_lines, lock)
    return Plan(action=action, params=params, lines=lines)


def _plan_owner(user, params, lines, lock):
    person = params["owner"]
    teams = set(Membership.objects.filter(user=person).values_list("team_id", flat=True))
    for line in lines:
        op = line.operation
        line.now, line.after = display_name(op.owner), display_name(person)
        if not access.can_manage_operation(user, op):
            line.refuse(_("Only a manager of %(team)s can reassign its owner.") % _team(op))
        elif op.owner_id == person.pk:
            line.skip(_("%(person)s already owns it.") % {"person": display_name(person)})
        elif op.team_id not in teams:
            line.refuse(
                _("%(person)s is not in %(team)s; choose someone from the team.")
                % {"person": display_name(person), "team": op.team.name}
            )


def _team(operation):
    return {"team": operation.team.name}


def _plan_team(user, params, lines, lock):
    target, owner = params["team"], params.get("team_owner")
    owners_there = set(
        Membership.objects.filter(
            team=target, user_id__in={line.operation.owner_id for line in lines}
        ).values_list("user_id", flat=True)
    )
    names = {
        normalize_name(name).lower()
        for name in Operation.objects.filter(team=target).values_list("name", flat=True)
    }
    for line in lines:
        op = line.operation
        line.now, line.after = op.team.name, target.name
        if owner is not None:
            line.now = f"{op.team.name} · {display_name(op.owner)}"
            line.after = f"{target.name} · {display_name(owner)}"
        name = normalize_name(op.name).lower()
        if not access.can_manage_operation(user, op):
            line.refuse(_("Only a manager of %(team)s can move it to another team.") % _team(op))
        elif op.team_id == target.pk:
            line.skip(_("It is in %(team)s already.") % {"team": target.name})
        elif name in names:
            # taken there, or by another operation of this change
            line.refuse(name_taken(target, op.name))
        elif owner is None and op.owner_id not in owners_there:
            line.refuse(
                _("Its owner, %(person)s, is not in %(team)s: choose an owner in the new team too.")
                % {"person": display_name(op.owner), "team": target.name}
            )
        if line.status == CHANGE:
            names.add(name)


def _plan_move(user, params, lines, lock):
    to_phase, note = params["to_phase"], params.get("note", "")
    criteria = {}
    for criterion_id, phase in PhaseCriterion.objects.filter(is_active=True).values_list(
        "pk", "phase"
    ):
        criteria.setdefault(phase, set()).add(criterion_id)
    ticked = {}
    for op_id, criterion_id in (
        CriterionCheck.objects.current()
        .filter(operation_id__in=[line.pk for line in lines])
        .values_list("operation_id", "criterion_id")
    ):
        ticked.setdefault(op_id, set()).add(criterion_id)
    for line in lines:
        op = line.operation
        line.now, line.after = op.get_phase_display(), Phase(to_phase).label
        if not access.can_edit_operation(user, op):
            line.refuse(not_in_team(op))
            continue
        if not access.can_move(user, op, to_phase):
            line.refuse(_("Only a manager of the team can retire or reinstate."))
            continue
        if op.phase == to_phase:
            line.skip(_("It is in %(phase)s already.") % {"phase": line.after})
            continue
        unmet = len(criteria.get(op.phase, set()) - ticked.get(op.pk, set()))
        try:
            move = classify_move(op.phase, to_phase, unmet)
        except IllegalMove as exc:
            line.refuse(str(exc))
            continue
        if move.needs_note and not note:
            line.refuse(move.why_note)


def _flags_by_operation(flags, lines, lock):
    if lock:
        flags = flags.select_for_update()
    by_operation = {}
    for flag in flags.filter(operation_id__in=[line.pk for line in lines]).order_by("kind"):
        by_operation.setdefault(flag.operation_id, []).append(flag)
    return by_operation


def _kinds(flags):
    return listing(flag.get_kind_display() for flag in flags)


def _plan_snooze(user, params, lines, lock):
    until = params["until"]
    flags = _flags_by_operation(Flag.objects.current(), lines, lock)
    for line in lines:
        op = line.operation
        mine = flags.get(op.pk, [])
        line.now = _kinds(mine) or "—"
        if not access.can_edit_operation(user, op):
            line.refuse(not_in_team(op))
        elif not mine:
            line.skip(_("It has no open flag to snooze."))
        elif access.can_manage_operation(user, op):
            line.flags = mine
            line.after = _("Snoozed until %(day)s.") % {"day": day(until)}
        else:
            line.flags = [flag for flag in mine if not flag.snooze_requested]
            if not line.flags:
                line.skip(_("A snooze of its flags is asked for already."))
            else:
                line.after = _("Asked a manager to snooze it until %(day)s.") % {"day": day(until)}
                line.now = _kinds(line.flags)


def _plan_grant(user, params, lines, lock):
    flags = _flags_by_operation(Flag.objects.open().filter(snooze_requested=True), lines, lock)
    asked = {}
    requests = FlagExemption.objects.filter(
        flag_id__in=[flag.pk for group in flags.values() for flag in group],
        action=ExemptionAction.REQUESTED,
    ).order_by("at", "id")
    for request in requests:
        asked[request.flag_id] = request  # the latest one wins
    today = timezone.localdate()
    for line in lines:
        op = line.operation
        mine = [flag for flag in flags.get(op.pk, []) if flag.pk in asked]
        line.now = _kinds(mine) or "—"
        if not access.can_manage_operation(user, op):
            line.refuse(_("Only a manager of %(team)s can grant snoozes.") % _team(op))
        elif not mine:
            line.skip(_("Nobody asked to snooze its flags."))
        elif any(asked[flag.pk].until is None or asked[flag.pk].until <= today for flag in mine):
            line.refuse(_("The snooze asked for ends today or before: ask for it again."))
        else:
            line.grants = [(flag, asked[flag.pk].until, asked[flag.pk].reason) for flag in mine]
            days = sorted({until for _flag, until, _reason in line.grants})
            line.after = _("Snoozed until %(day)s.") % {"day": listing(day(d) for d in days)}


PLANNERS = {
    Action.OWNER: _plan_owner,
    Action.TEAM: _plan_team,
    Action.MOVE: _plan_move,
    Action.SNOOZE: _plan_snooze,
    Action.GRANT: _plan_grant,
}


# --- doing it ---------------------------------------------------------------------------------


def apply(user, action, params, selection, confirmed):
    """Make the change to the ``confirmed`` operations (ids), all or none.

    Raises NotApplied, and writes nothing, when any confirmed operation would now be
    refused or left as it is. The others of the selection are left as they are.
    """
    try:
        with transaction.atomic():
            result = plan(user, action, params, selection, lock=True)
            blocked = [line for line in result.lines if line.pk in confirmed]
            blocked = [line for line in blocked if line.status != CHANGE]
            if blocked:
                raise _Blocked(len(blocked))
            for line in result.changes:
                if line.pk not in confirmed:
                    line.skip(_("It was not among the operations you confirmed."))
            _write(user, action, params, result.changes)
    except _Blocked as exc:
        message = _blocked_message(exc.count)
    except (EditConflict, IllegalMove, exemptions.ExemptionError, ValidationError) as exc:
        # What the services refuse that the plan could not foresee (a name taken by a
        # save at the same moment): said as they say it.
        message = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
    else:
        message = None
    if message is not None:
        # Nothing was written. The plan as it stands now, unlocked: an operation changed
        # meanwhile is shown as it is now, to be checked and confirmed again.
        raise NotApplied(plan(user, action, params, selection), message)
    if action in (Action.OWNER, Action.TEAM, Action.MOVE):
        services.refresh_flags_of(line.pk for line in result.changes)
    return result


def _blocked_message(count):
    return ngettext(
        "Nothing was changed: %(count)s operation was changed by someone else meanwhile, "
        "or can no longer be changed as you confirmed. Here is the change as it stands "
        "now: review it and confirm again.",
        "Nothing was changed: %(count)s operations were changed by someone else "
        "meanwhile, or can no longer be changed as you confirmed. Here is the change as "
        "it stands now: review it and confirm again.",
        count,
    ) % {"count": count}


def _write(user, action, params, lines):
    if not lines:
        return
    if action == Action.OWNER:
        items = [(line.operation, {"owner": params["owner"]}, None) for line in lines]
        services.update_operations(items, by=user, announce=True)
    elif action == Action.TEAM:
        changes = {"team": params["team"]}
        if params.get("team_owner"):
            changes["owner"] = params["team_owner"]
        items = [(line.operation, dict(changes), None) for line in lines]
        services.update_operations(items, by=user, announce=True)
    elif action == Action.MOVE:
        items = [(line.operation, params["to_phase"], params["note"], None) for line in lines]
        services.move_phases(items, by=user)
    elif action == Action.SNOOZE:
        until, reason = params["until"], params["reason"]
        grants, asks = [], []
        for line in lines:
            if access.can_manage_operation(user, line.operation):
                grants += [(flag, until, reason) for flag in line.flags]
            else:
                asks += line.flags
        if grants:
            exemptions.grant_snoozes(grants, by=user)
        if asks:
            exemptions.request_snoozes(asks, by=user, until=until, reason=reason)
    elif action == Action.GRANT:
        exemptions.grant_snoozes([grant for line in lines for grant in line.grants], by=user)
