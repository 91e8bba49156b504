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

__all__ = ["DEMO_PASSWORD", "LOGINS", "seed_fixed", "seed_generated"]
