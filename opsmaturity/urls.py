from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from opsmaturity.accounts.forms import SignInForm
from opsmaturity.accounts.urls import auth_urlpatterns
from opsmaturity.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("favicon.ico", core_views.favicon),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=SignInForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("ops/", include("opsmaturity.transfer.urls")),
    path("accounts/", include(auth_urlpatterns)),
    path("account/", include("opsmaturity.accounts.urls")),
    path("ops/", include("opsmaturity.operations.urls")),
    path("sso/", include("opsmaturity.sso.urls")),
    path("dashboard/", include("opsmaturity.dashboard.urls")),
    path("maturity/", include("opsmaturity.maturity.urls")),
    path("digests/", include("opsmaturity.digests.urls")),
    path("team-plan/", include("opsmaturity.organization.urls")),
    path("teams/", include("opsmaturity.teams.urls")),
    path("invitations/", include("opsmaturity.invitations.urls")),
    path("people/", include("opsmaturity.offboarding.urls")),
    path("campaigns/", include("opsmaturity.campaigns.urls")),
    path("api/", include("opsmaturity.api.urls")),
    path("integrations/", include("opsmaturity.webhooks.urls")),
    path("admin/", admin.site.urls),
]

# A database failure outside a view (e.g. saving the session) is a 503 too.
handler500 = "opsmaturity.core.faults.server_error"
