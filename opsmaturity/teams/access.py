"""Who may do what: the one place every view, form, admin and service asks.

Roles: a person is a *member* or a *manager* of each of their teams; *staff* may do
everything. Every signed-in person may read every operation and the team plan.

- Operations: the members of its team (any role) edit it, tick its criteria, move
  it forward, backward or skip, and ask for a snooze of its flags; a manager of
  its team also reassigns its owner or team, retires and reinstates it, and grants,
  declines or lifts snoozes.
- The team plan: people propose their own levels and keep their own learning
  plans; a manager of one of a person's teams confirms that person's levels (never
  their own) and keeps their plans; any manager keeps the shared skill catalogue;
  the managers of a team keep its roles; staff keep the organisation-wide ones.
- A weekly digest is previewed by its reader, or by staff for anyone.
- A spreadsheet is imported by staff into any team, by a manager into their teams;
  anyone signed in may export what the list shows them.
- Teams: staff create, rename and archive them; a team's page is read by its people
  and staff; its managers (and staff) add and remove people, set their roles and
  invite (as member or manager). Nobody raises their own role; an archived team
  takes no new operations nor invitations (it keeps its operations, people and plan).
- People who leave: staff, or a manager of one of the person's teams, sees the people
  list, deactivates the person (never themselves, and a manager never staff) and
  reassigns their operations (each one only where they may reassign its owner);
  only staff reactivate someone who left.
- Campaigns: everyone signed in reads them; staff and the managers of the teams a
  campaign covers start it, change its operations and close it.
- A team's future (goals at 1, 3, 5 years, roles): everyone signed in reads it; its
  people propose and comment; its managers accept or decline, with a reason.

The questions take plain objects and look only at their ids (``team_id``,
``user_id``), so this module imports no other app. A person's roles are read once
per request and kept on the user object. ``get_or_deny`` turns an answer into the
HTTP one: a missing object is a 404, a forbidden change a 403.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404

from .models import Membership, Role, Team

RETIRE = "retire"  # the phase key (operations.phases.Phase.RETIRE), without the import


# --- a person's roles ----------------------------------------------------------------


def team_roles(user):
    """{team id: 'manager' or 'member'}; read once, then kept on the user for the request."""
    roles = getattr(user, "_team_roles", None)
    if roles is None:
        roles = (
            dict(user.memberships.values_list("team_id", "role")) if user.is_authenticated else {}
        )
        user._team_roles = roles
    return roles


def member_team_ids(user):
    """The teams a person is in, in any role."""
    return set(team_roles(user))


def managed_team_ids(user):
    """The teams a person manages (not every team for staff: use the querysets below)."""
    return {team_id for team_id, role in team_roles(user).items() if role == Role.MANAGER}


def is_manager(user):
    """Staff, or a manager of at least one team: who sees the dashboard first."""
    return user.is_authenticated and (user.is_staff or bool(managed_team_ids(user)))


def manages_team(user, team_id):
    return user.is_staff or team_id in managed_team_ids(user)


def in_team(user, team_id):
    return user.is_staff or team_id in team_roles(user)


# --- teams -----------------------------------------------------------------------------


def visible_teams(user):
    """The teams a person looks at on the dashboard: all for staff, else their own."""
    if user.is_staff:
        return Team.objects.all()
    return Team.objects.filter(pk__in=member_team_ids(user))


def readable_teams(user):
    """The teams, and their members, a person may read through the API: every team for
    anyone signed in, as the list's filters name every team and every operation names
    its people."""
    if not user.is_authenticated:
        return Team.objects.none()
    return Team.objects.all()


def editable_teams(user):
    """The teams in which a person may record operations: not the archived ones."""
    return visible_teams(user).filter(archived_at__isnull=True)


def managed_teams(user):
    """The teams a person is a manager of (for staff too: only those)."""
    return Team.objects.filter(pk__in=managed_team_ids(user))


# --- operations ------------------------------------------------------------------------


def can_edit_operation(user, operation):
    """Edit, tick criteria, move (but not retire or reinstate), ask for a snooze."""
    return in_team(user, operation.team_id)


def can_tick_criteria(user, operation):
    """Tick or untick its exit criteria (those people tick), or give the runbook's link
    the data's criterion asks for: whoever may edit it."""
    return can_edit_operation(user, operation)


def can_manage_operation(user, operation):
    """Reassign the owner or the team, retire, reinstate, decide on snoozes."""
    return manages_team(user, operation.team_id)


def can_move(user, operation, to_phase):
    """Whether a person may make this move at all (the rules then say whether it is a
    legal move, and whether it needs a note)."""
    if RETIRE in (to_phase, operation.phase):
        return can_manage_operation(user, operation)
    return can_edit_operation(user, operation)


def can_change_in_bulk(user):
    """Whether the list offers changes to the selected operations: to anyone in a team
    and to staff (each operation then asks the questions above, one by one)."""
    return user.is_authenticated and (user.is_staff or bool(team_roles(user)))


def can_reassign_in_bulk(user):
    """Whether the list offers to change owners and teams, and to grant snoozes."""
    return user.is_authenticated and (user.is_staff or bool(managed_team_ids(user)))


def assignable_owners(user):
    """The people a person may name owner of operations they manage: the active people
    of the teams they manage (of every team for staff). Each operation still asks that
    its owner be in its team."""
    people = get_user_model().objects.filter(is_active=True)
    if user.is_staff:
        return people.filter(pk__in=Membership.objects.values("user_id"))
    return people.filter(pk__in=managed_people(user))


def move_targets(user, operation, phases):
    """The phases, of ``phases`` in order, a person may move the operation to."""
    return [p for p in phases if p != operation.phase and can_move(user, operation, p)]


# --- import and export ------------------------------------------------------------------


def can_import(user):
    """Bring a spreadsheet in: staff for any team, managers for the teams they manage."""
    return user.is_authenticated and (user.is_staff or bool(managed_team_ids(user)))


def may_create_missing(user):
    """An import that makes the teams and accounts its file names and nobody has: staff."""
    return user.is_authenticated and user.is_staff


def may_import_to(user, team_id):
    """Whether an import may create, change or move operations into or out of a team."""
    return user.is_staff or team_id in managed_team_ids(user)


# --- the team plan ---------------------------------------------------------------------


def can_edit_skills(user):
    """The skill catalogue is shared: any manager may add to it and correct it."""
    return is_manager(user)


def can_edit_role(user, role):
    """A team's roles by its managers; the organisation-wide ones by staff."""
    if user.is_staff:
        return True
    return role.team_id is not None and role.team_id in managed_team_ids(user)


def can_create_roles(user):
    return user.is_staff or bool(managed_team_ids(user))


def role_teams(user):
    """Teams for which a person may keep roles: all for staff."""
    if user.is_staff:
        return Team.objects.all()
    return managed_teams(user)


def managed_people(user):
    """The ids of the people in the teams a person manages (a subquery)."""
    return Membership.objects.filter(team_id__in=managed_team_ids(user)).values("user_id")


def manages_person(user, person_id):
    """Whether a person manages one of the teams another person is in."""
    managed = managed_team_ids(user)
    if not managed:
        return False
    return Membership.objects.filter(user_id=person_id, team_id__in=managed).exists()


def can_confirm_level(user, skill_level):
    """Staff, or a manager of one of the person's teams; nobody confirms their own level."""
    if user.is_staff:
        return True
    return skill_level.user_id != user.pk and manages_person(user, skill_level.user_id)


def confirmable_levels(user, levels):
    """Of ``levels`` (a SkillLevel queryset), those the person may confirm."""
    if user.is_staff:
        return levels
    return levels.filter(user_id__in=managed_people(user)).exclude(user_id=user.pk)


def can_edit_plan(user, plan):
    return user.is_staff or plan.user_id == user.pk or manages_person(user, plan.user_id)


def can_plan_in(user, team_id):
    """Whether a person may keep learning plans from a team's gap view."""
    return in_team(user, team_id)


def plannable_people(user):
    """People for whom a person may keep learning plans: themselves and whom they manage."""
    people = get_user_model().objects.filter(is_active=True)
    if user.is_staff:
        return people
    return people.filter(Q(pk__in=managed_people(user)) | Q(pk=user.pk))


# --- teams and their people ---------------------------------------------------------------

ROLE_RANK = {"member": 0, "manager": 1}


def can_administer_teams(user):
    """Create, rename, archive and restore teams."""
    return user.is_staff


def seen_teams(user):
    """The team pages a person may open: their own teams, every team for staff."""
    return visible_teams(user)


def can_manage_members(user, team):
    """Add and remove people, set roles, see and handle invitations."""
    return manages_team(user, team.pk)


def can_set_role(user, membership, role):
    """A team's managers set roles; nobody raises their own (staff neither)."""
    if not manages_team(user, membership.team_id):
        return False
    raises = ROLE_RANK.get(role, 0) > ROLE_RANK.get(membership.role, 0)
    return not (membership.user_id == user.pk and raises)


def can_invite(user, team):
    """A team's managers and staff invite, to a team that is not archived."""
    return can_manage_members(user, team) and team.archived_at is None


def invitable_roles(user, team):
    """The roles a person may invite with: a manager may invite managers to their own
    team; members invite nobody."""
    return ["member", "manager"] if can_invite(user, team) else []


def can_revoke_invitation(user, invitation):
    return can_manage_members(user, invitation.team)


def can_resend_invitation(user, invitation):
    """Whoever may invite to its team (so, not to an archived one)."""
    return can_invite(user, invitation.team)


# --- digests -----------------------------------------------------------------------------


def can_preview_digest(user, person_id):
    return user.is_staff or person_id == user.pk


# --- people who leave -------------------------------------------------------------------


def can_see_people(user):
    """The people list: staff, and managers (who see the people of their teams)."""
    return is_manager(user)


def visible_people(user):
    """The people a person sees on the people list: everyone for staff, else the
    people of the teams they manage."""
    people = get_user_model().objects.all()
    if user.is_staff:
        return people
    return people.filter(pk__in=managed_people(user))


def can_offboard(user, person):
    """Deactivate someone: staff, or a manager of one of their teams; never oneself,
    and a manager who is not staff never deactivates staff."""
    return _may_offboard(user, person, lambda: manages_person(user, person.pk))


def _may_offboard(user, person, manages):
    if not user.is_authenticated or person.pk == user.pk:
        return False
    if user.is_staff:
        return True
    return not person.is_staff and manages()


def can_reactivate(user, person):
    """Bring back someone who left: staff only, and never oneself."""
    return user.is_authenticated and user.is_staff and person.pk != user.pk


def can_reassign_from(user, person):
    """Open the page that hands one person's operations over to others (each operation
    then asks can_manage_operation)."""
    return user.is_authenticated and (user.is_staff or manages_person(user, person.pk))


def people_rights(user, people):
    """{person id: (can_offboard, can_reactivate, can_reassign_from)} for a page of
    people, in at most one query."""
    managed = set()
    if not user.is_staff and managed_team_ids(user):
        managed = set(
            Membership.objects.filter(
                team_id__in=managed_team_ids(user), user_id__in=[p.pk for p in people]
            ).values_list("user_id", flat=True)
        )
    return {
        p.pk: (
            _may_offboard(user, p, lambda p=p: p.pk in managed),
            can_reactivate(user, p),
            user.is_staff or p.pk in managed,
        )
        for p in people
    }


# --- campaigns ---------------------------------------------------------------------------


def can_create_campaign_for(user, team_ids):
    """Staff, or a manager of every team the campaign covers."""
    team_ids = set(team_ids)
    return user.is_staff or (bool(team_ids) and team_ids <= managed_team_ids(user))


def can_start_campaigns(user):
    return user.is_authenticated and (user.is_staff or bool(managed_team_ids(user)))


def campaign_teams(user):
    """The teams a person may start a campaign for: all for staff, else those they manage."""
    return role_teams(user)


def can_manage_campaign(user, campaign):
    """Close it early, add or remove operations: staff, or a manager of every one of its
    teams (``campaign.teams`` prefetched, or asked once)."""
    return can_create_campaign_for(user, {team.pk for team in campaign.teams.all()})


def can_plan_future(user, team_id):
    """Propose goals or roles for a team's future, and comment on them: its people."""
    return in_team(user, team_id)


def can_decide_future(user, team_id):
    """Accept or decline a proposal for a team's future: its managers (and staff)."""
    return manages_team(user, team_id)


def can_read_campaigns(user):
    """Everyone signed in reads every campaign, as they read every operation."""
    return user.is_authenticated


# --- API tokens --------------------------------------------------------------------------


def can_revoke_token(user, token):
    """A personal API token is its owner's alone to revoke (staff too, for anyone)."""
    return user.is_staff or token.user_id == user.pk


# --- webhooks ------------------------------------------------------------------------------


def can_manage_webhooks(user):
    """Webhook endpoints send the organisation's events outside it: staff keep them."""
    return user.is_authenticated and user.is_staff


def chat_teams(user):
    """The teams whose Slack or Microsoft Teams channels a person keeps: the ones they
    manage (every team for staff)."""
    if user.is_staff:
        return Team.objects.all()
    return managed_teams(user)


def can_manage_chat(user, team_id):
    return manages_team(user, team_id)


def can_manage_endpoint(user, endpoint):
    """A signed webhook is staff's; a chat channel its team's managers' (and staff's)."""
    if endpoint.team_id is None:
        return can_manage_webhooks(user)
    return can_manage_chat(user, endpoint.team_id)


def can_see_integrations(user):
    """The integrations page: staff's webhooks, and the chat channels of managed teams."""
    return can_manage_webhooks(user) or chat_teams(user).exists()


# --- the admin ---------------------------------------------------------------------------


def may_use_admin(user):
    """Staff administer; managers browse their teams read-only."""
    return user.is_active and is_manager(user)


def admin_read_only(user):
    """A manager who is not staff: the admin shows them their teams, read-only."""
    return not user.is_staff and bool(managed_team_ids(user))


# --- from an answer to HTTP ----------------------------------------------------------------


def get_or_deny(queryset, pk, allowed, user):
    """The object, 404 when it does not exist, 403 when ``allowed(user, obj)`` says no."""
    obj = get_object_or_404(queryset, pk=pk)
    if not allowed(user, obj):
        raise PermissionDenied
    return obj


def require(allowed, message=""):
    """Raise a 403 with ``message`` unless ``allowed``."""
    if not allowed:
        raise PermissionDenied(message)
