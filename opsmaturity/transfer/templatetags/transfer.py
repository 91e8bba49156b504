from django import template

from opsmaturity.transfer.models import ImportedOperation

register = template.Library()


@register.simple_tag
def imports_of(operation):
    """The imports that created or changed an operation, newest first (one query)."""
    return list(ImportedOperation.objects.filter(operation=operation).select_related("record__by"))
