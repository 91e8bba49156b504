from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class CoreConfig(AppConfig):
    default = True
    name = "opsmaturity.core"
    label = "core"
    verbose_name = "Core"

    def ready(self):
        from django.contrib import admin

        from . import checks  # noqa: F401 - registers the deployment checks
        from .admin import register_sign_in_records

        register_sign_in_records(admin.site)


class OpsAdminConfig(admin_apps.AdminConfig):
    """Django's admin with our site: open to ops managers, read-only (core/admin.py)."""

    default = False
    default_site = "opsmaturity.core.admin.OpsAdminSite"
