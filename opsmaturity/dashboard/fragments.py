"""The dashboard's body, rendered once for each version of the data it shows.

The body (tiles, funnel, trend, lists, savings, teams, latest moves) is a function
of the scope's teams, the period, the reader's language and time zone, today, and
the data of those teams: their operations, flags, history, snapshots and names.
Every statement that changes any of that leaves a mark against the team, in the
transaction of the write (the triggers of migrations 0002 and 0003), and only the
refresher removes marks, in the transaction that stores the team's new figures and
a later ``computed_at``. So while no mark stands against a scope's teams, the
number of those teams and their newest ``computed_at`` name the state of their data:
the body rendered for that version is the body any later render would give, until
a write marks a team (then the body is built live, as before, until the next
refresh gives the teams a new version).

Why a page is never stale: the marks are read before the version and both before
the data, and a mark commits with its write. A write committed before the marks
were read was either refreshed (the version counts it) or still marked (nothing is
kept or served). One committing later can only be missing from a body kept under
the old version, which no reader uses once the write's mark is visible.

Kept in the ``dashboard`` cache (settings.CACHES): per process unless pointed at a
shared one; since every key names its version, a shared cache is equally right, and
one that fails (a Redis gone) only means the body is built, as without a cache.
A deploy that changes the body's template starts new keys; one that changes only
Python code or settings can show, from a shared cache, the body it replaced for up
to OPS_DASHBOARD_CACHE_SECONDS (a cache per process starts empty with the process).
"""

import hashlib
import logging

from django.conf import settings
from django.core.cache import caches
from django.db.models import Count, Max
from django.template.loader import get_template
from django.utils import timezone, translation

from opsmaturity.lib.clock import today

from .models import FiguresChange

log = logging.getLogger(__name__)

CACHE = "dashboard"
TEMPLATE = "dashboard/_body.html"
# A body larger than this (every team of a large organisation side by side) is built
# each time rather than kept: with the cache's MAX_ENTRIES it bounds each process's
# memory (200 × 256 KB at most; a manager's body is 60–80 KB).
KEEP_AT_MOST = 256 * 1024
_template_digest = None


def data_version(scope):
    """(teams in scope, their newest refresh), or None while a statement's mark stands
    against one of them. Two small queries whatever the size of the organisation."""
    if scope.narrow(FiguresChange.objects.all(), "team_id").exists():
        return None
    teams = scope.teams().order_by()
    kept = teams.aggregate(teams=Count("pk"), newest=Max("figures__computed_at"))
    return kept["teams"], kept["newest"].isoformat() if kept["newest"] else "-"


def _digest():
    """The body template's own source: a deploy that changes it starts new keys, also in
    a cache that outlives the processes (a shared one)."""
    global _template_digest
    if _template_digest is None:
        source = get_template(TEMPLATE).template.source
        _template_digest = hashlib.sha256(source.encode()).hexdigest()[:12]
    return _template_digest


def key(scope, version, params):
    teams = "*" if scope.team_ids is None else ",".join(map(str, scope.team_ids))
    parts = [
        _digest(),
        translation.get_language() or "",
        timezone.get_current_timezone_name(),
        today().isoformat(),
        scope.key,
        teams,
        *(f"{name}={params[name]}" for name in sorted(params)),
        *map(str, version),
    ]
    return "dashboard-body:" + hashlib.sha256("|".join(parts).encode()).hexdigest()


def body(scope, params, render):
    """The body's HTML for ``scope`` and the page's ``params`` (the period, …): kept
    when the data's version allows, else ``render()``'s, built now."""
    seconds = settings.OPS_DASHBOARD_CACHE_SECONDS
    if not seconds:
        return render()
    version = data_version(scope)
    if version is None:
        return render()
    cache = caches[CACHE]
    name = key(scope, version, params)
    try:
        html = cache.get(name)
    except Exception as exc:  # a shared cache that is down: the page is built instead
        log.warning("dashboard cache unreadable: %s", exc)
        return render()
    if html is None:
        html = render()
        if len(html) <= KEEP_AT_MOST:
            try:
                cache.set(name, html, seconds)
            except Exception as exc:
                log.warning("dashboard cache unwritable: %s", exc)
    return html
