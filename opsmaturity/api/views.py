"""The REST API: the pages' reads and writes, for scripts.

Every permission question is teams/access.py's, every write a service call after the
page's own form has checked the input: the API accepts, refuses and words exactly
what the pages do.
"""

import datetime as dt

from django.db.models import Prefetch
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from opsmaturity.lib.concurrency import EditConflict
from opsmaturity.lib.forms import EARLIEST_DATE, LATEST_DATE, parse_id
from opsmaturity.maturity import exemptions
from opsmaturity.maturity.forms import DecisionForm, SnoozeForm
from opsmaturity.maturity.models import Flag, Snapshot
from opsmaturity.maturity.moves import IllegalMove
from opsmaturity.operations import services
from opsmaturity.operations.forms import SORTS, MoveForm, PurposeReviewForm
from opsmaturity.operations.lists import filtered_operations, page_rows
from opsmaturity.operations.models import Operation, PhaseTransition
from opsmaturity.operations.phases import Phase
from opsmaturity.teams import access
from opsmaturity.teams.models import Membership

from . import serializers as s
from .errors import NON_FIELD, FormInvalid, conflict_response
from .pagination import Cursor, QueryOrderCursor
from .writes import checked, expected_version, operation_form, require_version

ERRORS = {
    400: OpenApiTypes.OBJECT,
    401: OpenApiTypes.OBJECT,
    403: OpenApiTypes.OBJECT,
    404: OpenApiTypes.OBJECT,
}
WRITE_ERRORS = {**ERRORS, 409: s.ConflictSerializer}
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The version the change was started from (the ETag of the operation).",
)
LIST_FILTERS = [
    OpenApiParameter(
        "scope",
        OpenApiTypes.STR,
        enum=["mine", "me", "my_teams", "managed", "all"],
        description="As on the list page; mine by default.",
    ),
    OpenApiParameter("q", OpenApiTypes.STR, description="Words in the name or the purpose."),
    OpenApiParameter("team", OpenApiTypes.INT),
    OpenApiParameter("phase", OpenApiTypes.STR, enum=Phase.values),
    OpenApiParameter("owner", OpenApiTypes.INT),
    OpenApiParameter(
        "flag", OpenApiTypes.STR, enum=["any", *s.FLAG_KINDS, "snoozed", "snooze_requested"]
    ),
    OpenApiParameter("retired", OpenApiTypes.BOOL),
    OpenApiParameter("sort", OpenApiTypes.STR, enum=[*SORTS, *(f"-{key}" for key in SORTS)]),
]


def _with_etag(response, operation):
    response["ETag"] = f'"{operation.version}"'
    return response


def _operation_data(operation):
    """The operation as the list shows it: its open flags as the lists count them."""
    rows = page_rows(Operation.objects.filter(pk=operation.pk)).prefetch_related("performers")
    return s.OperationSerializer(rows.get()).data


@extend_schema_view(
    list=extend_schema(parameters=LIST_FILTERS, responses={200: s.OperationSerializer}),
)
class OperationViewSet(viewsets.GenericViewSet):
    """Operations: read by everyone signed in, changed by their team (access.py)."""

    lookup_value_converter = "int"

    serializer_class = s.OperationSerializer
    queryset = Operation.objects.none()
    pagination_class = QueryOrderCursor

    def get_operation(self, pk, allowed=None):
        """404 when missing (or the id is no id), 403 when ``allowed`` says no."""
        pk = parse_id(str(pk))
        if pk is None:
            raise_not_found()
        operations = Operation.objects.select_related("team", "owner")
        if allowed is None:
            return get_object_or_404(operations, pk=pk)
        return access.get_or_deny(operations, pk, allowed, self.request.user)

    def list(self, request):
        _form, queryset = filtered_operations(request.user, request.query_params)
        rows = page_rows(queryset).prefetch_related("performers")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(s.OperationSerializer(page, many=True).data)

    @extend_schema(responses={200: s.OperationSerializer, **ERRORS})
    def retrieve(self, request, pk=None):
        operation = self.get_operation(pk)
        return _with_etag(Response(_operation_data(operation)), operation)

    @extend_schema(
        request=s.OperationWriteSerializer, responses={201: s.OperationSerializer, **ERRORS}
    )
    def create(self, request):
        access.require(
            access.editable_teams(request.user).exists(),
            _("You are not in a team yet: ask a manager to add you."),
        )
        checked(s.OperationWriteSerializer, request.data)
        form = operation_form(request.user, request.data)
        if not form.is_valid():
            raise FormInvalid(form)
        operation = services.create_operation(
            by=request.user, performers=form.cleaned_data["performers"], **form.changes()
        )
        response = Response(_operation_data(operation), status=status.HTTP_201_CREATED)
        response["Location"] = request.build_absolute_uri(f"{request.path}{operation.pk}/")
        return _with_etag(response, operation)

    @extend_schema(
        request=s.OperationUpdateSerializer,
        parameters=[IF_MATCH],
        responses={200: s.OperationSerializer, **WRITE_ERRORS},
    )
    def partial_update(self, request, pk=None):
        operation = self.get_operation(pk, access.can_edit_operation)
        checked(s.OperationUpdateSerializer, request.data, partial=True)
        version = expected_version(request)
        form = operation_form(request.user, request.data, instance=operation, version=version)
        if not form.is_valid():
            raise FormInvalid(form)
        try:
            current = services.update_operation(
                operation,
                by=request.user,
                changes=form.changes(),
                performers=form.cleaned_data["performers"],
                expected_version=form.cleaned_data["version"],
            )
        except EditConflict as exc:
            return conflict_response(exc)
        return _with_etag(Response(_operation_data(current)), current)

    @extend_schema(
        request=s.MoveSerializer,
        parameters=[IF_MATCH],
        responses={200: s.OperationSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move to another phase, by the same rules as the page (a note where one is due)."""
        operation = self.get_operation(pk, access.can_edit_operation)
        checked(s.MoveSerializer, request.data)
        data = _with_version(request, request.data)
        if data["version"] != operation.version:
            # Sent from a version since replaced: whatever it asks, say so first (the page too).
            return conflict_response(EditConflict(operation))
        target = data.get("to_phase")
        if target in Phase.values and target != operation.phase:
            access.require(
                access.can_move(request.user, operation, target),
                _("Only a manager of the team can retire or reinstate."),
            )
        form = MoveForm(data, operation=operation, user=request.user)
        if not form.is_valid():
            raise FormInvalid(form)
        try:
            services.move_phase(
                operation,
                form.cleaned_data["to_phase"],
                by=request.user,
                note=form.cleaned_data["note"],
                expected_version=form.cleaned_data["version"],
            )
        except EditConflict as exc:
            return conflict_response(exc)
        except services.NoteRequired as exc:
            raise ValidationError({"note": [str(exc)]}) from None
        except IllegalMove as exc:
            raise ValidationError({"to_phase": [str(exc)]}) from None
        return _with_etag(Response(_operation_data(operation)), operation)

    @extend_schema(
        request=s.ReviewSerializer,
        parameters=[IF_MATCH],
        responses={200: s.OperationSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        """Record a purpose review: still needed because…, with today's value and cost."""
        operation = self.get_operation(pk, access.can_edit_operation)
        checked(s.ReviewSerializer, request.data)
        form = PurposeReviewForm(_with_version(request, request.data))
        if not form.is_valid():
            raise FormInvalid(form)
        try:
            current = services.review_purpose(
                operation,
                by=request.user,
                reason=form.cleaned_data["reason"],
                monthly_value=form.cleaned_data["monthly_value"],
                monthly_cost=form.cleaned_data["monthly_cost"],
                expected_version=form.cleaned_data["version"],
            )
        except EditConflict as exc:
            return conflict_response(exc)
        return _with_etag(Response(_operation_data(current)), current)

    @extend_schema(responses={200: s.TransitionSerializer(many=True), **ERRORS})
    @action(detail=True, methods=["get"], pagination_class=None)
    def history(self, request, pk=None):
        """Every phase move of the operation, oldest first (never rewritten)."""
        operation = self.get_operation(pk)
        transitions = PhaseTransition.objects.filter(operation=operation).select_related("by")
        transitions = transitions.order_by("at", "id")
        return Response(s.TransitionSerializer(transitions, many=True).data)


def _with_version(request, data):
    """The body, with the version of an If-Match header in place of the body's own."""
    data = dict(data) if hasattr(data, "items") else {}
    data["version"] = require_version(expected_version(request, data))
    return data


def raise_not_found():
    raise NotFound()


@csrf_exempt  # it changes nothing, and answers in JSON whatever the method
def not_found(request, *args, **kwargs):
    return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)


FLAG_FILTERS = [
    OpenApiParameter(
        "state", OpenApiTypes.STR, enum=["open", "resolved", "all"], description="open by default"
    ),
    OpenApiParameter("kind", OpenApiTypes.STR, enum=s.FLAG_KINDS),
    OpenApiParameter("operation", OpenApiTypes.INT),
    OpenApiParameter("team", OpenApiTypes.INT),
]


@extend_schema_view(list=extend_schema(parameters=FLAG_FILTERS))
class FlagViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Flags: read by everyone signed in; snoozes asked by the team, decided by managers."""

    lookup_value_converter = "int"

    serializer_class = s.FlagSerializer
    pagination_class = Cursor

    def get_queryset(self):
        flags = Flag.objects.select_related("operation", "snoozed_by").order_by("-id")
        if self.action != "list":
            return flags
        params = self.request.query_params
        state = params.get("state", "open")
        if state == "open":
            flags = flags.filter(resolved_at__isnull=True)
        elif state == "resolved":
            flags = flags.filter(resolved_at__isnull=False)
        if params.get("kind"):
            flags = flags.filter(kind=params["kind"])
        for name, lookup in (("operation", "operation_id"), ("team", "operation__team_id")):
            if name in params:
                flags = flags.filter(**{lookup: parse_id(params[name]) or 0})
        return flags

    def get_object(self):
        pk = parse_id(str(self.kwargs.get("pk", "")))
        if pk is None:
            raise_not_found()
        return get_object_or_404(self.get_queryset(), pk=pk)

    def _open_flag(self, pk, manage=False):
        """An open flag whose operation the user may change (decide on, with ``manage``)."""
        pk = parse_id(str(pk))
        if pk is None:
            raise_not_found()
        allowed = access.can_manage_operation if manage else access.can_edit_operation
        flags = Flag.objects.open().select_related("operation", "operation__team")
        return access.get_or_deny(
            flags, pk, lambda user, flag: allowed(user, flag.operation), self.request.user
        )

    def _outcome(self, flag, outcome, detail):
        flag = Flag.objects.select_related("operation", "snoozed_by").get(pk=flag.pk)
        data = {"outcome": outcome, "detail": detail, "flag": s.FlagSerializer(flag).data}
        return Response(data)

    @extend_schema(request=s.SnoozeSerializer, responses={200: s.SnoozeOutcomeSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def snooze(self, request, pk=None):
        """A manager of the team snoozes the flag; a member asks a manager to."""
        flag = self._open_flag(pk)
        checked(s.SnoozeSerializer, request.data)
        manager = access.can_manage_operation(request.user, flag.operation)
        form = SnoozeForm(request.data)
        if not form.is_valid():
            raise FormInvalid(form)
        act = exemptions.grant_snooze if manager else exemptions.request_snooze
        try:
            act(flag, by=request.user, **form.cleaned_data)
        except exemptions.ExemptionError as exc:
            raise ValidationError({NON_FIELD: [str(exc)]}) from None
        day = form.cleaned_data["until"]
        if manager:
            return self._outcome(flag, "snoozed", _("Snoozed until %(day)s.") % {"day": day})
        text = _("Asked a manager to snooze it until %(day)s.") % {"day": day}
        return self._outcome(flag, "requested", text)

    @extend_schema(
        request=s.DecisionSerializer, responses={200: s.SnoozeOutcomeSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """A manager grants a member's request to snooze, as asked, or declines it."""
        flag = self._open_flag(pk, manage=True)
        checked(s.DecisionSerializer, request.data)
        form = DecisionForm(request.data)
        if not form.is_valid():
            raise FormInvalid(form)
        reason = form.cleaned_data["reason"]
        pending = exemptions.pending_request(flag)
        try:
            if pending is None:
                raise exemptions.ExemptionError(_("Nobody asked to snooze this flag."))
            if form.cleaned_data["decision"] == "grant":
                exemptions.grant_snooze(
                    flag, by=request.user, until=pending.until, reason=reason or pending.reason
                )
                text = _("Snoozed until %(day)s.") % {"day": pending.until}
                return self._outcome(flag, "snoozed", text)
            exemptions.decline_snooze(flag, by=request.user, reason=reason)
        except exemptions.ExemptionError as exc:
            raise ValidationError({NON_FIELD: [str(exc)]}) from None
        return self._outcome(flag, "declined", _("Request declined."))

    @extend_schema(request=None, responses={200: s.SnoozeOutcomeSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def lift(self, request, pk=None):
        """A manager ends a snooze: the flag is back in the lists."""
        flag = self._open_flag(pk, manage=True)
        try:
            exemptions.lift_snooze(flag, by=request.user)
        except exemptions.ExemptionError as exc:
            raise ValidationError({NON_FIELD: [str(exc)]}) from None
        return self._outcome(flag, "lifted", _("The flag is back in the lists."))


class TeamViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Teams and their members, with each one's role."""

    lookup_value_converter = "int"

    serializer_class = s.TeamSerializer
    pagination_class = Cursor
    ordering = ("name",)

    def get_queryset(self):
        memberships = Membership.objects.select_related("user").order_by("user__username")
        return access.readable_teams(self.request.user).prefetch_related(
            Prefetch("memberships", queryset=memberships)
        )

    def get_object(self):
        pk = parse_id(str(self.kwargs.get("pk", "")))
        if pk is None:
            raise_not_found()
        return get_object_or_404(self.get_queryset(), pk=pk)

    def paginate_queryset(self, queryset):
        self.paginator.ordering = ("name",)
        return super().paginate_queryset(queryset)


SNAPSHOT_FILTERS = [
    OpenApiParameter("team", OpenApiTypes.INT),
    OpenApiParameter("since", OpenApiTypes.DATE),
    OpenApiParameter("until", OpenApiTypes.DATE),
]


@extend_schema_view(list=extend_schema(parameters=SNAPSHOT_FILTERS))
class SnapshotViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The trend: per day, team and phase, how many operations at what monthly cost, for
    the teams a person sees on the dashboard."""

    serializer_class = s.SnapshotSerializer
    pagination_class = Cursor

    def get_queryset(self):
        rows = Snapshot.objects.filter(team__in=access.visible_teams(self.request.user))
        params = self.request.query_params
        if "team" in params:
            rows = rows.filter(team_id=parse_id(params["team"]) or 0)
        for name, lookup in (("since", "date__gte"), ("until", "date__lte")):
            day = _date(params.get(name))
            if day is not None:
                rows = rows.filter(**{lookup: day})
        return rows

    def paginate_queryset(self, queryset):
        self.paginator.ordering = ("-date", "-id")
        return super().paginate_queryset(queryset)


def _date(raw):
    try:
        day = dt.date.fromisoformat(raw or "")
    except ValueError:
        return None
    return day if EARLIEST_DATE <= day <= LATEST_DATE else None
