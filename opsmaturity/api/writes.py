"""From a JSON body to the page's form: the one validation of every write.

A body is first checked for its JSON types (a list where a text is expected is
refused at its field), then handed to the form the page uses, as the page would
send it. An edit (PATCH) sends only what changes: the form gets the operation as it
stands, with the sent fields on top.
"""

import re

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from opsmaturity.operations.forms import OperationForm

FIELDS = OperationForm.Meta.fields
ETAG = re.compile(r'\s*(?:W/)?"?([0-9]{1,18})"?\s*')


def checked(serializer_class, data, partial=False):
    """Refuse a body that is no JSON object, or whose values have the wrong JSON type."""
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": ["Send a JSON object."]})
    serializer = serializer_class(data=data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return serializer


def expected_version(request, data=None):
    """The version a change was started from: the If-Match header, else the body's."""
    header = request.headers.get("If-Match")
    if header:
        match = ETAG.fullmatch(header)
        if match is None:
            raise ValidationError({"version": ["If-Match takes the operation's ETag."]})
        return int(match[1])
    data = request.data if data is None else data
    version = data.get("version") if isinstance(data, dict) else None
    return version if isinstance(version, int) and not isinstance(version, bool) else None


def require_version(version):
    if version is None:
        raise ValidationError(
            {
                "version": [
                    _(
                        "Send the version you read, as a version field or an If-Match "
                        "header, so that nobody's change is overwritten unseen."
                    )
                ]
            }
        )
    return version


def _as_sent(value):
    """A JSON value as a form field reads it from a page's POST."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    return value


def current_data(operation):
    return {
        "name": operation.name,
        "team": operation.team_id,
        "owner": operation.owner_id,
        "purpose": operation.purpose,
        "performers": list(operation.performers.values_list("pk", flat=True)),
        "runbook_url": operation.runbook_url,
        "launched_at": operation.launched_at.isoformat() if operation.launched_at else "",
        "monthly_volume": operation.monthly_volume,
        "monthly_cost": str(operation.monthly_cost),
        "monthly_value": str(operation.monthly_value),
        "version": operation.version,
    }


def initial_data(user):
    """What the page's empty form starts with (no cost, the person as owner, …)."""
    blank = OperationForm(user=user)
    values = {name: blank[name].value() for name in FIELDS}
    return {name: value for name, value in values.items() if value not in (None, "", [])}


def operation_form(user, body, instance=None, version=None):
    """The page's OperationForm, bound to the body (on top of the operation, for an edit).

    A field the person may not change (a member reassigning the owner) is refused at
    the field with the page's own words, instead of being quietly ignored.
    """
    data = current_data(instance) if instance is not None else initial_data(user)
    data.update({name: _as_sent(body[name]) for name in FIELDS if name in body})
    if instance is not None:
        data["version"] = require_version(version)
    form = OperationForm(data, instance=instance, user=user)
    if instance is not None:
        for name in FIELDS:
            field = form.fields[name]
            if field.disabled and name in body and body[name] != data_of(instance, name):
                form.is_valid()
                form.add_error(name, str(field.help_text))
    return form


def data_of(instance, name):
    return current_data(instance)[name]
