"""Optimistic concurrency: two people editing one row, and the second is told.

Every versioned row (an operation, a skill level) is changed the same way: in a
transaction, lock the row, compare its version with the one the editor started
from, raise ``EditConflict`` when someone saved in between, and only then write.
"""

from django.utils.translation import gettext as _


class EditConflict(Exception):
    """Someone else saved the row since this change was started; ``current`` is it now."""

    def __init__(self, current, message=None):
        self.current = current
        super().__init__(
            message or _("Someone else changed this while you were editing it; check it again.")
        )


def lock_current(queryset, pk, expected_version=None, *, still=None, message=None):
    """The row, locked until the transaction ends (call it inside one).

    Raises EditConflict when ``expected_version`` is given and differs from the
    saved version, or when ``still(row)`` says the row no longer is what the
    editor saw (a proposal confirmed meanwhile, say).
    """
    current = queryset.select_for_update().get(pk=pk)
    stale = expected_version is not None and current.version != expected_version
    if stale or (still is not None and not still(current)):
        raise EditConflict(current, message)
    return current
