"""A person's memberships follow their provider's groups (OIDC_GROUPS_CLAIM, OIDC_GROUP_MAP).

Only the teams the map names are the provider's to decide: in each of them the person
is a manager when any of their groups says so, else a member when any says that, else
not in the team. Memberships in teams the map does not name are left as they are, so
teams kept by hand and teams kept by the provider live side by side. A team always
keeps a manager: the last one stays until the provider names another who signs in.
"""

import logging

from django.conf import settings
from django.db import transaction

from opsmaturity.teams.models import ChangeKind, Membership, Role, Team
from opsmaturity.teams.services import record

log = logging.getLogger(__name__)

RANK = {Role.MEMBER: 1, Role.MANAGER: 2}


def groups_from_claims(claims):
    """The person's groups from the claim, or None when the claim is not there at all
    (then nothing is changed: a provider that sends no groups says nothing about them).

    The claim may be a dotted path into an object (Keycloak's ``realm_access.roles``);
    a single string is one group.
    """
    name = settings.OIDC_GROUPS_CLAIM
    if not name:
        return None
    value = claims
    for part in name.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    if isinstance(value, str):
        return {value}
    if isinstance(value, list | tuple):
        return {item for item in value if isinstance(item, str)}
    log.warning("The %s claim is neither a list nor a string: ignored", name)
    return None


def wanted_roles(groups):
    """{team name: role} the groups give, the higher role winning."""
    wanted = {}
    for group in groups:
        for team, role in settings.OIDC_GROUP_MAP.get(group, ()):
            if RANK[role] > RANK.get(wanted.get(team), 0):
                wanted[team] = Role(role)
    return wanted


def is_last_manager(membership):
    """A team always keeps a manager (the team is locked while this is asked)."""
    Team.objects.select_for_update().filter(pk=membership.team_id).first()
    return (
        not Membership.objects.filter(
            team_id=membership.team_id, role=Role.MANAGER, user__is_active=True
        )
        .exclude(pk=membership.pk)
        .exists()
    )


def mapped_team_names():
    return {team for targets in settings.OIDC_GROUP_MAP.values() for team, _ in targets}


@transaction.atomic
def follow_groups(user, groups):
    """Add, change and remove the person's memberships in the mapped teams.

    Each change is recorded in the team's history (teams.services.record) with nobody
    as its author: the provider made it. Returns the changes as (team, old role or None,
    new role or None), for the log and the message the person sees.
    """
    names = mapped_team_names()
    teams = {team.name: team for team in Team.objects.filter(name__in=names)}
    for missing in sorted(names - set(teams)):
        log.warning("OIDC_GROUP_MAP names the team %r, which does not exist", missing)
    wanted = wanted_roles(groups)
    current = {
        membership.team_id: membership
        for membership in Membership.objects.select_for_update().filter(
            user=user, team__in=list(teams.values())
        )
    }
    changes = []
    for name, team in sorted(teams.items()):
        role = wanted.get(name)
        membership = current.get(team.pk)
        if membership and membership.role == Role.MANAGER and role != Role.MANAGER:
            if is_last_manager(membership):
                log.warning(
                    "Single sign-on: %s stays a manager of %s, which would have none left",
                    user.username,
                    team.name,
                )
                continue
        if role and membership is None:
            Membership.objects.create(user=user, team=team, role=role)
            record(team, ChangeKind.ADDED, None, person=user, to_role=role)
            changes.append((team, None, role))
        elif role and membership.role != role:
            old = membership.role
            membership.role = role
            membership.save(update_fields=["role"])
            record(team, ChangeKind.ROLE, None, person=user, from_role=old, to_role=role)
            changes.append((team, Role(old), role))
        elif not role and membership is not None:
            membership.delete()
            record(team, ChangeKind.REMOVED, None, person=user, from_role=membership.role)
            changes.append((team, Role(membership.role), None))
    for team, old, new in changes:
        log.info(
            "Single sign-on: %s in %s: %s → %s (groups from the provider)",
            user.username,
            team.name,
            old or "not in the team",
            new or "not in the team",
        )
    return changes
