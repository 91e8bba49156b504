"""The reassign page's one form: every operation of one person, handed over in one step."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from opsmaturity.lib.forms import SafeForm
from opsmaturity.lib.people import display_name, person_label
from opsmaturity.teams.models import Membership

from .services import KEEP, REMOVE, HandOver

User = get_user_model()
AS_FOR_ALL = ""


class PeopleFilterForm(SafeForm):
    """The people list's filters, in the URL."""

    status = forms.ChoiceField(
        label=_("Show"),
        choices=[("", _("Everyone")), ("active", _("Active")), ("left", _("Who left"))],
        required=False,
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=200)


class Row:
    """One of the person's operations on the page: what they are on it, and its fields."""

    def __init__(self, operation, person, editable, candidates):
        self.operation = operation
        self.owns = operation.owner_id == person.pk
        self.performs = operation.person_performs
        self.editable = editable
        # Active members of the operation's team, the person apart: who may own it.
        self.candidates = candidates
        self.owner_field = f"owner-{operation.pk}"
        self.performer_field = f"performer-{operation.pk}"
        self.version_field = f"version-{operation.pk}"

    def bind(self, form):
        self.owner = form[self.owner_field] if self.owner_field in form.fields else None
        self.performer = form[self.performer_field] if self.performer_field in form.fields else None
        self.version = form[self.version_field] if self.version_field in form.fields else None


def _choices(people):
    return [(str(p.pk), person_label(p)) for p in people]


def _performer_choices(name, people):
    return [
        (KEEP, _("Keep %(name)s") % {"name": name}),
        (REMOVE, _("Remove %(name)s") % {"name": name}),
    ] + [(str(p.pk), _("Replace with %(name)s") % {"name": person_label(p)}) for p in people]


class ReassignForm(SafeForm):
    """A new owner for all (or one per operation), and what happens to the person's place
    among the performers: kept, removed, or given to someone else.

    Only the operations the signed-in person may reassign get fields; the others are
    listed for information. Every choice is one of the operation's own team: an owner
    must be able to own an operation of that team (operations.forms says the same).
    """

    all_owner = forms.ChoiceField(label=_("New owner of all"), required=False)
    all_performer = forms.ChoiceField(
        label=_("Their place as performer, everywhere"), required=False
    )

    def __init__(self, *args, person, rows, **kwargs):
        super().__init__(*args, **kwargs)
        self.person = person
        self.rows = rows
        name = display_name(person)
        everyone = {}
        for row in rows:
            if row.editable:
                everyone.update({p.pk: p for p in row.candidates})
        everyone = sorted(everyone.values(), key=_sort_key)
        self.people = {p.pk: p for p in everyone}
        self.fields["all_owner"].choices = [(AS_FOR_ALL, _("Keep the owner"))] + _choices(everyone)
        self.fields["all_performer"].choices = _performer_choices(name, everyone)
        self.fields["all_performer"].initial = KEEP
        for row in rows:
            if not row.editable:
                continue
            if row.owns:
                self.fields[row.owner_field] = forms.ChoiceField(
                    label=_("New owner of %(operation)s") % {"operation": row.operation.name},
                    required=False,
                    choices=[
                        (AS_FOR_ALL, _("As chosen for all")),
                        (KEEP, _("Keep %(name)s") % {"name": name}),
                    ]
                    + _choices(row.candidates),
                )
            if row.performs:
                self.fields[row.performer_field] = forms.ChoiceField(
                    label=_("%(name)s's place as performer of %(operation)s")
                    % {"name": name, "operation": row.operation.name},
                    required=False,
                    choices=[(AS_FOR_ALL, _("As chosen for all"))]
                    + _performer_choices(name, row.candidates),
                )
            if row.owns or row.performs:
                self.fields[row.version_field] = forms.IntegerField(
                    widget=forms.HiddenInput, initial=row.operation.version, min_value=0
                )
        for row in rows:
            row.bind(self)

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        handovers = []
        all_owner = cleaned.get("all_owner") or AS_FOR_ALL
        all_performer = cleaned.get("all_performer") or KEEP
        for row in self.rows:
            if not row.editable or (not row.owns and not row.performs):
                continue
            team_people = {str(p.pk): p for p in row.candidates}
            new_owner = None
            if row.owns:
                choice = cleaned.get(row.owner_field) or AS_FOR_ALL
                if choice == AS_FOR_ALL:
                    choice = all_owner or KEEP
                    if choice not in (KEEP, AS_FOR_ALL) and choice not in team_people:
                        self.add_error(row.owner_field, self._not_in_team(choice, row))
                        continue
                if choice not in (KEEP, AS_FOR_ALL):
                    new_owner = team_people[choice]
            performer = KEEP
            if row.performs:
                choice = cleaned.get(row.performer_field) or AS_FOR_ALL
                if choice == AS_FOR_ALL:
                    choice = all_performer
                    if choice not in (KEEP, REMOVE) and choice not in team_people:
                        self.add_error(row.performer_field, self._not_in_team(choice, row))
                        continue
                performer = choice if choice in (KEEP, REMOVE) else team_people[choice]
            handovers.append(
                HandOver(
                    operation=row.operation,
                    version=cleaned[row.version_field],
                    new_owner=new_owner,
                    performer=performer,
                )
            )
        if not self.errors and not any(h.changes_something for h in handovers):
            raise forms.ValidationError(
                _(
                    "Nothing to hand over: choose a new owner, or what happens to their place "
                    "as performer."
                )
            )
        cleaned["handovers"] = handovers
        return cleaned

    def _not_in_team(self, choice, row):
        chosen = self.people.get(int(choice))
        return _("%(person)s is not in %(team)s: choose someone from the team for this one.") % {
            "person": display_name(chosen) if chosen else "?",
            "team": row.operation.team.name,
        }


def _sort_key(person):
    return (person.first_name.lower(), person.last_name.lower(), person.username.lower())


def candidates_by_team(team_ids, person):
    """{team id: [active members, the person apart]}, in one query."""
    found = {team_id: [] for team_id in team_ids}
    memberships = (
        Membership.objects.filter(team_id__in=team_ids, user__is_active=True)
        .exclude(user_id=person.pk)
        .select_related("user")
    )
    for membership in memberships:
        found[membership.team_id].append(membership.user)
    for people in found.values():
        people.sort(key=_sort_key)
    return found
