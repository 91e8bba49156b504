"""People who leave: the people list, leaving, coming back, and handing over."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Subquery, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from opsmaturity.lib.concurrency import EditConflict
from opsmaturity.lib.htmx import render_page_or_partial
from opsmaturity.lib.people import display_name, matching
from opsmaturity.operations.models import Operation
from opsmaturity.operations.phases import Phase
from opsmaturity.teams import access
from opsmaturity.teams.models import Membership

from . import services
from .forms import PeopleFilterForm, ReassignForm, Row, candidates_by_team
from .models import PersonEvent

User = get_user_model()
PAGE_SIZE = 50


def _count(queryset, field):
    """How many rows of ``queryset`` point at the person, as a subquery."""
    counted = (
        queryset.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def with_operation_counts(people):
    """``owned`` and ``performed``: the person's operations that are not retired."""
    running = Operation.objects.exclude(phase=Phase.RETIRE)
    performed = Operation.performers.through.objects.exclude(operation__phase=Phase.RETIRE)
    return people.annotate(owned=_count(running, "owner"), performed=_count(performed, "user"))


def _person(request, pk, allowed):
    return access.get_or_deny(User.objects.all(), pk, allowed, request.user)


@login_required
@require_safe
def people(request):
    access.require(access.can_see_people(request.user), _("Only managers and staff see people."))
    form = PeopleFilterForm(request.GET)
    form.is_valid()  # a value that is not understood is left out, never a 500
    data = form.cleaned_data
    found = access.visible_people(request.user)
    if data.get("status") == "active":
        found = found.filter(is_active=True)
    elif data.get("status") == "left":
        found = found.filter(is_active=False)
    found = matching(found, data.get("q"))
    found = with_operation_counts(found).order_by(
        "-is_active", "first_name", "last_name", "username"
    )
    page = Paginator(
        found.prefetch_related(
            Prefetch("memberships", Membership.objects.select_related("team")),
            Prefetch(
                "person_events",
                PersonEvent.objects.select_related("by").order_by("-at", "-id"),
                to_attr="events",
            ),
        ),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    rights = access.people_rights(request.user, page.object_list)
    for person in page.object_list:
        may_leave, may_return, may_reassign = rights[person.pk]
        person.may_leave = person.is_active and may_leave
        person.may_return = not person.is_active and may_return
        person.may_reassign = bool(person.owned or person.performed) and may_reassign
        person.last_event = person.events[0] if person.events else None
    context = {"filters": form, "page": page}
    return render_page_or_partial(request, "offboarding/people.html", "results", context)


@login_required
@require_http_methods(["GET", "POST"])
def leave(request, pk):
    person = get_object_or_404(User, pk=pk)
    if not access.can_offboard(request.user, person):
        if person.pk == request.user.pk:
            raise PermissionDenied(_("You cannot deactivate yourself."))
        raise PermissionDenied
    if request.method == "POST" and person.is_active:
        services.deactivate(person, by=request.user)
        messages.success(
            request,
            _("%(name)s is deactivated: they can no longer sign in.")
            % {"name": display_name(person)},
        )
        if Operation.objects.active().run_by(person).exists():
            return redirect("offboarding:reassign", pk=person.pk)
        return redirect("offboarding:people")
    owned = Operation.objects.active().filter(owner=person).count()
    performed = Operation.objects.active().filter(performers=person).count()
    events = PersonEvent.objects.filter(person=person).select_related("by")[:10]
    context = {
        "person": person,
        "owned": owned,
        "performed": performed,
        "events": events,
        "may_return": access.can_reactivate(request.user, person),
    }
    return render(request, "offboarding/leave.html", context)


@login_required
@require_POST
def reactivate(request, pk):
    person = _person(request, pk, access.can_reactivate)
    if services.reactivate(person, by=request.user):
        messages.success(
            request,
            _("%(name)s is active again and may sign in.") % {"name": display_name(person)},
        )
    return redirect("offboarding:people")


def rows_of(user, person):
    """The person's running operations, as owner or performer, each with who may take it
    over, in a constant number of queries."""
    performs = Operation.performers.through.objects.filter(
        operation_id=OuterRef("pk"), user_id=person.pk
    )
    operations = list(
        Operation.objects.active()
        .run_by(person)
        .annotate(person_performs=Exists(performs))
        .select_related("team", "owner")
        .order_by("team__name", "name", "pk")
    )
    candidates = candidates_by_team({op.team_id for op in operations}, person)
    return [
        Row(op, person, access.can_manage_operation(user, op), candidates[op.team_id])
        for op in operations
    ]


@login_required
@require_http_methods(["GET", "POST"])
def reassign(request, pk):
    person = _person(request, pk, access.can_reassign_from)
    rows = rows_of(request.user, person)
    form = ReassignForm(request.POST or None, person=person, rows=rows)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                done = services.reassign(person, form.cleaned_data["handovers"], by=request.user)
            except EditConflict as exc:
                form.add_error(
                    None,
                    _(
                        "Someone else changed “%(operation)s” while you were on this page: "
                        "nothing was saved. Check it, then submit again."
                    )
                    % {"operation": exc.current.name},
                )
                form.data = form.data.copy()
                form.data[f"version-{exc.current.pk}"] = exc.current.version
                status = 409
            except ValidationError as exc:  # the team changed a moment ago
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(
                    request,
                    ngettext(
                        "%(count)d operation handed over.",
                        "%(count)d operations handed over.",
                        len(done),
                    )
                    % {"count": len(done)},
                )
                return redirect("offboarding:reassign", pk=person.pk)
    context = {
        "person": person,
        "form": form,
        "rows": rows,
        "editable": any(row.editable for row in rows),
    }
    return render(request, "offboarding/reassign.html", context, status=status)
