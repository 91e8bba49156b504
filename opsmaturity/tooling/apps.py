from django.apps import AppConfig


class ToolingConfig(AppConfig):
    name = "opsmaturity.tooling"
    label = "tooling"
    verbose_name = "Tooling"
