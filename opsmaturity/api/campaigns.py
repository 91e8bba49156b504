"""Campaigns in the API, read-only: the list and one campaign with its operations.

The numbers are the campaign pages' own (campaigns.pages.overview: counts, forecast),
in a fixed number of queries whatever the number of campaigns or operations.
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from opsmaturity.campaigns import pages, progress
from opsmaturity.lib.forms import parse_id
from opsmaturity.lib.urls import absolute
from opsmaturity.teams import access

from . import serializers as s
from .pagination import Cursor


def forecast_data(result):
    if result is None:
        return None
    return {
        "status": result.status,
        "remaining": result.remaining,
        "finish": result.finish,
        "earliest": result.earliest,
        "latest": result.latest,
        "beyond_horizon": result.beyond_horizon,
        "pace_per_week": round(result.pace_per_week, 2),
        "quiet_weeks": result.quiet_weeks,
        "sentence": pages.forecast_sentence(result),
    }


def campaign_data(row):
    campaign = row["campaign"]
    return {
        "id": campaign.pk,
        "name": campaign.name,
        "goal": {
            "kind": campaign.goal,
            "phase": campaign.goal_phase,
            "flag_kind": campaign.goal_flag,
            "text": campaign.goal_text(),
        },
        "teams": [{"id": t.pk, "name": t.name} for t in campaign.teams.all()],
        "owner": campaign.owner,
        "deadline": campaign.deadline,
        "days_left": row["days_left"],
        "started_at": campaign.started_at,
        "closed_at": campaign.closed_at,
        "progress": {"done": row["counts"]["done"], "total": row["counts"]["total"]},
        "forecast": forecast_data(row["forecast"]),
        "url": absolute(campaign.get_absolute_url()),
    }


class CampaignViewSet(viewsets.GenericViewSet):
    """Campaigns: read by everyone signed in, as on the campaign pages."""

    lookup_value_converter = "int"
    serializer_class = s.CampaignSerializer
    pagination_class = Cursor

    def get_queryset(self):
        if not access.can_read_campaigns(self.request.user):
            raise PermissionDenied()
        return pages.campaigns_with_teams()

    @extend_schema(responses={200: s.CampaignSerializer(many=True)})
    def list(self, request):
        self.paginator.ordering = ("-id",)
        page = self.paginate_queryset(self.get_queryset())
        rows = pages.overview(page)
        data = s.CampaignSerializer([campaign_data(row) for row in rows], many=True).data
        return self.get_paginated_response(data)

    @extend_schema(responses={200: s.CampaignDetailSerializer})
    def retrieve(self, request, pk=None):
        pk = parse_id(str(pk))
        campaign = get_object_or_404(self.get_queryset(), pk=pk or 0)
        data = campaign_data(pages.overview([campaign])[0])
        members = (
            progress.with_done(progress.current_members(campaign))
            .select_related("operation__team")
            .order_by("operation__name", "pk")
        )
        data["operations"] = [
            {
                "id": m.operation_id,
                "name": m.operation.name,
                "team": {"id": m.operation.team_id, "name": m.operation.team.name},
                "phase": m.operation.phase,
                "done": m.done,
            }
            for m in members
        ]
        return Response(s.CampaignDetailSerializer(data).data)
