from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from opsmaturity.campaigns.backlog import launch_forecast, launch_sentence
from opsmaturity.lib.forms import parse_id
from opsmaturity.lib.htmx import render_page_or_partial
from opsmaturity.lib.widgets import option_tags
from opsmaturity.maturity import rules
from opsmaturity.teams import access

from . import charts, fragments, metrics

TEMPLATE_BODY = fragments.TEMPLATE


def resolve_scope(request):
    """The dashboard's team filter: my managed teams for a manager, all for staff.

    ``?team=<id>`` narrows to one team the user may see; ``?scope=`` picks a group.
    """
    user = request.user
    visible = access.visible_teams(user)
    team_id = parse_id(request.GET.get("team"))
    if team_id is not None:
        team = visible.filter(pk=team_id).first()
        if team is None:
            raise PermissionDenied(_("That team is not one of yours."))
        return metrics.Scope(user, "team", team, team.name, {"scope": "all", "team": team.pk})
    key = request.GET.get("scope", "")
    if key not in ("managed", "my_teams", "all") or (key == "all" and not user.is_staff):
        if user.is_staff:
            key = "all"
        elif access.is_manager(user):
            key = "managed"
        else:
            key = "my_teams"
    labels = {"managed": _("Teams I manage"), "my_teams": _("My teams"), "all": _("All teams")}
    return metrics.Scope(user, key, None, labels[key], {"scope": key})


@login_required
@require_safe
def dashboard(request):
    scope = resolve_scope(request)
    period = request.GET.get("period", metrics.DEFAULT_PERIOD)
    if period not in metrics.PERIODS:
        period = metrics.DEFAULT_PERIOD
    every_team = request.GET.get("teams") == "all"
    params = {"period": period, "teams": "all" if every_team else ""}

    def render_body():
        return render_to_string(TEMPLATE_BODY, body_context(scope, period, every_team))

    context = {
        "scope": scope,
        "team_options": option_tags(
            access.visible_teams(request.user).order_by("name").values_list("pk", "name"),
            selected=scope.team.pk if scope.team else None,
        ),
        "is_manager": access.is_manager(request.user),
        "period": period,
        "periods": metrics.period_choices(),
        "body_html": fragments.body(scope, params, render_body),
    }
    return render_page_or_partial(request, "dashboard/dashboard.html", "body", context)


def dashboard_url(scope, **params):
    """This scope's dashboard with other parameters (the period, every team)."""
    return f"{reverse('dashboard:index')}?{urlencode({**scope.list_params, **params})}"


def body_context(scope, period, every_team):
    """What the dashboard's body shows: the figures of ``scope`` over ``period``."""
    since = metrics.period_start(period)
    recorded = metrics.recorded_since(scope)
    rollup, rollup_hidden = metrics.team_rollup(scope, None if every_team else metrics.ROLLUP_LIMIT)
    stages = metrics.funnel(scope)
    counts = metrics.flag_counts(scope)
    trend = metrics.trend(scope)
    launch_now = next(s["count"] for s in stages if s["phase"] == "launch")
    # the same forecast as a campaign's, for the operations in launch now
    forecast = launch_forecast(scope.transitions(), launch_now, counts=scope.figures.exit_days())
    return {
        "scope": scope,
        "period": period,
        "periods": metrics.period_choices(),
        "stages": stages,
        "funnel_chart": charts.funnel_variants(stages),
        "total_ops": sum(s["count"] for s in stages if s["phase"] != "retire"),
        "counts": counts,
        "tiles": [(rule, counts[rule.kind]) for rule in rules.DASHBOARD_ORDER],
        "lists": metrics.short_lists(scope),
        "launch_exits": metrics.launch_exits(scope, period),
        "launch_forecast": forecast,
        "launch_sentence": launch_sentence(forecast),
        "conversion": metrics.conversion(scope, counts),
        "savings": metrics.savings(scope, period),
        # A period that reaches back before anything was recorded says so.
        "recorded_since": recorded if recorded and recorded > since.date() else None,
        "rollup": rollup,
        "rollup_hidden": rollup_hidden,
        "every_team_url": dashboard_url(scope, period=period, teams="all"),
        "trend": trend,
        "trend_chart": charts.trend_variants(trend["points"]),
        "moves": metrics.latest_moves(scope),
    }
