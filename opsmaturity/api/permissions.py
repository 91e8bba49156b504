from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from .models import ApiToken


class TokenScope(BasePermission):
    """A read-only token reads; only a read-write one changes anything. What the
    person may change is then asked of teams/access.py, as on the pages."""

    message = _("This token may only read: make a read-and-write token to change things.")

    def has_permission(self, request, view):
        token = request.auth
        if not isinstance(token, ApiToken) or request.method in SAFE_METHODS:
            return True
        return token.can_write
