"""Demo data: a fixed demo an ops manager recognises, and generated volume on top.

``seed_fixed()`` (fixed.py) builds six teams, about twenty people and sixty
named operations in every phase, read from data/fixed.toml, with histories,
exit-criterion checks and every rule of ``opsmaturity.maturity.rules`` holding
for some of them, and the team plan of data/organization.toml. It runs in one
transaction and does nothing when the fixed demo is already there.

``seed_generated(ops, teams)`` (generated.py) adds ``ops`` generated operations
over ``teams`` generated teams ("Team 001"…), with about ten people per team, in
batches of bulk inserts: no per-row save and no per-row query, so that 100,000
operations take about a minute. Teams and their people are reused by later
runs; names continue where the team's existing operations leave off.

Both write operations through ``writer.write_operations``, which holds each
history to the transition rules and normalises each operation as the model does.
Dates are counted back from today in local calendar days (as the rules count
them), at office hours, never in the future.
"""

from .data import LOGINS
from .fixed import seed_fixed
from .generated import seed_generated
from .writer import DEMO_PASSWORD

__all__ = ["DEMO_PASSWORD", "LOGINS", "foreign_data", "seed_fixed", "seed_generated"]


def foreign_data():
    """What the database holds that the demo did not write: (people, teams) counts.

    The demo's people all have an address at the demo's domain, and its teams are
    the fixed ones or the generated "Team 001"…; anything else is someone's data.
    """
    from django.contrib.auth import get_user_model

    from opsmaturity.teams.models import Team

    from .data import TEAMS
    from .writer import EMAIL_DOMAIN

    people = get_user_model().objects.exclude(email__iendswith=f"@{EMAIL_DOMAIN}")
    teams = Team.objects.exclude(name__in=[name for name, _d, _m in TEAMS]).exclude(
        name__regex=r"^Team [0-9]{3,}$"
    )
    return people.count(), teams.count()
