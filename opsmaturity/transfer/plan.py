"""What importing a table would do, row by row, before anything is written.

``build_plan`` reads every cell (columns.py), then resolves teams, people and the
operations the rows match in a fixed number of queries, whatever the number of
rows, and marks each row create, update, unchanged or error, with each error at
its cell and each update as old → new per field. ``apply_plan`` (importing.py)
then writes it through the operations' services.
"""

import copy
import hashlib
import json
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from opsmaturity.lib.clock import today
from opsmaturity.lib.text import normalize_name
from opsmaturity.maturity.moves import IllegalMove, classify_move
from opsmaturity.operations import criteria, purposes
from opsmaturity.operations.models import Operation
from opsmaturity.operations.phases import Phase
from opsmaturity.operations.services import since_error
from opsmaturity.teams import access
from opsmaturity.teams.models import Membership, Team

from .columns import BY_KEY, COLUMNS, REQUIRED, CellError, match_headers
from .reading import FileRefused

User = get_user_model()


def edited(op, changes, performers):
    """A copy of ``op`` with a row's edits applied, to read what its data will say."""
    after = copy.copy(op)
    for name, value in changes.items():
        setattr(after, name, value)
    if performers is not None:
        after.performer_count = sum(1 for person in performers if person.is_active)
    return after


CREATE, UPDATE, UNCHANGED, ERROR = "create", "update", "unchanged", "error"
# The columns that are fields of the operation, compared and written as such.
FIELDS = {
    "name": "name",
    "team": "team",
    "owner": "owner",
    "purpose": "purpose",
    "launched_on": "launched_at",
    "runbook_url": "runbook_url",
    "monthly_volume": "monthly_volume",
    "monthly_cost": "monthly_cost",
    "monthly_value": "monthly_value",
}


@dataclass
class RowPlan:
    number: int
    cells: dict  # key → the cell as text, for the preview
    errors: dict = field(default_factory=dict)  # key → message
    action: str = ""
    operation: Operation | None = None
    fields: dict = field(default_factory=dict)  # model field → new value
    performers: list | None = None
    to_phase: str = ""
    since: object = None
    note: str = ""
    changes: list = field(default_factory=list)  # (key, old text, new text)
    parsed: dict = field(default_factory=dict)  # key → the cell's value, read

    def fail(self, key, message):
        self.errors.setdefault(key, message)


@dataclass
class Plan:
    keys: list  # the columns the file has, in COLUMNS order
    unknown: list
    rows: list
    # With "create what is missing" (staff): the teams, the people (by their address)
    # and the memberships confirming would make first, each as an unsaved object that
    # the rows' fields point at; saving one gives every row that names it its id.
    new_teams: list = field(default_factory=list)
    new_people: list = field(default_factory=list)
    new_members: list = field(default_factory=list)  # (team, person)

    def count(self, action):
        return sum(1 for row in self.rows if row.action == action)

    @property
    def counts(self):
        return {a: self.count(a) for a in (CREATE, UPDATE, UNCHANGED, ERROR)}

    @property
    def errors(self):
        """(row number, column key, message) for every bad cell, in file order."""
        return [(r.number, k, m) for r in self.rows for k, m in r.errors.items()]

    def fingerprint(self):
        """What confirming would do: the same file planned again must plan the same."""
        summary = [
            (r.number, r.action, r.operation.pk if r.operation else None, r.changes)
            for r in self.rows
        ]
        summary.append(self.missing_summary())
        return hashlib.sha256(json.dumps(summary, default=str).encode()).hexdigest()

    def missing_summary(self):
        """What would be made besides the operations, as names (for the fingerprint)."""
        return [
            sorted(t.name for t in self.new_teams),
            sorted(p.email for p in self.new_people),
            sorted((t.name, p.email or p.username) for t, p in self.new_members),
        ]

    @property
    def creates_missing(self):
        return bool(self.new_teams or self.new_people or self.new_members)


def header_label(key):
    return BY_KEY[key].header()


def cell_message(number, key, message):
    return _("Row %(row)s, %(column)s: %(message)s") % {
        "row": number,
        "column": header_label(key),
        "message": message,
    }


def _text(key, value):
    if value is None or value == "":
        return ""
    if key in ("owner",):
        return value.username
    if key == "team":
        return value.name
    if key == "performers":
        return ", ".join(sorted(p.username for p in value))
    if key == "phase":
        return str(Phase(value).label)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "normalize"):
        return format(value.normalize(), "f")
    return str(value)


class People:
    """The people a file names, found by username or email in one query."""

    def __init__(self, names):
        lowered = {n.lower() for n in names if n}
        self.by_key, self.ambiguous = {}, set()
        if not lowered:
            return
        found = User.objects.annotate(lu=Lower("username"), le=Lower("email")).filter(
            Q(lu__in=lowered) | Q(le__in=lowered)
        )
        by_email = {}
        for user in found:
            self.by_key[user.username.lower()] = user
            if user.email:
                by_email.setdefault(user.email.lower(), []).append(user)
        for email, users in by_email.items():
            if email in self.by_key:
                continue
            if len(users) > 1:
                self.ambiguous.add(email)
            else:
                self.by_key[email] = users[0]

    def find(self, name, invite=False):
        """The person, or CellError with a message that says who was not found; with
        ``invite``, an address nobody has is a new person (unsaved), the same one
        each time the file names it."""
        key = name.lower()
        if key in self.ambiguous:
            raise CellError(
                _("Several people have the address %(name)s: use their username.") % {"name": name}
            )
        user = self.by_key.get(key)
        if user is None and invite and _is_address(name):
            local, _at, domain = name.rpartition("@")
            user = self.by_key[key] = User(username=key[:150], email=f"{local}@{domain.lower()}")
            user.is_new = True
        if user is None:
            if "@" in name:
                raise CellError(_("No person with the address %(name)s.") % {"name": name})
            raise CellError(_("No person with the username %(name)s.") % {"name": name})
        return user


def _is_address(text):
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    try:
        validate_email(text)
    except ValidationError:
        return False
    return len(text) <= 150


def team_key(team):
    """A saved team's id, or a new team's name (it has no id until confirmed)."""
    return team.pk if team.pk is not None else ("new", team.name.lower())


def person_key(person):
    return person.pk if person.pk is not None else ("new", person.email.lower())


def check_headers(table):
    """({position: column}, unknown headers), or FileRefused when a required one is missing."""
    positions, unknown = match_headers(table.header)
    keys = {column.key for column in positions.values()}
    missing = [c for c in REQUIRED if c.key not in keys]
    if missing:
        raise FileRefused(
            _("The file has no column %(columns)s: the first row must hold the headers.")
            % {"columns": ", ".join(f"“{c.header()}”" for c in missing)}
        )
    return positions, unknown


def read_cells(table):
    """(keys, unknown headers, [RowPlan with parsed values in .parsed]), or FileRefused."""
    positions, unknown = check_headers(table)
    keys = {column.key for column in positions.values()}
    rows = []
    for number, cells in table.rows:
        row = RowPlan(number=number, cells={})
        parsed = {}
        for position, column in positions.items():
            raw = cells[position] if position < len(cells) else None
            row.cells[column.key] = _shown(raw)
            try:
                parsed[column.key] = column.parse(raw)
            except CellError as exc:
                row.fail(column.key, str(exc))
        row.parsed = parsed
        rows.append(row)
    return [c.key for c in COLUMNS if c.key in keys], unknown, rows


def _shown(raw):
    from .columns import as_text

    return as_text(raw)[:200]


def build_plan(table, user, create_missing=False):
    """The plan of a table. With ``create_missing`` (staff only: access.may_create_missing),
    a team the file names that does not exist is made, a person named by an address
    nobody has gets an account, and a person named in a team they are not in joins it
    as a member, instead of each being an error at its cell."""
    keys, unknown, rows = read_cells(table)
    planner = _Planner(keys, rows, user, create_missing and access.may_create_missing(user))
    planner.run()
    plan = Plan(keys, unknown, rows)
    if planner.create_missing:
        used = _used_in(rows)
        plan.new_teams = [t for t in planner.new_teams.values() if team_key(t) in used]
        plan.new_people = [p for p in planner.new_people() if person_key(p) in used]
        plan.new_members = [
            (t, p)
            for (tk, pk), (t, p) in planner.joins.items()
            if tk in used and pk in used and (tk, pk) in used
        ]
    return plan


def _used_in(rows):
    """The keys of the teams, people and (team, person) pairs the good rows need."""
    used = set()
    for row in rows:
        if row.action not in (CREATE, UPDATE):
            continue
        op = row.operation
        team = row.fields.get("team") or (op.team if op else None)
        owner = row.fields.get("owner") or (op.owner if op else None)
        people = [owner, *(row.performers or [])]
        used.add(team_key(team))
        for person in people:
            if person is not None:
                used |= {person_key(person), (team_key(team), person_key(person))}
    return used


class _Planner:
    def __init__(self, keys, rows, user, create_missing=False):
        self.keys, self.rows, self.user = keys, rows, user
        self.create_missing = create_missing
        self.new_teams = {}  # lower name → unsaved Team
        self.joins = {}  # (team key, person key) → (team, person)

    def new_people(self):
        return [u for u in self.people.by_key.values() if getattr(u, "is_new", False)]

    # -- batch lookups: a fixed number of queries for the whole file --------------------

    def load(self):
        parsed = [row.parsed for row in self.rows]
        self.teams = {t.name.lower(): t for t in Team.objects.all()}
        names = set()
        for p in parsed:
            names.add(p.get("owner") or "")
            names.update(p.get("performers") or ())
        self.people = People(names)
        self.members = set(
            Membership.objects.filter(team__in=self.file_teams(parsed)).values_list(
                "team_id", "user_id"
            )
        )
        ids = {p["id"] for p in parsed if p.get("id")}
        op_names = {p["name"].lower() for p in parsed if p.get("name")}
        operations = (
            Operation.objects.annotate(lower_name=Lower("name"))
            .filter(Q(pk__in=ids) | Q(team__in=self.file_teams(parsed), lower_name__in=op_names))
            .select_related("team", "owner")
            .prefetch_related("performers")
        )
        self.by_id = {op.pk: op for op in operations}
        self.by_name = {}
        for op in self.by_id.values():
            self.by_name[(op.team_id, op.name.lower())] = op
        self.criteria = criteria.active_criteria()
        self.ticked = criteria.ticked_criteria(self.by_id)

    def file_teams(self, parsed):
        wanted = {(p.get("team") or "").lower() for p in parsed}
        return [team for name, team in self.teams.items() if name in wanted]

    def unmet(self, op):
        """The exit criteria ``op`` does not meet (operations.criteria, as a move counts)."""
        return criteria.unmet_of(op, self.criteria.get(op.phase, []), self.ticked.get(op.pk, set()))

    # -- row by row, in memory ----------------------------------------------------------

    def run(self):
        self.load()
        seen = {}
        for row in self.rows:
            self.plan_row(row, seen)
            if row.errors:
                row.action = ERROR
                row.changes = []

    def person(self, row, key, name):
        try:
            return self.people.find(name, invite=self.create_missing)
        except CellError as exc:
            row.fail(key, str(exc))
            return None

    def plan_row(self, row, seen):
        p = row.parsed
        team = None
        if p.get("team"):
            team = self.teams.get(p["team"].lower())
            longest = Team._meta.get_field("name").max_length
            if team is None and self.create_missing and len(p["team"]) > longest:
                row.fail(
                    "team",
                    _("A new team's name has at most %(count)s characters.") % {"count": longest},
                )
            elif team is None and self.create_missing:
                team = self.new_teams.setdefault(p["team"].lower(), Team(name=p["team"]))
            elif team is None:
                row.fail("team", _("No team called “%(name)s”.") % {"name": p["team"]})
            elif (
                team.archived_at is not None
                and not (p.get("id") in self.by_id and self.by_id[p["id"]].team_id == team.pk)
                and (team.pk, (p.get("name") or "").lower()) not in self.by_name
            ):
                row.fail(
                    "team",
                    _("%(team)s is archived: it takes no new operations.") % {"team": team.name},
                )
            elif team.pk is not None and not access.may_import_to(self.user, team.pk):
                row.fail(
                    "team",
                    _("You do not manage %(team)s: you cannot import into it.")
                    % {"team": team.name},
                )
        elif "team" not in row.errors:
            row.fail("team", _("Choose the team that runs it."))
        if not p.get("name") and "name" not in row.errors:
            row.fail("name", _("Give the operation a name."))
        op = None
        if p.get("id"):
            op = self.by_id.get(p["id"])
            if op is None:
                row.fail("id", _("No operation has the id %(id)s.") % {"id": p["id"]})
        elif team and p.get("name"):
            op = self.by_name.get((team.pk, p["name"].lower()))
        if op is not None and not access.may_import_to(self.user, op.team_id):
            row.fail(
                "id" if p.get("id") else "name",
                _("You do not manage %(team)s: you cannot import into it.")
                % {"team": op.team.name},
            )
        if row.errors:
            return
        named = (team_key(team), p["name"].lower())
        key = op.pk if op else named
        for clash in (key, named):
            if clash in seen:
                row.fail(
                    "name",
                    _("Row %(row)s already names this operation: keep one of the two.")
                    % {"row": seen[clash]},
                )
                return
        seen[key] = seen[named] = row.number
        clash = self.by_name.get(named)
        if clash is not None and clash is not op:
            row.fail(
                "name",
                _("%(team)s already has an operation called “%(name)s”.")
                % {"team": team.name, "name": p["name"]},
            )
            return
        row.operation = op
        if op is None:
            self.plan_create(row, team)
        else:
            self.plan_update(row, team, op)

    def in_team(self, team, person):
        """Whether the person is in the team, or joins it on import (create_missing)."""
        if (team.pk, person.pk) in self.members and person.pk is not None:
            return True
        if self.create_missing and person.is_active:
            self.joins[(team_key(team), person_key(person))] = (team, person)
            return True
        return False

    def people_in_team(self, row, team, names, allowed=()):
        performers = []
        for name in names:
            person = self.person(row, "performers", name)
            if person is None:
                continue
            if person not in allowed and not self.in_team(team, person):
                row.fail(
                    "performers",
                    _("%(person)s is not in %(team)s.") % {"person": name, "team": team.name},
                )
            performers.append(person)
        return performers

    def owner(self, row, team, name):
        owner = self.person(row, "owner", name)
        if owner is None:
            return None
        if not owner.is_active:
            row.fail("owner", _("%(person)s has left: choose someone else.") % {"person": name})
        elif not self.in_team(team, owner):
            row.fail(
                "owner",
                _("%(person)s is not in %(team)s; choose someone from the team.")
                % {"person": name, "team": team.name},
            )
        return owner

    def plan_create(self, row, team):
        p = row.parsed
        row.action = CREATE
        if p.get("owner"):
            owner = self.owner(row, team, p["owner"])
        elif (team.pk, self.user.pk) in self.members and team.pk is not None:
            owner = self.user
        else:
            owner = None
            row.fail("owner", _("Name the owner: someone from %(team)s.") % {"team": team.name})
        error = purposes.problem(p.get("purpose"))
        if error and "purpose" not in row.errors:
            row.fail("purpose", error)
        performers = self.people_in_team(row, team, p.get("performers") or ())
        phase = p.get("phase") or Phase.LAUNCH
        since = p.get("phase_since")
        launched = p.get("launched_on")
        if launched and launched > today():
            row.fail("launched_on", _("A launch date cannot be in the future."))
        error = since_error(since, launched)
        if error:
            row.fail("phase_since", error)
        row.fields = {
            "name": p.get("name"),
            "team": team,
            "owner": owner,
            "purpose": p.get("purpose", ""),
            "phase": phase,
            "launched_at": launched,
            "runbook_url": p.get("runbook_url", ""),
            "monthly_volume": p.get("monthly_volume", 0),
            "monthly_cost": p.get("monthly_cost", 0),
            "monthly_value": p.get("monthly_value", 0),
        }
        row.performers = performers
        row.since = since

    def plan_update(self, row, team, op):
        p = row.parsed
        changes = {}
        if normalize_name(p["name"]) != op.name:
            changes["name"] = p["name"]
        if team.pk != op.team_id:
            changes["team"] = team
        owner_stays = team.pk == op.team_id or self.in_team(team, op.owner)
        if "owner" in p and p["owner"]:
            owner = self.owner_for_update(row, team, op, p["owner"])
            if owner is not None and owner.pk != op.owner_id:
                changes["owner"] = owner
        elif not owner_stays:
            row.fail(
                "owner",
                _("%(person)s is not in %(team)s; choose someone from the team.")
                % {"person": op.owner.username, "team": team.name},
            )
        error = purposes.problem(p.get("purpose"), op.purpose)
        if error:
            if "purpose" not in row.errors:
                row.fail("purpose", error)
        elif p["purpose"] != op.purpose:
            changes["purpose"] = p["purpose"]
        for key in (
            "launched_on",
            "runbook_url",
            "monthly_volume",
            "monthly_cost",
            "monthly_value",
        ):
            if key in p and p[key] != getattr(op, FIELDS[key]):
                changes[FIELDS[key]] = p[key]
        if changes.get("launched_at") and changes["launched_at"] > today():
            row.fail("launched_on", _("A launch date cannot be in the future."))
        if "performers" in p:
            current = list(op.performers.all())
            performers = self.people_in_team(row, team, p["performers"], allowed=current)
            if {u.pk for u in performers} != {u.pk for u in current}:
                row.performers = performers
        self.plan_move(row, op, edited(op, changes, row.performers))
        row.fields = changes
        row.changes = [
            (key, _text(key, getattr(op, FIELDS[key])), _text(key, changes[FIELDS[key]]))
            for key in FIELDS
            if FIELDS[key] in changes
        ]
        if row.performers is not None:
            row.changes.append(
                (
                    "performers",
                    _text("performers", op.performers.all()),
                    _text("performers", row.performers),
                )
            )
        if row.to_phase:
            row.changes.append(("phase", _text("phase", op.phase), _text("phase", row.to_phase)))
        row.action = UPDATE if row.changes else UNCHANGED

    def owner_for_update(self, row, team, op, name):
        person = self.person(row, "owner", name)
        if person is None:
            return None
        if person.pk == op.owner_id and team.pk == op.team_id:
            return person  # someone who has left stays where they already are
        return self.owner(row, team, name)

    def plan_move(self, row, op, after):
        """The row's phase change, judged as the import will make it: after the row's
        edits (``after``), which are saved first, so that the criteria the data answers
        (a runbook given in the same row, say) count as they will be then."""
        p = row.parsed
        target = p.get("phase")
        if not target or target == op.phase:
            return
        try:
            move = classify_move(op.phase, target, self.unmet(after))
        except IllegalMove as exc:
            row.fail("phase", str(exc))
            return
        note = p.get("note") or ""
        if move.needs_note and not note:
            row.fail("note", _("%(why)s Write it in the note column.") % {"why": move.why_note})
        since = p.get("phase_since")
        entered = timezone.localdate(op.phase_entered_at)
        if since is not None and since != entered:
            if since > today():
                row.fail("phase_since", _("It cannot have entered its phase in the future."))
            elif since < entered:
                row.fail(
                    "phase_since",
                    _("It was still in %(phase)s then (since %(date)s).")
                    % {"phase": Phase(op.phase).label, "date": entered.isoformat()},
                )
            else:
                row.since = since
        row.to_phase, row.note = target, note
