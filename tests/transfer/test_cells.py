"""Each cell read as a person means it: dates, numbers, phases, people, in either language."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from opsmaturity.transfer.columns import (
    CellError,
    match_headers,
    parse_date,
    parse_money,
    parse_people,
    parse_phase,
    parse_volume,
)


@pytest.mark.parametrize(
    "text",
    [
        "2024-06-01",
        "2024/06/01",
        "2024/6/1",
        "2024年6月1日",
        "２０２４年６月１日",
        "06/01/2024",
        "1 June 2024",
        "Jun 1, 2024",
        dt.datetime(2024, 6, 1),
        dt.date(2024, 6, 1),
    ],
)
def test_dates_in_either_languages_formats(text):
    assert parse_date(text) == dt.date(2024, 6, 1)


def test_a_date_that_is_not_one_says_so():
    with pytest.raises(CellError, match="not a date"):
        parse_date("next Tuesday")
    with pytest.raises(CellError, match="between"):
        parse_date("1900-01-01")


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("340,000", "340000"),
        ("１２０，０００", "120000"),
        ("¥1,250.50", "1250.50"),
        ("12 000", "12000"),
        (1250.5, "1250.50"),
        (3, "3"),
        ("", "0"),
    ],
)
def test_money_with_separators_and_full_width_digits(text, amount):
    assert parse_money(text) == Decimal(amount)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("-5", "negative"),
        ("1.234", "two decimals"),
        ("abc", "not a number"),
        ("1e20", "zeros"),
        ("NaN", "number"),
    ],
)
def test_bad_money_says_why(text, message):
    with pytest.raises(CellError, match=message):
        parse_money(text)


def test_volume_is_a_whole_number():
    assert parse_volume("1,200") == 1200
    assert parse_volume("３２０") == 320
    with pytest.raises(CellError, match="whole number"):
        parse_volume("1.5")


@pytest.mark.parametrize(
    ("text", "phase"),
    [
        ("standardize", "standardize"),
        ("Standardize", "standardize"),
        ("均一化", "standardize"),
        ("均一化期", "standardize"),
        ("Cost-optimize", "cost_optimize"),
        ("cost_optimize", "cost_optimize"),
        ("コスト適正化期", "cost_optimize"),
        ("自動化・デジタル化期", "automate"),
        ("廃止", "retire"),
        ("Retired", "retire"),
        ("", None),
    ],
)
def test_phase_by_key_or_label_in_either_language(text, phase):
    assert parse_phase(text) == phase


def test_an_unknown_phase_lists_the_keys():
    with pytest.raises(CellError, match="launch, standardize"):
        parse_phase("done")


def test_performers_split_by_commas_semicolons_and_new_lines():
    assert parse_people("ann, boss;carl\nd@example.com、 eve") == [
        "ann",
        "boss",
        "carl",
        "d@example.com",
        "eve",
    ]


def test_headers_in_english_or_japanese_ignoring_case_and_spacing():
    found, unknown = match_headers(
        ["Name", " TEAM ", "Phase Since", "月額コスト", "担当者", "colour"]
    )
    assert [c.key for c in found.values()] == [
        "name",
        "team",
        "phase_since",
        "monthly_cost",
        "performers",
    ]
    assert unknown == ["colour"]


def test_cell_messages_in_the_readers_language():
    with translation.override("ja"), pytest.raises(CellError) as info:
        parse_money("-1")
    assert "マイナス" in str(info.value) or "負" in str(info.value)
