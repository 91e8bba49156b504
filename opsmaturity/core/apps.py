from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "opsmaturity.core"
    label = "core"
    verbose_name = "Core"
