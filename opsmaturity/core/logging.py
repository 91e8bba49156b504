"""Log records: a refusal is an answer, not a fault."""

import logging


class RefusalsWithoutTraceback(logging.Filter):
    """A 403, 404 or 405 gets one line in the log, without the traceback Django attaches
    (a person opening a page they may not see is not a bug); 5xx keep theirs."""

    def filter(self, record):
        status = getattr(record, "status_code", None)
        if status is not None and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
