"""The list's pages as a person walks them: First / Previous / Next / Last by a signed
cursor, every row once in every sort whichever way one walks, while others write; old
page numbers; and how the count is worded past 10,000 (here past a lowered limit)."""

import datetime as dt
import html
import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.messages import get_messages
from django.core import signing
from django.db import connection
from django.db.models import F
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from opsmaturity.operations import pages, views
from opsmaturity.operations.forms import SORTS
from opsmaturity.operations.lists import filtered_operations
from opsmaturity.operations.models import Operation
from opsmaturity.operations.phases import ORDER
from tests.conftest import requires_postgres
from tests.operations.factories import OperationFactory
from tests.teams.factories import MembershipFactory, TeamFactory

pytestmark = pytest.mark.django_db

LIST = reverse("operations:list")
SIZE = 4  # rows a page, for these tests (the smallest a person can choose is 25)
EVERY_SORT = [key for key in SORTS] + [f"-{key}" for key in SORTS]


@pytest.fixture(autouse=True)
def _small_pages(monkeypatch):
    monkeypatch.setattr(views, "page_size_of", lambda user: SIZE)


@pytest.fixture
def world(team, member):
    """23 operations in three teams, with ties in every sort: the same names in two
    teams, three costs, two values, five phases, three days and three update times."""
    others = [TeamFactory(name="Audit"), TeamFactory(name="Collections")]
    for other in others:
        MembershipFactory(user=member, team=other)
    teams = [team, *others]
    base = timezone.now() - dt.timedelta(days=90)
    rows = []
    for i in range(23):
        rows.append(
            Operation(
                name=f"Op {i % 9:02d}",
                team=teams[i // 9],
                owner=member,
                purpose="Customers get their refund within two days.",
                phase=ORDER[i % 5],
                phase_entered_at=base + dt.timedelta(days=i % 3),
                monthly_cost=Decimal(100 * (i % 3 + 1)),
                monthly_value=Decimal("100.50") if i % 2 else Decimal(500),
                updated_at=base + dt.timedelta(hours=i % 3),
            )
        )
    Operation.objects.bulk_create(rows)
    return member


def link(body, rel):
    found = re.search(rf'<a rel="{rel}" href="([^"]+)"', body)
    return html.unescape(found.group(1)) if found else None


def names_on(body):
    return re.findall(r'<td class="col-name"><a href="/ops/(\d+)/">', body)


def walk(client, url, rel):
    """The ids of every page from ``url`` on, following ``rel`` links, page by page."""
    seen, body = [], client.get(url).content.decode()
    while True:
        seen.append([int(pk) for pk in names_on(body)])
        url = link(body, rel)
        if url is None:
            return seen
        response = client.get(url)
        assert response.status_code == 200
        body = response.content.decode()


def in_order(user, **params):
    query = QueryDict(mutable=True)
    query.update(params)
    _form, queryset = filtered_operations(user, query)
    return list(queryset.values_list("pk", flat=True))


@pytest.mark.parametrize("limit", [10_000, 10])  # counted, or too many: sorted apart, or not
@pytest.mark.parametrize("sort", EVERY_SORT)
def test_every_sort_walked_both_ways_shows_each_row_once(client, world, sort, limit, monkeypatch):
    monkeypatch.setattr(pages, "EXACT_COUNT", limit)
    client.force_login(world)
    params = {"scope": "all", "retired": "on", "sort": sort}
    expected = in_order(world, **params)
    assert len(expected) == 23
    url = f"{LIST}?scope=all&retired=on&sort={sort}"

    forward = walk(client, url, "next")
    assert [pk for page in forward for pk in page] == expected
    assert [len(page) for page in forward] == [4, 4, 4, 4, 4, 3]

    last = link(client.get(url).content.decode(), "last")
    backward = walk(client, last, "prev")
    # The last page is full, shown in the list's order; walking back reaches the start.
    assert backward[0] == expected[-4:]
    assert [pk for page in reversed(backward) for pk in page] == expected
    assert [len(page) for page in backward] == [4, 4, 4, 4, 4, 3]


def test_ties_are_broken_by_the_id_in_the_sorts_direction(client, world):
    client.force_login(world)
    cost = in_order(world, scope="all", sort="cost")
    costly = in_order(world, scope="all", sort="-cost")
    assert costly == cost[::-1]  # the descending sort is the ascending one, reversed


def test_a_row_added_or_removed_between_two_pages_neither_repeats_nor_goes_missing(
    client, world, team, member
):
    client.force_login(member)
    url = f"{LIST}?scope=all&sort=name"
    first = client.get(url).content.decode()
    page_one = [int(pk) for pk in names_on(first)]
    # Meanwhile: someone records an operation that sorts onto page 1, another removes
    # the first row of page 2, and one is added at the very end.
    OperationFactory(name="Op 00 again", team=team, owner=member)
    before = in_order(member, scope="all", sort="name")
    gone = before[before.index(page_one[-1]) + 1]
    Operation.objects.filter(pk=gone).delete()
    late = OperationFactory(name="Zz latest", team=team, owner=member)
    rest = [pk for page in walk(client, link(first, "next"), "next") for pk in page]
    now = in_order(member, scope="all", sort="name")
    assert rest == now[now.index(page_one[-1]) + 1 :]  # from where page 1 ended
    assert not set(rest) & set(page_one) and gone not in rest and rest[-1] == late.pk

    # Backwards too: from the last page, a row added before it comes on the way back.
    last_page = client.get(link(first, "last")).content.decode()
    shown = [int(pk) for pk in names_on(last_page)]
    OperationFactory(name="Op 08 late", team=team, owner=member)
    back = [pk for page in walk(client, link(last_page, "prev"), "prev") for pk in page]
    now = in_order(member, scope="all", sort="name")
    assert sorted(back) == sorted(now[: now.index(shown[0])])
    assert len(back) == len(set(back))


def test_the_filters_stay_in_every_link(client, world, team):
    client.force_login(world)
    url = f"{LIST}?scope=all&team={team.pk}&sort=-cost&retired=on"
    body = client.get(url).content.decode()
    second = client.get(link(body, "next")).content.decode()
    for rel in ("first", "prev", "next", "last"):
        query = parse_qs(urlsplit(link(second, rel)).query)
        assert query["team"] == [str(team.pk)] and query["sort"] == ["-cost"], rel
        assert query["scope"] == ["all"] and query["retired"] == ["on"], rel
    expected = in_order(world, scope="all", team=team.pk, sort="-cost", retired="on")
    assert [pk for page in walk(client, url, "next") for pk in page] == expected
    # the export and the campaign links take the filters, not the page
    assert "cursor" not in re.search(r'href="(/ops/export/[^"]+)"', second).group(1)


def test_a_tampered_or_stale_cursor_opens_the_first_page(client, world):
    client.force_login(world)
    url = f"{LIST}?scope=all&sort=cost"
    body = client.get(url).content.decode()
    first = names_on(body)
    cursor = parse_qs(urlsplit(link(body, "next")).query)["cursor"][0]
    for bad in (
        cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB"),  # edited
        "nonsense",
        signing.dumps({"o": "monthly_cost", "d": "a", "v": "1", "k": 1}, salt="other"),
        # signed by us, but a value of no type, an id that is no id, another sort
        signing.dumps({"o": "monthly_cost", "d": "a", "v": "abc", "k": 1}, salt=pages.SALT),
        signing.dumps({"o": "monthly_cost", "d": "a", "v": "1", "k": "x"}, salt=pages.SALT),
        signing.dumps({"o": "name", "d": "a", "v": "Op", "k": 1}, salt=pages.SALT),
        signing.dumps({"o": "monthly_cost", "d": "?", "n": 0}, salt=pages.SALT),
        signing.dumps(["not", "a", "dict"], salt=pages.SALT),
    ):
        response = client.get(LIST, {"scope": "all", "sort": "cost", "cursor": bad})
        assert response.status_code == 200
        assert names_on(response.content.decode()) == first
    # a cursor of the cost sort, with the list now sorted by name: the first page by name
    response = client.get(f"{LIST}?scope=all&sort=name&cursor={cursor}")
    assert names_on(response.content.decode()) == names_on(
        client.get(f"{LIST}?scope=all&sort=name").content.decode()
    )


def test_old_page_numbers_still_open_their_page(client, world):
    client.force_login(world)
    expected = in_order(world, scope="all", sort="name")  # 19 not retired: 5 pages
    body = client.get(LIST, {"scope": "all", "page": 3}).content.decode()
    assert [int(pk) for pk in names_on(body)] == expected[8:12]
    assert "Page 3 of 5" in body
    # Next and Previous from there carry on by cursor, the numbers with them.
    after = client.get(link(body, "next")).content.decode()
    assert [int(pk) for pk in names_on(after)] == expected[12:16] and "Page 4 of 5" in after
    before = client.get(link(body, "prev")).content.decode()
    assert [int(pk) for pk in names_on(before)] == expected[4:8] and "Page 2 of 5" in before
    # Past the end: the last page, as Django's paginator did; no number: the first.
    body = client.get(LIST, {"scope": "all", "page": 99}).content.decode()
    assert [int(pk) for pk in names_on(body)] == expected[16:] and "Page 5 of 5" in body
    for nonsense in ("abc", "0", "-3", "1"):
        body = client.get(LIST, {"scope": "all", "page": nonsense}).content.decode()
        assert [int(pk) for pk in names_on(body)] == expected[:4] and "Page 1 of 5" in body


def test_a_page_number_too_deep_leads_to_the_last_page_and_says_why(client, world, monkeypatch):
    monkeypatch.setattr(pages, "EXACT_COUNT", 10)
    monkeypatch.setattr(pages, "OFFSET_ROWS", 8)
    client.force_login(world)
    expected = in_order(world, scope="all", sort="name")
    body = client.get(LIST, {"scope": "all", "page": 2}).content.decode()  # rows 5–8: allowed
    assert [int(pk) for pk in names_on(body)] == expected[4:8] and "Page 2" in body
    response = client.get(LIST, {"scope": "all", "page": 3})
    assert response.status_code == 302
    assert parse_qs(urlsplit(response["Location"]).query)["scope"] == ["all"]
    response = client.get(response["Location"])
    body = response.content.decode()
    assert [int(pk) for pk in names_on(body)] == expected[-4:] and "Last page" in body
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("Pages past the first 8 operations do not open by their number")


def test_the_count_is_exact_up_to_the_limit_and_worded_beyond(client, world, monkeypatch):
    client.force_login(world)
    body = client.get(LIST, {"scope": "all"}).content.decode()
    assert "19 operations" in body and "Page 1 of 5" in body
    assert "All 19 operations matching the filters, not only the ticked ones" in body
    monkeypatch.setattr(pages, "EXACT_COUNT", 10)
    body = client.get(LIST, {"scope": "all"}).content.decode()
    # PostgreSQL says "About N" when its statistics expect more than the limit, else
    # "More than 10" as SQLite does; which one hangs on the tables' statistics from the
    # tests before (test_beyond_the_limit_postgresql_says_about_how_many analyzes first).
    if connection.vendor == "postgresql":
        assert re.search(r"About [\d,]+ operations|More than 10 operations", body)
    else:
        assert "More than 10 operations" in body
    assert "Page 1<" in body and " of " not in re.search(r"pager-where\">[^<]*", body).group(0)
    assert "Every operation matching the filters, not only the ticked ones" in body
    last = client.get(link(body, "last")).content.decode()
    assert "Last page" in last
    ja = client.get(LIST, {"scope": "all"}, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    translation.deactivate()
    if connection.vendor == "postgresql":
        assert re.search(r"業務 約[\d,]+件|業務 10件超", ja)
    else:
        assert "業務 10件超" in ja
    assert "最初" not in ja and "最後" in ja and "1 ページ" in ja
    monkeypatch.setattr(pages, "EXACT_COUNT", 19)
    body = client.get(LIST, {"scope": "all"}).content.decode()
    assert "19 operations" in body  # exactly at the limit: still exact


@requires_postgres
def test_beyond_the_limit_postgresql_says_about_how_many(client, world, monkeypatch):
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE operations_operation")
    monkeypatch.setattr(pages, "EXACT_COUNT", 10)
    _form, queryset = filtered_operations(world, QueryDict("scope=all&retired=on"))
    assert 15 <= pages.planner_estimate(queryset) <= 30
    client.force_login(world)
    body = client.get(LIST, {"scope": "all", "retired": "on"}).content.decode()
    assert re.search(r"About (1\d|2\d) operations", body)


def test_estimates_are_rounded_to_two_digits():
    assert [pages.rounded(n) for n in (7, 99, 104, 987_654, 1_000_060, 45_123)] == [
        7,
        99,
        100,
        990_000,
        1_000_000,
        45_000,
    ]


@pytest.mark.parametrize("limit", [10_000, 10])  # the count exact, then estimated
def test_the_first_and_the_last_page_cost_the_same_queries(client, world, monkeypatch, limit):
    monkeypatch.setattr(pages, "EXACT_COUNT", limit)
    client.force_login(world)
    url = f"{LIST}?scope=all&sort=-shortfall"
    body = client.get(url).content.decode()
    urls = [url, link(body, "next"), link(body, "last"), f"{url}&page=2"]
    urls.append(link(client.get(urls[2]).content.decode(), "prev"))
    counts = []
    for each in urls:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(each).status_code == 200
        counts.append(len(queries))
    assert len(set(counts)) == 1, counts


# --- an order on a column that may be empty ---------------------------------------------


@pytest.mark.parametrize("descending", [False, True])
def test_a_column_that_may_be_null_is_walked_with_its_nulls_in_place(world, descending):
    """No sort of the list is on such a column today; the cursor knows how, so that one
    added later (the launch day, say) pages as its ORDER BY says: NULL last going up,
    first going down, as an index keeps it."""
    days = [None, dt.date(2026, 1, 5), dt.date(2026, 3, 1), dt.date(2026, 1, 5)]
    for i, op in enumerate(Operation.objects.order_by("pk")):
        op.launched_at = days[i % 4]
        op.save(update_fields=["launched_at"])
    launched = F("launched_at")
    ordering = (
        (launched.desc(nulls_first=True), "-pk")
        if descending
        else (launched.asc(nulls_last=True), "pk")
    )
    queryset = Operation.objects.order_by(*ordering)
    expected = list(queryset.values_list("pk", flat=True))
    assert None in queryset.values_list("launched_at", flat=True)

    seen, params = [], QueryDict(mutable=True)
    while True:
        page = pages.page_of(queryset, params, SIZE)
        seen += [op.pk for op in page]
        if "next" not in page.links:
            break
        params = QueryDict(urlsplit(page.links["next"]).query, mutable=True)
    assert seen == expected

    seen, params = [], QueryDict(urlsplit(page.links.get("last", "")).query, mutable=True)
    params["cursor"] = pages.Cursor(pages.END, number=-1).sign(pages.order_of(queryset))
    while True:
        page = pages.page_of(queryset, params, SIZE)
        seen = [op.pk for op in page] + seen
        if "previous" not in page.links:
            break
        params = QueryDict(urlsplit(page.links["previous"]).query, mutable=True)
    assert seen == expected
