"""The benchmark's report: the list's deep pages are rows of its table, each with a target
of at most twice its time at the smallest size; and the bench reaches them as a person
does, by the pager's links."""

import re

import pytest
from django.urls import reverse

from opsmaturity.tooling.bench import measure, report
from tests.operations.factories import OperationFactory

LIST_KEYS = ["list_first", "list_last", "list_middle", "list_filtered", "list_sorted"]


def results(small, large):
    def size(operations, times):
        requests = {key: {"median_ms": ms, "queries": 14} for key, ms in times.items()}
        return {"operations": operations, "teams": 20, "requests": requests}

    return {"sizes": [size(1_000, small), size(1_000_000, large)]}


def test_the_list_pages_have_rows_and_targets():
    data = results(
        dict.fromkeys(LIST_KEYS, 40.0),
        {
            "list_first": 50.0,
            "list_last": 79.0,
            "list_middle": 81.0,
            "list_filtered": 30.0,
            "list_sorted": 60.0,
        },
    )
    labels = [label for label, _cells, _note in report.rows(data)]
    assert [key for key, _label in report.REQUEST_ROWS if key.startswith("list_")] == [
        "list_mine_small_manager",
        *LIST_KEYS,
    ]
    assert "operations list, every operation by name, middle page (its cursor)" in labels
    found = {t["target"]: t for t in report.targets(data)}
    assert found["list last: 1,000,000 ≤ 2 × 1,000"]["met"] is True
    assert found["list middle: 1,000,000 ≤ 2 × 1,000"]["met"] is False  # 81 > 2 × 40
    assert found["list middle: 1,000,000 ≤ 2 × 1,000"]["ratio"] == 2.02
    data["targets"] = report.targets(data)
    data["machine"] = dict.fromkeys(
        (
            "date",
            "nproc",
            "cpu",
            "memory_gb",
            "postgresql",
            "postgresql_jit",
            "postgresql_shared_buffers",
            "python",
            "django",
            "load_at_start",
        ),
        "–",
    )
    for size in data["sizes"]:
        size["load_before"] = size["load_after"] = "–"
    text = report.markdown(data)
    assert re.search(r"\| operations list, same filter, last page \(its Last link\) \| 14 \|", text)
    assert "| list middle: 1,000,000 ≤ 2 × 1,000 | **no** |" in text


@pytest.mark.django_db
def test_the_bench_reaches_the_deep_pages_by_their_links(client, staff):
    for i in range(120):
        OperationFactory(name=f"Op {i:03d}")
    client.force_login(staff)
    url = f"{reverse('operations:list')}?scope=all&sort=name"
    last = measure.link_of(client, url, "last")
    assert "cursor=" in last and "Op 119" in client.get(last).content.decode()
    middle = measure.middle_of_list(url, staff)
    body = client.get(middle).content.decode()
    assert "Op 061" in body and "Op 060" not in body  # from the row after the middle one
