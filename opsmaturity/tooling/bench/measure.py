"""Timing a request or a job, counting its queries, and the bench's fixture: who looks."""

import resource
import statistics
import time
from contextlib import contextmanager

from django.core.management.base import CommandError
from django.db import connection

from .constants import BENCH_MANAGER, MANAGED_TEAMS, SNAPSHOT_RUNS, VIEW_RUNS
from .system import load_average

# --- measuring ----------------------------------------------------------------------------


class QueryCounter:
    """Counts the queries run on the default connection (no SQL is kept)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


@contextmanager
def counting():
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        yield counter


def summary(times, **extra):
    """Median and spread of timings given in seconds, in milliseconds."""
    ms = [t * 1000 for t in times]
    return {
        "median_ms": round(statistics.median(ms), 2),
        "min_ms": round(min(ms), 2),
        "max_ms": round(max(ms), 2),
        "runs": len(ms),
        **extra,
    }


def measure_request(client, url, runs=VIEW_RUNS):
    response = client.get(url)  # warm-up: templates compiled, caches filled
    if response.status_code != 200:
        raise CommandError(f"{url} answered {response.status_code}")
    with counting() as counter:
        response = client.get(url)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
    return summary(
        times, queries=counter.count, url=url, bytes=len(response.content), load=load_average()
    )


def link_of(client, url, rel):
    """The address of a page's pager link (``rel`` "next", "last"…), as a person clicks
    it; a CommandError when the page has none."""
    import html
    import re

    body = client.get(url).content.decode()
    found = re.search(rf'<a rel="{rel}" href="([^"]+)"', body)
    if found is None:
        raise CommandError(f"{url} has no {rel} link")
    return html.unescape(found.group(1))


def middle_of_list(url, user):
    """The list at ``url`` from its middle row on, as its cursor would open it (a person
    gets there by Next, page after page): where an OFFSET page was slowest."""
    from django.http import QueryDict

    from opsmaturity.operations import pages
    from opsmaturity.operations.lists import filtered_operations

    query = QueryDict(url.split("?", 1)[1], mutable=True)
    _form, queryset = filtered_operations(user, query)
    row = queryset[queryset.count() // 2]
    order = pages.order_of(queryset)
    query["cursor"] = pages.Cursor(pages.AFTER, order.value_of(row), row.pk).sign(order)
    return f"{url.split('?', 1)[0]}?{query.urlencode()}"


def measure_snapshot():
    from opsmaturity.maturity.snapshots import take_snapshot

    take_snapshot()
    with counting() as counter:
        result = take_snapshot()
    times = []
    for _ in range(SNAPSHOT_RUNS):
        started = time.perf_counter()
        take_snapshot()
        times.append(time.perf_counter() - started)
    return summary(times, queries=counter.count, rows=result.rows, load=load_average())


def max_rss_mb():
    # ru_maxrss is in kilobytes on Linux
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# --- the fixture: who looks, at what ---------------------------------------------------


def prepare_fixture():
    """A manager of five generated teams, the staff login, an operation, a list filter."""
    from django.contrib.auth import get_user_model
    from django.db.models import Exists, OuterRef

    from opsmaturity.maturity.models import Flag
    from opsmaturity.operations.models import Operation, PurposeReview
    from opsmaturity.operations.phases import Phase
    from opsmaturity.teams.models import Membership, Role, Team

    user_model = get_user_model()
    manager, _created = user_model.objects.get_or_create(
        username=BENCH_MANAGER,
        defaults={"first_name": "Bench", "last_name": "Manager", "email": "bench@example.com"},
    )
    teams = list(Team.objects.filter(name__startswith="Team ").order_by("name")[:MANAGED_TEAMS])
    Membership.objects.bulk_create(
        [Membership(user=manager, team=team, role=Role.MANAGER) for team in teams],
        ignore_conflicts=True,
    )
    staff = user_model.objects.filter(is_staff=True).order_by("pk").first()
    # The demo's manager: four small hand-written teams, the same at every size.
    small_manager = user_model.objects.get(username="manager")
    # An operation of the manager's first team with the same shape at every size
    # (an open flag, performers, a purpose review by someone), so that its page
    # runs the same prefetches.
    shaped = (
        Operation.objects.filter(team=teams[0])
        .exclude(phase=Phase.LAUNCH)
        .filter(
            Exists(Flag.objects.open().filter(operation=OuterRef("pk"))),
            Exists(Operation.performers.through.objects.filter(operation=OuterRef("pk"))),
            Exists(PurposeReview.objects.filter(operation=OuterRef("pk"), by__isnull=False)),
        )
        .order_by("pk")
    )
    operation = shaped.first() or Operation.objects.filter(team=teams[0]).order_by("pk").first()
    list_phase = Phase.STANDARDIZE
    listed = Operation.objects.filter(phase=list_phase).count()
    scoped = Operation.objects.filter(team__in=teams).count()
    return {
        "manager_id": manager.pk,
        "manager_teams": [t.name for t in teams],
        "manager_operations": scoped,
        "staff_id": staff.pk,
        "small_manager_id": small_manager.pk,
        "small_manager_operations": Operation.objects.filter(
            team__memberships__user=small_manager, team__memberships__role=Role.MANAGER
        ).count(),
        "operation_id": operation.pk,
        "list_url": f"/ops/?scope=all&phase={list_phase}&sort=name",
        "list_rows": listed,
        # every operation, by name (the middle page); one team's in a phase, by cost
        # (filtered); and every operation by shortfall, the biggest first (sorted)
        "list_all_url": "/ops/?scope=all&sort=name",
        "list_filtered_url": (
            f"/ops/?scope=all&team={teams[0].pk}&phase={Phase.AUTOMATE}&sort=-cost"
        ),
        "list_sorted_url": "/ops/?scope=all&sort=-shortfall",
    }
