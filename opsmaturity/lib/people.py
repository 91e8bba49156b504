"""How a person is named on pages, in emails and in messages: one spelling everywhere."""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

# At most this many people come back from a search as one types (PersonSearch).
SEARCH_LIMIT = 20


def display_name(user):
    """The display name of the person's profile, else their full name, else their
    username; "" for nobody.

    The profile is read only when it came with the user (``select_related("profile")``,
    as the signed-in person's always does): naming a list of people never costs a
    query per person. Where it did not come, the full name is shown.
    """
    if user is None:
        return ""
    profile = getattr(getattr(user, "_state", None), "fields_cache", {}).get("profile")
    if profile is not None and profile.display_name:
        return profile.display_name
    return user.get_full_name() or user.username


def person_label(user):
    """The name as a choice in a form: someone who left is marked so."""
    name = display_name(user)
    if not user.is_active:
        return _("%(name)s (left)") % {"name": name}
    return name


class PersonChoiceField(forms.ModelChoiceField):
    """A choice of one person, named as everywhere else."""

    def label_from_instance(self, user):
        return person_label(user)


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, user):
        return person_label(user)


def matching(people, text):
    """The people of ``people`` whose names, username or email hold every word typed:
    the people list's search and the person search of the bulk bar."""
    for word in (text or "").split():
        people = people.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(profile__display_name__icontains=word)
            | Q(username__icontains=word)
            | Q(email__icontains=word)
        )
    return people


def find_person(people, text, by_id=False):
    """The one person of ``people`` that a username or an email typed names (or, with
    ``by_id``, the id an address carries), or a ValidationError that says why not
    (nobody, or several with that email).

    One query: the id wins, then the username as typed, then the username in any
    case, then the email (which two accounts may share)."""
    text = (text or "").strip()
    named = Q(username__iexact=text) | Q(email__iexact=text)
    pk = int(text) if by_id and text.isdigit() and len(text) < 18 else None
    if pk is not None:
        named |= Q(pk=pk)
    found = list(people.filter(named)[:10])
    for candidates in (
        [p for p in found if p.pk == pk],
        [p for p in found if p.username == text],
        [p for p in found if p.username.lower() == text.lower()],
        [p for p in found if p.email.lower() == text.lower()],
    ):
        if len(candidates) == 1:
            return candidates[0]
        if len(candidates) > 1:
            raise ValidationError(
                _(
                    "Several people have the email “%(text)s”: type the username of the one "
                    "you mean."
                )
                % {"text": text},
                code="ambiguous",
            )
    raise ValidationError(
        _(
            "Nobody you may choose has the username or email “%(text)s”: type part of their "
            "name and pick them from the list, or check the spelling."
        )
        % {"text": text},
        code="unknown",
    )


class PersonLookupField(forms.CharField):
    """One person, typed rather than chosen from a list of everyone: a username or an
    email among ``queryset`` (lib.widgets.PersonSearch suggests them as one types).

    For lists of thousands: the bulk bar's owner pickers named all 20,000 people of an
    installation with a million operations, 825 KB each on every page of the list."""

    def __init__(self, *, queryset, by_id=False, **kwargs):
        kwargs.setdefault("max_length", 254)
        super().__init__(**kwargs)
        self.queryset, self.by_id = queryset, by_id

    def prepare_value(self, value):
        return value.get_username() if hasattr(value, "get_username") else value

    def clean(self, value):
        text = super().clean(value)  # stripped, required and length checked
        return find_person(self.queryset, text, self.by_id) if text else None
