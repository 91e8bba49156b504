"""A person's role in each team, looked up once per request: every access check uses it."""

from .models import Role


def team_roles(user):
    """{team id: 'manager' or 'member'} for the user; cached on the user for the request."""
    roles = getattr(user, "_team_roles", None)
    if roles is None:
        roles = (
            dict(user.memberships.values_list("team_id", "role")) if user.is_authenticated else {}
        )
        user._team_roles = roles
    return roles


def managed_team_ids(user):
    return {team_id for team_id, role in team_roles(user).items() if role == Role.MANAGER}


def is_manager(user):
    """Staff, or a manager of at least one team."""
    return user.is_staff or bool(managed_team_ids(user))
