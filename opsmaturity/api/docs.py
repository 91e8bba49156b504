"""The API's docs page: Swagger UI, its files served by the app (drf-spectacular-sidecar).

The split view sends the start-up script as a file of its own, and our template links
a stylesheet in place of drf-spectacular's inline one: the page keeps the site's
Content-Security-Policy, with no inline script or style.
"""

from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny


class SwaggerView(SpectacularSwaggerSplitView):
    template_name = "api/swagger_ui.html"
    # The page itself holds nothing: the schema it loads says what each endpoint needs.
    permission_classes = [AllowAny]
