"""The integrations pages: staff keep the signed webhooks, a team's managers its Slack
and Microsoft Teams channels; each endpoint has its settings and its delivery log."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from opsmaturity.lib.forms import parse_id
from opsmaturity.lib.htmx import render_page_or_partial
from opsmaturity.teams import access

from . import services
from .forms import ChatChannelForm, EndpointForm
from .models import Delivery, Endpoint, Kind, Status

LOG_PAGE = 25
ONLY_STAFF = _("Only staff keep the webhooks.")
NOT_YOURS = _("Only staff, and the managers of a team, keep its integrations.")


def _with_log_counts(endpoints):
    """Each endpoint with when it last sent and how many deliveries wait or failed."""
    return endpoints.annotate(
        last_delivery_at=Max("deliveries__created_at"),
        waiting=Count(
            "deliveries", filter=Q(deliveries__status__in=[Status.PENDING, Status.RETRYING])
        ),
        failed=Count("deliveries", filter=Q(deliveries__status=Status.FAILED)),
    )


def _endpoint(request, pk):
    endpoints = Endpoint.objects.select_related("team")
    return access.get_or_deny(endpoints, pk, access.can_manage_endpoint, request.user)


def _form(endpoint, request, data=None):
    if endpoint.kind == Kind.WEBHOOK:
        return EndpointForm(data, instance=endpoint)
    return ChatChannelForm(data, instance=endpoint, teams=access.chat_teams(request.user))


@login_required
@require_safe
def index(request):
    access.require(access.can_see_integrations(request.user), NOT_YOURS)
    user = request.user
    webhooks = None
    if access.can_manage_webhooks(user):
        webhooks = _with_log_counts(Endpoint.objects.filter(kind=Kind.WEBHOOK))
    channels = _with_log_counts(
        Endpoint.objects.exclude(kind=Kind.WEBHOOK)
        .filter(team__in=access.chat_teams(user))
        .select_related("team")
        .order_by("team__name", "id")
    )
    context = {"webhooks": webhooks, "channels": channels}
    return render(request, "webhooks/index.html", context)


def _new(request, form, kind):
    # A form with errors is shown again with them (200, as every form of the app).
    if request.method == "POST":
        if form.is_valid():
            endpoint = services.save(form, by=request.user)
            if endpoint.kind == Kind.WEBHOOK:
                # The secret is shown on this answer once; the page keeps it hidden.
                messages.success(request, _("The webhook is added."))
                return _detail_page(request, endpoint, new_secret=endpoint.secret)
            messages.success(request, _("The channel is added: send it a test message."))
            return redirect("webhooks:detail", endpoint.pk)
    return render(request, "webhooks/new.html", {"form": form, "kind": kind})


@login_required
@require_http_methods(["GET", "POST"])
def webhook_new(request):
    access.require(access.can_manage_webhooks(request.user), ONLY_STAFF)
    form = EndpointForm(request.POST or None, initial={"is_active": True})
    return _new(request, form, Kind.WEBHOOK)


@login_required
@require_http_methods(["GET", "POST"])
def chat_new(request):
    teams = access.chat_teams(request.user)
    access.require(teams.exists(), NOT_YOURS)
    initial = {"is_active": True, "kind": Kind.SLACK}
    team = parse_id(request.GET.get("team"))
    if team is not None and teams.filter(pk=team).exists():
        initial["team"] = team
    form = ChatChannelForm(request.POST or None, teams=teams, initial=initial)
    return _new(request, form, "chat")


def _detail_page(request, endpoint, form=None, new_secret=None):
    log = endpoint.deliveries.order_by("-created_at", "-id")
    page = Paginator(log, LOG_PAGE).get_page(request.GET.get("page"))
    context = {
        "endpoint": endpoint,
        "form": form or _form(endpoint, request),
        "page": page,
        "new_secret": new_secret,
        "keep_days": settings.OPS_WEBHOOK_KEEP_DAYS,
    }
    return render_page_or_partial(request, "webhooks/detail.html", "log", context)


@login_required
@require_http_methods(["GET", "POST"])
def detail(request, pk):
    endpoint = _endpoint(request, pk)
    if request.method == "POST":
        form = _form(endpoint, request, request.POST)
        if form.is_valid():
            services.save(form, by=request.user)
            messages.success(request, _("Saved."))
            return redirect("webhooks:detail", endpoint.pk)
        endpoint.refresh_from_db()  # the page shows what is saved, the form what was typed
        return _detail_page(request, endpoint, form=form)
    return _detail_page(request, endpoint)


@login_required
@require_POST
def resume(request, pk):
    endpoint = _endpoint(request, pk)
    if endpoint.paused_at is not None:
        services.resume(endpoint)
        messages.success(request, _("Resumed: new events are sent again."))
    return redirect("webhooks:detail", endpoint.pk)


@login_required
@require_POST
def send_test(request, pk):
    endpoint = _endpoint(request, pk)
    if not endpoint.receiving:
        messages.error(request, _("It is paused or off: resume it or turn it on first."))
    else:
        services.send_test(endpoint, by=request.user)
        messages.success(request, _("A test delivery is on its way: its result shows in the log."))
    return redirect("webhooks:detail", endpoint.pk)


@login_required
@require_POST
def rotate_secret(request, pk):
    endpoint = _endpoint(request, pk)
    access.require(endpoint.kind == Kind.WEBHOOK, _("Only a signed webhook has a secret."))
    secret = services.rotate_secret(endpoint)
    messages.success(request, _("A new secret signs every delivery from now on."))
    return _detail_page(request, endpoint, new_secret=secret)


@login_required
@require_POST
def redeliver(request, pk, delivery_pk):
    endpoint = _endpoint(request, pk)
    delivery = get_object_or_404(Delivery, pk=delivery_pk, endpoint=endpoint)
    if not endpoint.receiving:
        messages.error(request, _("It is paused or off: resume it or turn it on first."))
    elif services.redeliver(delivery):
        messages.success(request, _("Sent again: its result shows in the log."))
    else:
        messages.error(request, _("Only a failed or skipped delivery can be sent again."))
    return redirect("webhooks:detail", endpoint.pk)


@login_required
@require_POST
def delete(request, pk):
    endpoint = _endpoint(request, pk)
    shown = endpoint.shown_url
    endpoint.delete()
    messages.success(request, _("“%(url)s” is deleted, with its log.") % {"url": shown})
    return redirect("webhooks:index")
