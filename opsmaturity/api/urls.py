from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from opsmaturity.webhooks import api as webhooks_api

from . import docs, pages, views

app_name = "api"

router = SimpleRouter(use_regex_path=False)
router.register("operations", views.OperationViewSet, basename="operation")
router.register("flags", views.FlagViewSet, basename="flag")
router.register("teams", views.TeamViewSet, basename="team")
router.register("snapshots", views.SnapshotViewSet, basename="snapshot")
router.register("webhooks", webhooks_api.EndpointViewSet, basename="webhook")
router.register("chat-channels", webhooks_api.ChatChannelViewSet, basename="chat-channel")

urlpatterns = [
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("tokens/", pages.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", pages.revoke, name="revoke-token"),
    path("docs/", docs.SwaggerView.as_view(url_name="api:schema"), name="docs"),
    # Anything else under /api/ (an id that is no id, a typo) is a JSON 404, not a page.
    re_path(r"^v1/", views.not_found, name="not-found"),
]
