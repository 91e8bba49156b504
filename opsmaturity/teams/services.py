"""Every change to a team and its people, each in one transaction with its record.

Changes to one team's people are serialised by locking the team's row first, then its
memberships: two managers demoting each other at the same moment cannot both win and
leave the team with no manager (the second one finds the first change done, and is
refused). Each change writes a ``MembershipChange`` row in the same transaction.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opsmaturity.lib.text import same_name

from .models import ChangeKind, Membership, MembershipChange, Role, Team


class TeamRuleError(Exception):
    """A change the rules refuse; the message says why, to the person who asked."""

    def __init__(self, message, field=None):
        self.field = field
        super().__init__(message)


def record(team, kind, by, **facts):
    return MembershipChange.objects.create(team=team, kind=kind, by=by, **facts)


def _name_free(name, exclude_pk=None):
    if same_name(Team.objects.all(), name, exclude_pk=exclude_pk) is not None:
        raise TeamRuleError(_("A team with this name already exists."), field="name")


def _lock_team(team_id):
    return Team.objects.select_for_update().get(pk=team_id)


def create_team(*, name, description="", manager=None, by):
    """A new team; with ``manager``, its first manager (a team should have one)."""
    try:
        with transaction.atomic():
            _name_free(name)
            team = Team.objects.create(name=name, description=description)
            record(team, ChangeKind.CREATED, by, new_name=name)
            if manager is not None:
                Membership.objects.create(team=team, user=manager, role=Role.MANAGER)
                record(team, ChangeKind.ADDED, by, person=manager, to_role=Role.MANAGER)
    except IntegrityError as exc:  # the same name saved by someone else meanwhile
        raise TeamRuleError(_("A team with this name already exists."), field="name") from exc
    return team


def rename_team(team, *, name, description=None, by):
    try:
        with transaction.atomic():
            current = _lock_team(team.pk)
            _name_free(name, exclude_pk=current.pk)
            fields = []
            if current.name != name:
                record(current, ChangeKind.RENAMED, by, old_name=current.name, new_name=name)
                current.name = name
                fields.append("name")
            if description is not None and description != current.description:
                current.description = description
                fields.append("description")
            if fields:
                current.save(update_fields=fields)
    except IntegrityError as exc:
        raise TeamRuleError(_("A team with this name already exists."), field="name") from exc
    return current


def set_archived(team, *, archived, by):
    """Archive a team (it keeps everything, and takes no new operations) or restore it."""
    with transaction.atomic():
        current = _lock_team(team.pk)
        if current.is_archived == archived:
            return current
        current.archived_at = timezone.now() if archived else None
        current.save(update_fields=["archived_at"])
        record(current, ChangeKind.ARCHIVED if archived else ChangeKind.RESTORED, by)
    return current


def _managers_left(team_id, without_user_id):
    return (
        Membership.objects.filter(team_id=team_id, role=Role.MANAGER)
        .exclude(user_id=without_user_id)
        .exists()
    )


def _lock_membership(team_id, membership_id):
    """The team's row, then the membership's, locked; None when it is gone meanwhile."""
    _lock_team(team_id)
    return (
        Membership.objects.select_for_update()
        .select_related("user", "team")
        .filter(team_id=team_id, pk=membership_id)
        .first()
    )


def last_manager_message():
    return _("A team always keeps at least one manager: make someone else a manager first.")


def add_member(team, *, person, role, by, kind=ChangeKind.ADDED):
    """Put a person in a team; refused when they already are in it."""
    try:
        with transaction.atomic():
            current = _lock_team(team.pk)
            if Membership.objects.filter(team=current, user=person).exists():
                raise TeamRuleError(_("This person is already in this team."), field="person")
            membership = Membership.objects.create(team=current, user=person, role=role)
            record(current, kind, by, person=person, to_role=role)
    except IntegrityError as exc:
        raise TeamRuleError(_("This person is already in this team."), field="person") from exc
    return membership


def set_role(membership, *, role, by):
    """Make a person a member or a manager of the team; never the last manager a member,
    and never anyone their own promoter."""
    with transaction.atomic():
        current = _lock_membership(membership.team_id, membership.pk)
        if current is None:
            raise TeamRuleError(_("This person is no longer in this team."))
        if current.role == role:
            return current
        if current.user_id == by.pk and role == Role.MANAGER:
            raise TeamRuleError(_("Nobody can raise their own role."), field="role")
        if current.role == Role.MANAGER and not _managers_left(current.team_id, current.user_id):
            raise TeamRuleError(last_manager_message(), field="role")
        record(
            current.team,
            ChangeKind.ROLE,
            by,
            person=current.user,
            from_role=current.role,
            to_role=role,
        )
        current.role = role
        current.save(update_fields=["role"])
    return current


def remove_member(membership, *, by):
    """Take a person out of the team; never its last manager."""
    with transaction.atomic():
        current = _lock_membership(membership.team_id, membership.pk)
        if current is None:
            raise TeamRuleError(_("This person is no longer in this team."))
        if current.role == Role.MANAGER and not _managers_left(current.team_id, current.user_id):
            raise TeamRuleError(last_manager_message())
        record(current.team, ChangeKind.REMOVED, by, person=current.user, from_role=current.role)
        current.delete()
    return current
