from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SsoConfig(AppConfig):
    name = "opsmaturity.sso"
    label = "sso"
    verbose_name = _("Single sign-on")

    def ready(self):
        from . import checks  # noqa: F401 - registers the deployment checks
