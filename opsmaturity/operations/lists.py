"""The operations list: filters from the URL turned into one queryset, and what its
table shows each person (the columns and the page size they chose)."""

from dataclasses import dataclass

from django import forms
from django.db.models import Prefetch, Q
from django.utils.translation import gettext_lazy as _

from opsmaturity.accounts.models import Profile
from opsmaturity.campaigns.models import CampaignMember
from opsmaturity.lib.forms import SafeForm
from opsmaturity.lib.people import SEARCH_LIMIT, matching
from opsmaturity.maturity.models import ExemptionAction, Flag, FlagExemption
from opsmaturity.maturity.rules import standing, with_performer_count
from opsmaturity.teams import access

from .forms import SORTS, OperationFilterForm, owners
from .models import Operation, phase_position, shortfall
from .phases import Phase

# --- what the table shows: columns and page size, chosen by each person ----------------
# The one place that knows them: the list view, its settings form and the profile's
# stored choice all read these (a keyset pagination would take its page size from
# page_size_of() as the OFFSET one does).

PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
PAGE_SIZE = DEFAULT_PAGE_SIZE  # the default, for the benchmark's last page


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    numeric: bool = False
    default: bool = True


# In the table's order. The operation's name is always shown and is not among them.
COLUMNS = (
    Column("team", _("Team")),
    Column("phase", _("Phase")),
    Column("days", _("Days in phase"), numeric=True),
    Column("owner", _("Owner")),
    Column("performers", _("Performers"), numeric=True),
    Column("cost", _("Monthly cost"), numeric=True),
    Column("value", _("Monthly value"), numeric=True),
    Column("flags", _("Open flags")),
    Column("volume", _("Monthly volume"), numeric=True, default=False),
    Column("launched", _("Launched on"), default=False),
    Column("updated", _("Last updated"), default=False),
)
COLUMN_KEYS = tuple(column.key for column in COLUMNS)
DEFAULT_COLUMNS = tuple(column.key for column in COLUMNS if column.default)


def columns_of(user):
    """The keys of the columns a person chose (the defaults until they choose), in the
    table's order; a key the list no longer knows is left out. No query: the profile
    comes with the user."""
    chosen = Profile.of(user).list_columns
    if not isinstance(chosen, list):
        return DEFAULT_COLUMNS
    return tuple(key for key in COLUMN_KEYS if key in chosen)


def page_size_of(user):
    """How many operations a page of the list shows this person."""
    size = Profile.of(user).list_page_size
    return size if size in PAGE_SIZES else DEFAULT_PAGE_SIZE


class ListSettingsForm(SafeForm):
    """The list's "Columns" disclosure: which columns, how many rows a page.

    ``next`` is the list's query string, to go back to the same filters without
    JavaScript (htmx sends the filters themselves)."""

    columns = forms.MultipleChoiceField(
        label=_("Columns"),
        choices=[(column.key, column.label) for column in COLUMNS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    page_size = forms.TypedChoiceField(
        label=_("Operations per page"),
        choices=[(size, size) for size in PAGE_SIZES],
        coerce=int,
        error_messages={"invalid_choice": _("Choose one of the page sizes offered.")},
    )
    next = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    @classmethod
    def for_user(cls, user, query=""):
        initial = {"columns": list(columns_of(user)), "page_size": page_size_of(user)}
        return cls(initial={**initial, "next": query})


def open_flags_prefetch(include_snoozed=False):
    """The operation's open flags as ``open_flags``; snoozed ones only when asked."""
    flags = Flag.objects.current()
    if include_snoozed:
        requests = FlagExemption.objects.filter(action=ExemptionAction.REQUESTED).select_related(
            "by__profile"
        )
        flags = (
            Flag.objects.open()
            .select_related("snoozed_by__profile")
            .prefetch_related(
                Prefetch("exemptions", queryset=requests.order_by("-at"), to_attr="requests")
            )
        )
    return Prefetch("flags", queryset=flags.order_by("kind"), to_attr="open_flags")


def in_scope(operations, user, scope):
    """Narrow operations to a scope of the list and the dashboard."""
    if scope == "all":
        return operations
    if scope == "my_teams":
        return operations.filter(team_id__in=access.member_team_ids(user))
    if scope == "managed":
        return operations.filter(team_id__in=access.managed_team_ids(user))
    if scope == "me":
        return operations.run_by(user)
    return operations.for_user(user)


def owners_matching(text):
    """Suggestions for the owner filter: the first SEARCH_LIMIT people, by name, who own
    an operation and whose names, username or email hold what was typed; nobody for
    nothing typed (naming the first twenty of 20,000 people would cost a probe of each)."""
    if not (text or "").strip():
        return []
    people = matching(owners(), text).select_related("profile")
    return people.order_by("first_name", "last_name", "username")[:SEARCH_LIMIT]


def default_scope(user):
    """What the list shows when the URL does not say: one's own and one's teams'
    operations, or every operation for someone in no team (staff, say), who would
    otherwise open the list on nothing."""
    return "mine" if access.member_team_ids(user) else "all"


def filtered_operations(user, params):
    """(bound filter form, queryset) for the list's query string."""
    if not params.get("scope"):
        params = params.copy()
        params["scope"] = default_scope(user)
    form = OperationFilterForm(params)
    form.is_valid()  # invalid values are dropped, never a 500
    data = form.cleaned_data
    qs = in_scope(Operation.objects.all(), user, data.get("scope") or "mine")
    if not data.get("retired") and data.get("phase") != Phase.RETIRE:
        qs = qs.active()
    if data.get("team"):
        qs = qs.filter(team=data["team"])
    if data.get("phase"):
        qs = qs.filter(phase=data["phase"])
    if data.get("owner"):
        qs = qs.filter(owner=data["owner"])
    if data.get("campaign"):
        members = CampaignMember.objects.filter(campaign=data["campaign"], removed_at__isnull=True)
        qs = qs.filter(pk__in=members.values("operation_id"))
    if data.get("flag"):
        if data["flag"] == "snoozed":
            flags = Flag.objects.snoozed()
        elif data["flag"] == "snooze_requested":
            flags = Flag.objects.open().filter(snooze_requested=True)
        else:
            flags = Flag.objects.current()
            if data["flag"] != "any":
                flags = flags.filter(kind=data["flag"])
        # Only flags that still stand, as the dashboard counts them.
        qs = qs.filter(pk__in=flags.filter(standing()).values("operation_id"))
    if data.get("q"):
        words = data["q"].split()
        for word in words:
            qs = qs.filter(Q(name__icontains=word) | Q(purpose__icontains=word))
    qs = qs.annotate(phase_position=phase_position(), shortfall=shortfall())
    if (data.get("sort") or "").lstrip("-") == "phase" and not data.get("retired"):
        if data.get("phase") != Phase.RETIRE:
            # The same rows as active(), said so that the phase index stops before the
            # retired: the last page no longer reads past every one of them (380 → 2 ms
            # at 1,000,000 operations).
            qs = qs.filter(phase_position__lt=Phase.RETIRE.position)
    return form, qs.order_by(*ordering(data.get("sort")))


def ordering(sort):
    """The ORDER BY of a sort of the list: its field, then the id in the same direction,
    so that every row has one place (what a page seeks from, operations.pages) and
    one index serves it both ways (Operation.Meta.indexes)."""
    sort = sort if sort and sort.lstrip("-") in SORTS else "name"
    field, _label = SORTS[sort.lstrip("-")]
    if sort.startswith("-"):
        return (f"-{field}", "-pk")
    return (field, "pk")


def page_rows(queryset, columns=COLUMN_KEYS):
    """What the table shows of each row, in a constant number of queries: only what its
    columns need (no flags read when they are not shown)."""
    queryset = queryset.select_related("team", "owner__profile")
    if "flags" in columns:
        queryset = queryset.prefetch_related(open_flags_prefetch())
    if "performers" in columns:
        queryset = with_performer_count(queryset)
    return queryset
