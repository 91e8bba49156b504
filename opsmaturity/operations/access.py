"""Who may do what with an operation. One helper per kind of access.

Every signed-in user may read every operation. Members change the operations
of their teams; managers of the team also reassign owners and retire or
reinstate; staff may do everything. Views use the ``get_*_or_deny`` helpers:
a missing operation is a 404, a forbidden change a 403.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from opsmaturity.teams.models import Role, Team
from opsmaturity.teams.roles import team_roles

from .models import Operation


def team_role(user, team_id):
    """'manager', 'member' or None for one team."""
    return team_roles(user).get(team_id)


def can_edit(user, operation):
    return user.is_staff or team_role(user, operation.team_id) is not None


def can_manage(user, operation):
    """Reassign the owner, retire, reinstate."""
    return user.is_staff or team_role(user, operation.team_id) == Role.MANAGER


def editable_teams(user):
    """Teams in which the user may record operations."""
    if user.is_staff:
        return Team.objects.all()
    return Team.objects.for_user(user)


def get_operation_or_404(pk):
    return get_object_or_404(Operation.objects.select_related("team", "owner"), pk=pk)


def get_operation_for_edit(user, pk):
    operation = get_operation_or_404(pk)
    if not can_edit(user, operation):
        raise PermissionDenied
    return operation
