"""The method's rules for phase moves: what a move is, and whether it needs a note.

Forward one phase at a time needs no note unless exit criteria are unmet; a skip
or a move backward needs one; retiring (from any phase) needs one; a retired
operation can be reinstated, with a note. ``operations.services.move_phase``
applies them, and the move page, the demo and (later) the API ask them.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from opsmaturity.operations.phases import Phase


class MoveKind:
    FORWARD = "forward"
    SKIP = "skip"
    BACKWARD = "backward"
    RETIRE = "retire"
    REINSTATE = "reinstate"


@dataclass(frozen=True)
class Move:
    """What moving from one phase to another is, and whether it needs a note."""

    from_phase: str
    to_phase: str
    kind: str
    needs_note: bool
    why_note: str = ""


class IllegalMove(ValueError):
    pass


def classify_move(from_phase, to_phase, unmet_criteria=0):
    """Classify a move, or raise IllegalMove with a message that says why.

    Forward one phase at a time needs no note unless exit criteria are unmet; a
    skip or a move backward needs one; retiring (from any phase) needs one; a
    retired operation can be reinstated, with a note.
    """
    if to_phase not in Phase.values:
        raise IllegalMove(_("“%(phase)s” is not a phase.") % {"phase": to_phase})
    source, target = Phase(from_phase), Phase(to_phase)
    if source == target:
        raise IllegalMove(_("The operation is already in %(phase)s.") % {"phase": source.label})
    if target == Phase.RETIRE:
        return Move(source, target, MoveKind.RETIRE, True, _("Say why it is no longer needed."))
    if source == Phase.RETIRE:
        return Move(source, target, MoveKind.REINSTATE, True, _("Say why it is needed again."))
    if target.position < source.position:
        return Move(source, target, MoveKind.BACKWARD, True, _("Say why it moves back."))
    if target.position > source.position + 1:
        return Move(
            source,
            target,
            MoveKind.SKIP,
            True,
            _("Skipping %(phase)s: say why it is not needed.") % {"phase": source.next.label},
        )
    if unmet_criteria:
        return Move(
            source,
            target,
            MoveKind.FORWARD,
            True,
            ngettext(
                "%(count)d exit criterion is not met: say why it can move on anyway.",
                "%(count)d exit criteria are not met: say why it can move on anyway.",
                unmet_criteria,
            )
            % {"count": unmet_criteria},
        )
    return Move(source, target, MoveKind.FORWARD, False)
