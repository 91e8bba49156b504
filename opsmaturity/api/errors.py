"""Errors as JSON: a message per field, as the pages show them next to the field.

- 400 ``{"field": ["message", …], "non_field_errors": [...]}``: bad input;
- 401/403/404 ``{"detail": "…"}``: not signed in, not allowed, not there;
- 409 ``{"detail": "…", "current_version": n}``: someone saved since that version.
"""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from opsmaturity.lib.concurrency import EditConflict

NON_FIELD = "non_field_errors"


class FormInvalid(ValidationError):
    """A page's form refused the input: its errors, field by field."""

    def __init__(self, form):
        super().__init__(form_errors(form))


def form_errors(form):
    """{field: [messages]} of a bound form, with its form-wide ones under non_field_errors.

    A hidden field's errors (a version) are copied among the form-wide ones for the
    page (lib.forms.SafeInput); here they stay at their field only.
    """
    errors = {}
    at_fields = set()
    for name, messages in form.errors.items():
        if name == NON_FIELD_ERRORS:
            continue
        errors[name] = [str(m) for m in messages]
        at_fields.update(errors[name])
    top = [str(m) for m in form.errors.get(NON_FIELD_ERRORS, []) if str(m) not in at_fields]
    if top:
        errors[NON_FIELD] = top
    return errors


def validation_errors(exc):
    """{field: [messages]} of a Django ValidationError raised by a service."""
    if hasattr(exc, "error_dict"):
        return {
            (NON_FIELD if name == NON_FIELD_ERRORS else name): [str(m) for m in messages]
            for name, messages in exc.message_dict.items()
        }
    return {NON_FIELD: [str(m) for m in exc.messages]}


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT


def conflict_response(exc):
    return Response(
        {"detail": str(exc), "current_version": exc.current.version},
        status=status.HTTP_409_CONFLICT,
    )


def exception_handler(exc, context):
    if isinstance(exc, EditConflict):
        return conflict_response(exc)
    if isinstance(exc, DjangoValidationError):
        return Response(validation_errors(exc), status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)
