"""The fixed demo's rows, read from data/fixed.toml and data/organization.toml.

The files are data an editor can change without reading code; this module turns
them into plain tuples and records, and ``fixed.check_history`` holds every
operation's path to the transition rules before anything is written.
"""

import tomllib
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent / "data"
NEVER_REVIEWED = -1


def _load(name):
    with open(HERE / name, "rb") as handle:
        return tomllib.load(handle)


@dataclass(frozen=True)
class DemoOp:
    """One operation of the fixed demo (see the comment at the top of fixed.toml)."""

    team: str
    name: str
    purpose: str
    path: tuple
    cost: int
    value: int
    volume: int
    performers: int = 3
    runbook: bool = True
    reviewed: int | None = 30
    owner: str | None = None


_FIXED = _load("fixed.toml")
_ORGANIZATION = _load("organization.toml")

# username, password, first name, last name, staff
LOGINS = tuple(
    (row["username"], row["password"], row["first_name"], row["last_name"], row["staff"])
    for row in _FIXED["logins"]
)
# name, description, manager (username)
TEAMS = tuple((row["name"], row["description"], row["manager"]) for row in _FIXED["teams"])
# username, first name, last name, teams
PEOPLE = tuple(
    (row["username"], row["first_name"], row["last_name"], tuple(row["teams"]))
    for row in _FIXED["people"]
)

# usernames of the people who left (deactivated), their history kept
LEFT = frozenset(row["username"] for row in _FIXED["people"] if row.get("left"))


def _operation(row):
    row = dict(row, path=tuple(row["path"]))
    if row.get("reviewed") == NEVER_REVIEWED:
        row["reviewed"] = None
    return DemoOp(**row)


OPERATIONS = {}
for _row in _FIXED["operations"]:
    OPERATIONS.setdefault(_row["team"], []).append(_operation(_row))
OPERATIONS = {team: tuple(ops) for team, ops in OPERATIONS.items()}

_NOTES = _FIXED["notes"]
RETIRE_NOTES = tuple(_NOTES["retire"])
BACKWARD_NOTES = tuple(_NOTES["backward"])
SKIP_NOTES = tuple(_NOTES["skip"])
REINSTATE_NOTES = tuple(_NOTES["reinstate"])
REVIEW_REASONS = tuple(_NOTES["review"])
FORWARD_NOTES = {phase: tuple(notes) for phase, notes in _NOTES["forward"].items()}
FIRST_NAMES = tuple(_FIXED["generated_names"]["first"])
LAST_NAMES = tuple(_FIXED["generated_names"]["last"])

# name, category, description
SKILLS = tuple(
    (row["name"], row["category"], row["description"]) for row in _ORGANIZATION["skills"]
)


def _role(row):
    return (
        row["name"],
        row["status"],
        row.get("horizon_years"),
        row["description"],
        dict(row["requires"]),
    )


# name, status, horizon, description, {skill: level}
TEAM_ROLES = tuple(_role(row) for row in _ORGANIZATION["team_roles"])
ORGANISATION_ROLES = tuple(_role(row) for row in _ORGANIZATION["organisation_roles"])
PROPOSAL_NOTES = tuple(_ORGANIZATION["notes"]["proposal"])
PLAN_NOTES = tuple(_ORGANIZATION["notes"]["plan"])
