"""The pages of the operations list, found by seeking rather than by counting.

Django's Paginator reads page N with OFFSET (N - 1) × size and counts every matching
row first: at 1,000,000 operations its last page read a million rows to throw all but
fifty away, and its count read them all once more. Here a page starts where the one
shown ended. Its links carry a cursor, signed so that nobody can make one up, with the
sort value and the id of the row at the edge of the page, and the next page is the
rows after that pair in the list's order::

    WHERE (name, id) > ('Refund approvals', 41250) ORDER BY name, id LIMIT 51

one range of the index of that sort (Operation.Meta.indexes): the same cost at any
depth. Ties are broken by the id in the sort's direction (lists.ordering), so every row
has one place: a row added or removed between two page loads moves the others along,
but a walk through the pages never shows one twice or skips one.

"Last" reads the end of the order backwards and shows those rows in the list's order;
"Previous" reads backwards from the first row shown. A cursor that does not check out
(edited by hand, signed with another key, made for another sort) opens the first page:
an old link is never an error.

The count is exact up to EXACT_COUNT rows, counted over a subquery that stops at the
row after it; beyond, PostgreSQL's planner estimate of the filtered query is shown as
"About 1,000,000 operations" (the EXPLAIN that the planner answers from its statistics,
without reading a row), or "More than 10,000" where there is none (SQLite).
"""

import json
import math
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import BooleanField, Expression, F, OrderBy, Q, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext as _

from .models import Operation

# Counted exactly up to this many rows; and ?page=N opens by OFFSET while N × page
# size stays within OFFSET_ROWS. Module constants, so that a test can lower them.
EXACT_COUNT = 10_000
OFFSET_ROWS = 10_000

SALT = "opsmaturity.operations.pages"
AFTER, BEFORE, END = "a", "b", "e"


# --- how many ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RowCount:
    """How many rows the filters match, as far as it is worth knowing: ``exact``, or
    ``about`` (the planner's estimate, rounded), or ``more`` than ``value``."""

    value: int
    kind: str

    @property
    def exact(self):
        return self.kind == "exact"


def count_rows(queryset):
    """Exact up to EXACT_COUNT; beyond, the planner's estimate, else "more than"."""
    found = queryset.order_by().values("pk")[: EXACT_COUNT + 1].count()
    if found <= EXACT_COUNT:
        return RowCount(found, "exact")
    estimate = planner_estimate(queryset)
    if estimate is not None and estimate > EXACT_COUNT:
        return RowCount(rounded(estimate), "about")
    return RowCount(EXACT_COUNT, "more")


def planner_estimate(queryset):
    """The rows PostgreSQL expects the query to return (EXPLAIN, from the table's
    statistics: nothing is read); None on another database.

    The well-known way to show a large count quickly (the PostgreSQL wiki's "Count
    estimate"): a few milliseconds at any size, usually within a few per cent for the
    list's filters, since ANALYZE keeps each column's distribution."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def rounded(number):
    """An estimate to two significant digits: 987,654 is about 990,000."""
    if number < 100:
        return number
    scale = 10 ** (int(math.log10(number)) - 1)
    return int(round(number / scale) * scale)


# --- where a page starts ----------------------------------------------------------------


class Beyond(Expression):
    """``(a, b) > (x, y)`` (or ``<``): a row comparison, which PostgreSQL answers with one
    range of a two-column index; the same condition written with OR it would read the
    index from its start, filtering."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, left, right, operator):
        super().__init__()
        self.left, self.right, self.operator = list(left), list(right), operator

    def get_source_expressions(self):
        return [*self.left, *self.right]

    def set_source_expressions(self, expressions):
        self.left = expressions[: len(self.left)]
        self.right = expressions[len(self.left) :]

    def as_sql(self, compiler, connection):
        sides, params = [], []
        for side in (self.left, self.right):
            parts = []
            for expression in side:
                sql, part_params = compiler.compile(expression)
                parts.append(sql)
                params.extend(part_params)
            sides.append(f"({', '.join(parts)})")
        return f"{sides[0]} {self.operator} {sides[1]}", params


@dataclass(frozen=True)
class Order:
    """The order a list queryset is in (lists.ordering): a value, then the id."""

    name: str  # a field path or an annotation: "name", "team__name", "shortfall"
    descending: bool
    output_field: object
    nullable: bool
    seek: str = ""  # what the conditions and ORDER BY name: ``name`` unless sorted apart

    @property
    def key(self):
        return f"-{self.name}" if self.descending else self.name

    @property
    def column(self):
        return self.seek or self.name

    def value_of(self, row):
        value = row
        for part in self.name.split("__"):
            value = getattr(value, part) if value is not None else None
        return value

    def sorted_apart(self, rows):
        """(rows, order) sorted by a copy of the value that no index holds.

        For a list the count found small (EXACT_COUNT rows or fewer): PostgreSQL then
        reads its rows through the filters' own indexes, as the count just did, and
        sorts them, instead of walking the sort's index past everyone else's rows
        (a manager's five teams among 2,000: 26,000 rows read for 50, 300–600 ms,
        against a few ms). COALESCE(x, x) is x, NULL included."""
        rows = rows.alias(seek_value=Coalesce(F(self.name), F(self.name)))
        order = replace(self, seek="seek_value")
        return rows.order_by(*order.ordering()), order

    def ordering(self):
        nulls = {"nulls_first": True} if self.descending else {"nulls_last": True}
        value = OrderBy(F(self.column), descending=self.descending, **nulls)
        return value, OrderBy(F("pk"), descending=self.descending)

    def beyond(self, value, pk, forward):
        """The rows past (value, id) reading forward in this order, or backward.

        NULL comes last in an ascending order and first in a descending one (as an
        index keeps it, and lists.ordering asks): the greatest value, in both."""
        greater = forward != self.descending
        name = self.column
        if not self.nullable:
            rows = Beyond(
                [F(name), F("pk")],
                [Value(value, output_field=self.output_field), Value(pk)],
                ">" if greater else "<",
            )
            if "__" not in name:
                return rows
            # A column of another table (the team's name): no index holds the pair, but
            # with the first half alone as a condition PostgreSQL reads the teams in
            # order from there, each team's operations by id, and stops at the page
            # (3–5 s → a few ms at 1,000,000 operations).
            return Q(rows, **{f"{name}__{'gte' if greater else 'lte'}": value})
        after_pk = Q(pk__gt=pk) if greater else Q(pk__lt=pk)
        if value is None:
            if greater:
                return Q(**{f"{name}__isnull": True}) & after_pk
            return Q(**{f"{name}__isnull": False}) | (Q(**{f"{name}__isnull": True}) & after_pk)
        step = "gt" if greater else "lt"
        rows = Q(**{f"{name}__{step}": value}) | (Q(**{name: value}) & after_pk)
        return rows | Q(**{f"{name}__isnull": True}) if greater else rows


def order_of(queryset):
    """The Order a list queryset was sorted in (its first key; the second is the id)."""
    first = queryset.query.order_by[0]
    if isinstance(first, str):
        name, descending = first.lstrip("-"), first.startswith("-")
    else:  # an OrderBy, for a column that may be NULL
        name, descending = first.expression.name, first.descending
    annotation = queryset.query.annotations.get(name)
    if annotation is not None:
        # The list's annotations (phase position, cost minus value) are never NULL.
        return Order(name, descending, annotation.output_field, nullable=False)
    model, nullable = Operation, False
    parts = name.split("__")
    for part in parts[:-1]:
        relation = model._meta.get_field(part)
        nullable = nullable or relation.null
        model = relation.related_model
    column = model._meta.get_field(parts[-1])
    return Order(name, descending, column, nullable=nullable or column.null)


def _as_json(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: after or before (value, id), or at the END of the order;
    ``number`` is the page's number from the start (1, 2, …) or from the end (-1 is the
    last page), when the walk that led to it knows it."""

    direction: str
    value: object = None
    pk: int | None = None
    number: int | None = None

    def sign(self, order):
        data = {"o": order.key, "d": self.direction, "n": self.number}
        if self.direction != END:
            data.update(v=_as_json(self.value), k=self.pk)
        return signing.dumps(data, salt=SALT, compress=True)

    @classmethod
    def read(cls, token, order):
        """The cursor a link carried, or None when it does not check out."""
        try:
            data = signing.loads(token, salt=SALT)
            if not isinstance(data, dict) or data.get("o") != order.key:
                return None  # made for another sort
            number = data.get("n")
            if number is not None and (type(number) is not int or number == 0):
                return None
            direction = data.get("d")
            if direction == END:
                return cls(END, number=number)
            if direction not in (AFTER, BEFORE) or type(data.get("k")) is not int:
                return None
            value = data.get("v")
            if value is None and not order.nullable:
                return None
            if value is not None:
                value = order.output_field.to_python(value)
            return cls(direction, value, data["k"], number)
        except (signing.BadSignature, ValidationError, ValueError, TypeError, ArithmeticError):
            return None


# --- the page ---------------------------------------------------------------------------


@dataclass
class ListPage:
    """One page of the list, with its count and the links to the pages around it."""

    object_list: list
    count: RowCount
    size: int
    number: int | None = None
    has_previous: bool = False
    has_next: bool = False
    links: dict = field(default_factory=dict)
    redirect: str = ""
    notice: str = ""

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    @property
    def has_other_pages(self):
        return self.has_previous or self.has_next

    @property
    def num_pages(self):
        if not self.count.exact:
            return None
        return max(math.ceil(self.count.value / self.size), 1)

    @property
    def label(self):
        """ "Page 3 of 25"; "Page 3" or "Last page" when the count is not exact; "" when
        the walk that led here lost the number (rows came and went before it)."""
        total, number = self.num_pages, self.number
        if number is None:
            return ""
        if total is not None:
            position = number if number > 0 else total + 1 + number
            if 1 <= position <= total:
                return _("Page %(n)s of %(total)s") % {
                    "n": _grouped(position),
                    "total": _grouped(total),
                }
            return ""
        if number > 0:
            return _("Page %(n)s") % {"n": _grouped(number)}
        return _("Last page") if number == -1 else ""


def _grouped(number):
    from opsmaturity.lib.formatting import grouped

    return grouped(number)


def _url(params, cursor=None, order=None):
    query = params.copy()
    query.pop("page", None)
    query.pop("cursor", None)
    if cursor is not None:
        query["cursor"] = cursor.sign(order)
    encoded = query.urlencode()
    return reverse("operations:list") + (f"?{encoded}" if encoded else "")


def _page_number(value):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number >= 1 else None


def page_of(queryset, params, size, rows=None):
    """The page of ``queryset`` (sorted by lists.ordering) that the URL asks for.

    ``?cursor=`` is a page of a walk (see the module). ``?page=N`` is a bookmark of the
    numbered pages the list had before: it opens page N by OFFSET while N × size stays
    within OFFSET_ROWS (200 pages of 50), as it always did, and a number past the end
    of a list counted exactly opens its last page, as Django's get_page did. A number
    deeper than that in a longer list cannot be opened cheaply, and no other page is
    "page N" any more: it leads (``redirect``, with a ``notice`` saying why) to the
    last page, where those deep numbers were heading, its address now the cursor's,
    so that bookmarking it again keeps what is shown.

    ``rows`` is the queryset the rows are read from (``queryset`` with what the table
    shows joined, lists.page_rows); the count reads ``queryset`` alone. Whatever the
    page, the same queries: the count (and the estimate beyond EXACT_COUNT), the
    rows, and what comes with them."""
    rows = queryset if rows is None else rows
    order = order_of(queryset)
    count = count_rows(queryset)
    if count.exact:
        rows, order = order.sorted_apart(rows)
    cursor = Cursor.read(params["cursor"], order) if params.get("cursor") else None
    number = _page_number(params.get("page")) if cursor is None else None
    page = ListPage([], count, size)
    if number is not None and count.exact:
        number = min(number, page.num_pages)
    if cursor is None and number is not None and number > 1:
        if number * size > OFFSET_ROWS:
            page.redirect = _url(params, Cursor(END, number=-1), order)
            page.notice = _(
                "Pages past the first %(rows)s operations do not open by their number "
                "any more: here is the last page. Sort or filter the list to find the "
                "others."
            ) % {"rows": _grouped(OFFSET_ROWS)}
            return page
        found = list(rows[(number - 1) * size : number * size + 1])
        page.number, page.has_previous = number, True
        page.object_list, page.has_next = found[:size], len(found) > size
    elif cursor is None:
        page.object_list, page.has_next = _forward(rows, size)
        page.number = 1
    elif cursor.direction == AFTER:
        found, more = _forward(rows.filter(order.beyond(cursor.value, cursor.pk, True)), size)
        if not found:  # nothing after it any more: the end
            return _backward(page, rows, order, params, Cursor(END, number=-1))
        page.object_list, page.has_next = found, more
        page.has_previous, page.number = True, cursor.number
    else:
        return _backward(page, rows, order, params, cursor)
    return _linked(page, order, params)


def _forward(rows, size):
    found = list(rows[: size + 1])
    return found[:size], len(found) > size


def _backward(page, rows, order, params, cursor):
    """A page read backwards, before a row or from the END, shown in the list's order."""
    if cursor.direction == END:
        backward = rows.reverse()
    else:
        backward = rows.filter(order.beyond(cursor.value, cursor.pk, False)).reverse()
    found = list(backward[: page.size + 1])
    if not found:  # nothing before it any more: the start
        page.object_list, page.has_next = _forward(rows, page.size)
        page.number = 1
        return _linked(page, order, params)
    page.object_list = found[: page.size][::-1]
    page.has_previous = len(found) > page.size
    page.has_next = cursor.direction != END
    page.number = cursor.number if page.has_previous else 1
    return _linked(page, order, params)


def _linked(page, order, params):
    """The First / Previous / Next / Last links that apply, keeping the filters."""
    number, shown = page.number, page.object_list
    links = {}
    if page.has_previous:
        before = None
        if number is not None and (number > 1 or number < 0):
            before = number - 1
        first_row = shown[0]
        links["first"] = _url(params)
        links["previous"] = _url(
            params, Cursor(BEFORE, order.value_of(first_row), first_row.pk, before), order
        )
    if page.has_next:
        after = None if number is None or number == -1 else number + 1
        last_row = shown[-1]
        links["next"] = _url(
            params, Cursor(AFTER, order.value_of(last_row), last_row.pk, after), order
        )
        links["last"] = _url(params, Cursor(END, number=-1), order)
    page.links = links
    return page
