import logging

from axes.helpers import get_client_username
from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_safe

from opsmaturity.teams.access import is_manager

from .broker import broker_state
from .faults import connect_within

log = logging.getLogger(__name__)


# /healthz answers within about 3 s however the database hangs: a load balancer
# wants to know, and pages may wait for it longer (DATABASE_CONNECT_TIMEOUT).
PROBE_CONNECT_TIMEOUT = 2


def database_state():
    try:
        with connect_within(PROBE_CONNECT_TIMEOUT) as connection, connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # a dead database is reported, never raised
        return "down", f"{type(exc).__name__}: {exc}"
    return "ok", None


@never_cache
@require_GET
def healthz(request):
    """JSON with the database's and the broker's state; 503 when either is down."""
    checks = {"database": database_state(), "broker": broker_state()}
    body = {name: {"status": state} for name, (state, _reason) in checks.items()}
    for name, (_state, reason) in checks.items():
        if reason:
            # The reason names hosts, users and folders: for the log, not the public.
            log.warning("healthz: %s is down: %s", name, reason)
    healthy = all(state == "ok" for state, _reason in checks.values())
    body["status"] = "ok" if healthy else "down"
    return JsonResponse(body, status=200 if healthy else 503)


@require_safe
def home(request):
    """Where "/" and signing in lead: managers and staff to the dashboard, members to
    their operations, everyone else to the sign-in page."""
    user = request.user
    if not user.is_authenticated:
        return redirect("login")
    if is_manager(user):
        return redirect("dashboard:index")
    return redirect("operations:list")


@require_safe
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says: send them to the icon."""
    return redirect(static("favicon.svg"), permanent=True)


def csrf_failure(request, reason=""):
    """A form sent after its page expired: say so in the app's own words and look."""
    return render(request, "403_csrf.html", status=403)


def locked_out(request, response=None, credentials=None):
    """The sign-in page django-axes shows once a username has failed too often from
    one address (settings.AXES_LOCKOUT_CALLABLE): what happened and how long it lasts."""
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "minutes": settings.AXES_COOLOFF_MINUTES,
        "username": get_client_username(request, credentials) or "",
    }
    return render(request, "registration/locked_out.html", context, status=429)
