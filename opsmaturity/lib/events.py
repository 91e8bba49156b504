"""What happened, announced by the services once it is saved: who listens (webhooks,
chat) is no concern of the code that made the change, and this module imports no app.

Each signal is sent inside the service's transaction, after the change is written;
a listener that reaches outside the app must wait for the commit itself
(``transaction.on_commit``), so that a change rolled back announces nothing.
"""

from django.dispatch import Signal

# operation, by
operation_created = Signal()
# by, operations: a batch recorded at once (an import: operations.services.create_operations)
operations_created = Signal()
# operation, by, fields (the names of the fields that changed)
operation_changed = Signal()
# by, changes: (operation, fields) pairs, a batch of edits (an import, a bulk change of the
# list: operations.services.update_operations)
operations_changed = Signal()
# operation, by, transition
operation_moved = Signal()
# by, moves: (operation, transition) pairs, a batch of an import (operations.services.move_phases)
operations_moved = Signal()
# flag, by, exemption
snooze_asked = Signal()
# flag, by, exemption (granted or declined)
snooze_decided = Signal()
# by, exemptions: a batch of requests (asked) or of grants (decided), each exemption
# with its flag (maturity.exemptions.request_snoozes / grant_snoozes)
snoozes_asked = Signal()
snoozes_decided = Signal()
# as_of (the moment of the scan: the opened flags' opened_at, the resolved ones'
# resolved_at), opened and resolved (how many); only when either is not 0
flags_changed = Signal()
# campaign, days_left: the campaign's deadline is OPS_CAMPAIGN_REMIND_DAYS away (sent
# once a day by the daily job, on the day it enters the reminder window)
campaign_deadline_near = Signal()
# campaign (closed, with its result), by (None when the daily job closed it)
campaign_closed = Signal()
