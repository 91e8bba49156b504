from django import template
from django.urls import reverse

from opsmaturity.teams import access
from opsmaturity.transfer.models import ImportedOperation

register = template.Library()


@register.simple_tag
def imports_of(operation):
    """The imports that created or changed an operation, newest first (one query)."""
    return list(ImportedOperation.objects.filter(operation=operation).select_related("record__by"))


@register.simple_tag(takes_context=True)
def can_import(context):
    return access.can_import(context["request"].user)


@register.simple_tag(takes_context=True)
def export_url(context, fmt):
    """The export of the list as filtered now: the same query string, but the page."""
    params = context["request"].GET.copy()
    params.pop("page", None)
    params["format"] = fmt
    return f"{reverse('transfer:export')}?{params.urlencode()}"
