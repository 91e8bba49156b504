"""Staff keep webhook endpoints through the API: /api/v1/webhooks/."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from opsmaturity.api.errors import FormInvalid
from opsmaturity.api.pagination import Cursor
from opsmaturity.api.writes import checked
from opsmaturity.teams import access

from . import services
from .forms import WEBHOOK_EVENTS, ChatChannelForm, EndpointForm
from .models import Delivery, Endpoint, Kind

ONLY_MANAGERS = _("Only a manager of the team keeps its chat channels.")
ERRORS = {400: OpenApiTypes.OBJECT, 401: OpenApiTypes.OBJECT, 403: OpenApiTypes.OBJECT}


class ManagesWebhooks(BasePermission):
    def has_permission(self, request, view):
        return access.can_manage_webhooks(request.user)


class EndpointSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=WEBHOOK_EVENTS))

    class Meta:
        model = Endpoint
        fields = [
            "id",
            "url",
            "description",
            "events",
            "is_active",
            "failures",
            "paused_at",
            "paused_reason",
            "created_at",
        ]
        read_only_fields = fields


class EndpointCreatedSerializer(EndpointSerializer):
    secret = serializers.CharField(read_only=True, help_text="Shown on creation only.")

    class Meta(EndpointSerializer.Meta):
        fields = [*EndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class EndpointWriteSerializer(serializers.Serializer):
    url = serializers.CharField()
    description = serializers.CharField(required=False, allow_blank=True)
    events = serializers.ListField(child=serializers.CharField())
    secret = serializers.CharField(required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


class EndpointUpdateSerializer(EndpointWriteSerializer):
    resume = serializers.BooleanField(
        required=False, help_text="Resume a paused endpoint: its failures start again at 0."
    )

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            field.required = False
        return fields


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = Delivery
        fields = [
            "id",
            "uid",
            "event",
            "status",
            "attempts",
            "created_at",
            "last_attempt_at",
            "next_attempt_at",
            "response_status",
            "response_excerpt",
            "duration_ms",
            "error",
        ]
        read_only_fields = fields


def _form_data(body, instance=None):
    data = {}
    if instance is not None:
        data = {
            "url": instance.url,
            "description": instance.description,
            "events": list(instance.events),
            "is_active": instance.is_active,
        }
    for name in ("url", "description", "events", "secret", "is_active"):
        if name in body:
            data[name] = body[name]
    if instance is None:
        data.setdefault("is_active", True)
    return data


class EndpointViewSet(viewsets.GenericViewSet):
    """Webhook endpoints (staff): the URL, the events it wants, and its secret."""

    serializer_class = EndpointSerializer
    permission_classes = [*viewsets.GenericViewSet.permission_classes, ManagesWebhooks]
    pagination_class = Cursor
    lookup_value_converter = "int"
    queryset = Endpoint.objects.none()

    def get_endpoint(self, pk):
        return get_object_or_404(Endpoint, pk=pk, kind=Kind.WEBHOOK)

    def list(self, request):
        self.paginator.ordering = ("-id",)
        page = self.paginate_queryset(Endpoint.objects.filter(kind=Kind.WEBHOOK))
        return self.get_paginated_response(EndpointSerializer(page, many=True).data)

    @extend_schema(responses={200: EndpointSerializer, **ERRORS, 404: OpenApiTypes.OBJECT})
    def retrieve(self, request, pk=None):
        return Response(EndpointSerializer(self.get_endpoint(pk)).data)

    @extend_schema(
        request=EndpointWriteSerializer, responses={201: EndpointCreatedSerializer, **ERRORS}
    )
    def create(self, request):
        checked(EndpointWriteSerializer, request.data)
        form = EndpointForm(_form_data(request.data))
        if not form.is_valid():
            raise FormInvalid(form)
        endpoint = services.save(form, by=request.user)
        return Response(EndpointCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=EndpointUpdateSerializer,
        responses={200: EndpointSerializer, **ERRORS, 404: OpenApiTypes.OBJECT},
    )
    def partial_update(self, request, pk=None):
        endpoint = self.get_endpoint(pk)
        checked(EndpointUpdateSerializer, request.data, partial=True)
        form = EndpointForm(_form_data(request.data, endpoint), instance=endpoint)
        if not form.is_valid():
            raise FormInvalid(form)
        endpoint = services.save(form, by=request.user, resume=request.data.get("resume") is True)
        return Response(EndpointSerializer(endpoint).data)

    @extend_schema(responses={200: DeliverySerializer(many=True), **ERRORS})
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        """The delivery log: status, attempts, response code and excerpt, time taken."""
        endpoint = self.get_endpoint(pk)
        self.paginator.ordering = ("-id",)
        page = self.paginate_queryset(endpoint.deliveries.all())
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)


class ChatChannelSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=WEBHOOK_EVENTS))
    kind = serializers.ChoiceField(choices=[(Kind.SLACK, "Slack"), (Kind.TEAMS, "Teams")])

    class Meta:
        model = Endpoint
        fields = [
            "id",
            "kind",
            "team",
            "url",
            "description",
            "events",
            "weekly_summary",
            "is_active",
            "failures",
            "paused_at",
            "paused_reason",
            "created_at",
        ]
        read_only_fields = fields


class ChatChannelWriteSerializer(serializers.Serializer):
    kind = serializers.CharField()
    team = serializers.IntegerField()
    url = serializers.CharField()
    description = serializers.CharField(required=False, allow_blank=True)
    events = serializers.ListField(child=serializers.CharField(), required=False)
    weekly_summary = serializers.BooleanField(required=False)
    is_active = serializers.BooleanField(required=False)


class ChatChannelUpdateSerializer(ChatChannelWriteSerializer):
    resume = serializers.BooleanField(required=False)

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            field.required = False
        return fields


CHAT_FIELDS = ("kind", "team", "url", "description", "events", "weekly_summary", "is_active")


def _chat_data(body, instance=None):
    data = {"is_active": True}
    if instance is not None:
        data = {name: getattr(instance, name) for name in CHAT_FIELDS if name != "team"}
        data["team"] = instance.team_id
        data["events"] = list(instance.events)
    data.update({name: body[name] for name in CHAT_FIELDS if name in body})
    return data


class ChatChannelViewSet(viewsets.GenericViewSet):
    """A team's Slack or Microsoft Teams channel, kept by the team's managers."""

    serializer_class = ChatChannelSerializer
    pagination_class = Cursor
    lookup_value_converter = "int"
    queryset = Endpoint.objects.none()

    def channels(self):
        teams = access.chat_teams(self.request.user)
        return Endpoint.objects.exclude(kind=Kind.WEBHOOK).filter(team__in=teams)

    def get_channel(self, pk):
        channel = get_object_or_404(Endpoint.objects.exclude(kind=Kind.WEBHOOK), pk=pk)
        access.require(access.can_manage_chat(self.request.user, channel.team_id), ONLY_MANAGERS)
        return channel

    def list(self, request):
        self.paginator.ordering = ("-id",)
        page = self.paginate_queryset(self.channels())
        return self.get_paginated_response(ChatChannelSerializer(page, many=True).data)

    @extend_schema(responses={200: ChatChannelSerializer, **ERRORS, 404: OpenApiTypes.OBJECT})
    def retrieve(self, request, pk=None):
        return Response(ChatChannelSerializer(self.get_channel(pk)).data)

    @extend_schema(
        request=ChatChannelWriteSerializer, responses={201: ChatChannelSerializer, **ERRORS}
    )
    def create(self, request):
        teams = access.chat_teams(request.user)
        access.require(teams.exists(), ONLY_MANAGERS)
        checked(ChatChannelWriteSerializer, request.data)
        form = ChatChannelForm(_chat_data(request.data), teams=teams)
        if not form.is_valid():
            raise FormInvalid(form)
        channel = services.save(form, by=request.user)
        return Response(ChatChannelSerializer(channel).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=ChatChannelUpdateSerializer,
        responses={200: ChatChannelSerializer, **ERRORS, 404: OpenApiTypes.OBJECT},
    )
    def partial_update(self, request, pk=None):
        channel = self.get_channel(pk)
        checked(ChatChannelUpdateSerializer, request.data, partial=True)
        teams = access.chat_teams(request.user)
        form = ChatChannelForm(_chat_data(request.data, channel), instance=channel, teams=teams)
        if not form.is_valid():
            raise FormInvalid(form)
        channel = services.save(form, by=request.user, resume=request.data.get("resume") is True)
        return Response(ChatChannelSerializer(channel).data)

    @extend_schema(responses={200: DeliverySerializer(many=True), **ERRORS})
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        channel = self.get_channel(pk)
        self.paginator.ordering = ("-id",)
        page = self.paginate_queryset(channel.deliveries.all())
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)
