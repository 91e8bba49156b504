"""Staff keep webhook endpoints through the API: /api/v1/webhooks/."""

from django.shortcuts import get_object_or_404
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

from .forms import EndpointForm
from .models import Delivery, Endpoint, Event

ERRORS = {400: OpenApiTypes.OBJECT, 401: OpenApiTypes.OBJECT, 403: OpenApiTypes.OBJECT}


class ManagesWebhooks(BasePermission):
    def has_permission(self, request, view):
        return access.can_manage_webhooks(request.user)


class EndpointSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=Event.choices))

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
        return get_object_or_404(Endpoint, pk=pk)

    def list(self, request):
        self.paginator.ordering = ("-id",)
        page = self.paginate_queryset(Endpoint.objects.all())
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
        endpoint = form.save(commit=False)
        endpoint.created_by = request.user
        endpoint.save()
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
        endpoint = form.save(commit=False)
        if request.data.get("resume") is True:
            endpoint.paused_at, endpoint.paused_reason, endpoint.failures = None, "", 0
        endpoint.save()
        return Response(EndpointSerializer(endpoint).data)

    @extend_schema(responses={200: DeliverySerializer(many=True), **ERRORS})
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        """The delivery log: status, attempts, response code and excerpt, time taken."""
        endpoint = self.get_endpoint(pk)
        self.paginator.ordering = ("-id",)
        page = self.paginate_queryset(endpoint.deliveries.all())
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)
