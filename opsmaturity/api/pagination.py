"""Cursor pagination: a page never repeats or skips a row while others write.

The operations list keeps the order its filters chose (the list page's ``sort``),
so the cursor follows the queryset's own ordering rather than a fixed one.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DataError
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination


class Cursor(CursorPagination):
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-id",)

    def __init__(self):
        self.page_size = settings.OPS_API_PAGE_SIZE

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValidationError, ValueError, TypeError, OverflowError, DataError):
            # A cursor whose position is no value of its field: tampered with.
            raise NotFound(self.invalid_cursor_message) from None


class QueryOrderCursor(Cursor):
    """Pages in the order the queryset is already sorted in (the last key unique)."""

    def get_ordering(self, request, queryset, view):
        return tuple(queryset.query.order_by)

    def _get_position_from_instance(self, instance, ordering):
        value = instance
        for part in ordering[0].lstrip("-").split("__"):
            value = getattr(value, part)
        return str(value)
