"""The spreadsheet's columns, defined once for both directions.

Each column has its key, its English and Japanese headers, how a cell is read on
import (``parse``: the cell as the file holds it → a Python value, or CellError with a
message in the reader's language) and how it is written on export (``write``).
Headers are matched in either language, ignoring case, spaces and underscores
(``header_key``). People, teams and phases are resolved by the import's planner
(plan.py), in batches: here they are only read as text.
"""

import datetime as dt
import functools
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opsmaturity.lib.forms import EARLIEST_DATE, LATEST_DATE
from opsmaturity.lib.text import CONTROL, normalize_name, visible
from opsmaturity.operations.models import MAX_MONEY, MAX_VOLUME
from opsmaturity.operations.phases import Phase

MAX_TEXT = 10_000
# What a spreadsheet would read as the start of a formula: export neutralises it with
# an apostrophe, which the import takes off (see export.py).
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


class CellError(ValueError):
    """A cell that cannot be read; the message is for the person who wrote the file."""


def as_text(value):
    """A cell as text, whatever the file held (openpyxl gives numbers and dates)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def parse_text(value, max_length=MAX_TEXT):
    text = visible(as_text(value)).strip()
    if text.startswith("'") and text[1:2] and text[1:].startswith(FORMULA_LEADS):
        text = text[1:]
    if CONTROL.search(text):
        raise CellError(_("Remove the control characters (such as NUL) from this text."))
    if len(text) > max_length:
        raise CellError(_("At most %(max)s characters.") % {"max": max_length})
    return text


def parse_name(value):
    return normalize_name(parse_text(value, 200))


DATE_FORMATS = [
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y年%m月%d日",
    "%m/%d/%Y",
    "%d %b %Y",
    "%d %B %Y",
    "%b %d %Y",
    "%B %d %Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
]


def parse_date(value):
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        text = unicodedata.normalize("NFKC", as_text(value)).replace(",", " ")
        text = " ".join(text.split())
        if not text:
            return None
        for fmt in DATE_FORMATS:
            try:
                day = dt.datetime.strptime(text, fmt).date()
                break
            except ValueError:
                continue
        else:
            raise CellError(
                _("“%(value)s” is not a date: write it as 2024-06-01 or 2024/06/01.")
                % {"value": text[:40]}
            )
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise CellError(
            _("Enter a date between %(earliest)s and %(latest)s.")
            % {"earliest": EARLIEST_DATE.isoformat(), "latest": LATEST_DATE.isoformat()}
        )
    return day


NUMBER_NOISE = re.compile(r"[\s,_'¥$€£円]")


def _number(value):
    if isinstance(value, bool):
        raise CellError(_("Enter a number."))
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    text = NUMBER_NOISE.sub("", unicodedata.normalize("NFKC", as_text(value)))
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise CellError(
            _("“%(value)s” is not a number: write it as 1200 or 1,200.") % {"value": text[:40]}
        ) from None
    if not number.is_finite():
        raise CellError(_("Enter a number."))
    return number


def _too_big(maximum):
    return _("That is more than %(max)s: check the number of zeros.") % {"max": f"{maximum:,}"}


def parse_money(value):
    number = _number(value)
    if number is None:
        return Decimal("0")
    if number < 0:
        raise CellError(_("This cannot be negative."))
    if number > MAX_MONEY:
        raise CellError(_too_big(MAX_MONEY))
    if number != number.quantize(Decimal("0.01")):
        raise CellError(_("Use at most two decimals."))
    return number.quantize(Decimal("0.01"))


def parse_volume(value):
    number = _number(value)
    if number is None:
        return 0
    if number < 0:
        raise CellError(_("The volume cannot be negative."))
    if number != number.to_integral_value():
        raise CellError(_("Enter a whole number, for example 120."))
    if number > MAX_VOLUME:
        raise CellError(_too_big(MAX_VOLUME))
    return int(number)


def parse_id(value):
    text = unicodedata.normalize("NFKC", as_text(value))
    if not text:
        return None
    if not re.fullmatch(r"[0-9]{1,18}", text):
        raise CellError(_("“%(value)s” is not an operation id.") % {"value": text[:40]})
    return int(text)


@functools.cache
def _phase_names():
    names = {}
    for phase in Phase:
        names[phase.value] = phase
        for language in ("en", "ja"):
            with translation.override(language):
                label = str(phase.label).lower()
            names[label] = phase
            names[label + "期"] = phase  # 立ち上げ期, as the method names the phases
    names["自動化・デジタル化"] = names["自動化・デジタル化期"] = Phase.AUTOMATE
    names["cost optimize"] = Phase.COST_OPTIMIZE
    names["retire"] = Phase.RETIRE
    return names


def parse_phase(value):
    text = " ".join(unicodedata.normalize("NFKC", as_text(value)).lower().split())
    if not text:
        return None
    phase = _phase_names().get(text) or _phase_names().get(text.replace(" ", "_"))
    if phase is None:
        choices = ", ".join(p.value for p in Phase)
        raise CellError(
            _("“%(value)s” is not a phase: use one of %(choices)s.")
            % {"value": text[:40], "choices": choices}
        )
    return phase.value


url_validator = URLValidator()


def parse_url(value):
    text = parse_text(value, 500)
    if not text:
        return ""
    if "://" not in text:
        text = "https://" + text
    try:
        url_validator(text)
    except ValidationError:
        raise CellError(
            _("Enter a full web address, like https://wiki.example.com/refunds.")
        ) from None
    return text


PEOPLE_SEPARATORS = re.compile(r"[,;、，；\n\r]+")


def parse_person(value):
    """A username or an email, as written (the planner finds the person)."""
    text = unicodedata.normalize("NFKC", as_text(value)).strip()
    if text.startswith("'") and text[1:].startswith(FORMULA_LEADS):
        text = text[1:]
    return text


def parse_people(value):
    return [p.strip() for p in PEOPLE_SEPARATORS.split(parse_person(value)) if p.strip()]


# --- writing ----------------------------------------------------------------------------


def person_key(user):
    return user.username if user else ""


def local_day(moment):
    return timezone.localdate(moment).isoformat() if moment else ""


@dataclass(frozen=True)
class Column:
    key: str
    header_en: str
    header_ja: str
    parse: object
    write: object
    required: bool = False
    aliases: tuple = field(default=())

    def header(self):
        return self.header_ja if translation.get_language() == "ja" else self.header_en


def _money(value):
    return format(value.normalize(), "f") if value is not None else ""


COLUMNS = [
    Column("id", "id", "ID", parse_id, lambda op: op.pk),
    Column("name", "name", "業務名", parse_name, lambda op: op.name, True, ("名称", "名前")),
    Column("team", "team", "チーム", parse_name, lambda op: op.team.name, True),
    Column("owner", "owner", "責任者", parse_person, lambda op: person_key(op.owner)),
    Column("purpose", "purpose", "目的", parse_text, lambda op: op.purpose, True),
    Column("phase", "phase", "フェーズ", parse_phase, lambda op: op.phase),
    Column(
        "phase_since",
        "phase_since",
        "フェーズ開始日",
        parse_date,
        lambda op: local_day(op.phase_entered_at),
        aliases=("in phase since", "このフェーズに入った日"),
    ),
    Column(
        "launched_on",
        "launched_on",
        "立ち上げ日",
        parse_date,
        lambda op: op.launched_at.isoformat() if op.launched_at else "",
        aliases=("launched at",),
    ),
    Column(
        "performers",
        "performers",
        "担当者",
        parse_people,
        lambda op: ", ".join(sorted(person_key(p) for p in op.performers.all())),
        aliases=("実施者",),
    ),
    Column(
        "runbook_url",
        "runbook_url",
        "手順書URL",
        parse_url,
        lambda op: op.runbook_url,
        aliases=("runbook", "手順書のURL", "手順書"),
    ),
    Column(
        "monthly_volume", "monthly_volume", "月間件数", parse_volume, lambda op: op.monthly_volume
    ),
    Column(
        "monthly_cost",
        "monthly_cost",
        "月額コスト",
        parse_money,
        lambda op: _money(op.monthly_cost),
        aliases=("月間コスト",),
    ),
    Column(
        "monthly_value",
        "monthly_value",
        "月額価値",
        parse_money,
        lambda op: _money(op.monthly_value),
        aliases=("月間価値",),
    ),
    Column("note", "note", "メモ", parse_text, lambda op: "", aliases=("備考",)),
]
BY_KEY = {column.key: column for column in COLUMNS}
# What each column holds, for the template's notes sheet.
COLUMN_NOTES = {
    "id": gettext_lazy(
        "Leave empty for a new operation; the export fills it in to match on import."
    ),
    "name": gettext_lazy("The operation's name, unique in its team (case and spacing ignored)."),
    "team": gettext_lazy("The team's name, as it is in Ops Maturity."),
    "owner": gettext_lazy("Username or email of someone in the team; empty: you."),
    "purpose": gettext_lazy("Why it exists, so anyone can judge whether it is still needed."),
    "phase": gettext_lazy(
        "launch, standardize, automate, cost_optimize or retire (or their labels)."
    ),
    "phase_since": gettext_lazy("The day it entered its phase, e.g. 2025-03-01 or 2025/03/01."),
    "launched_on": gettext_lazy("The day it was launched."),
    "performers": gettext_lazy(
        "Usernames or emails of everyone who can run it, separated by , or ;"
    ),
    "runbook_url": gettext_lazy("Where the written workflow lives."),
    "monthly_volume": gettext_lazy("How many times it runs a month (1,200 is fine)."),
    "monthly_cost": gettext_lazy("What running it costs each month."),
    "monthly_value": gettext_lazy("What it earns or protects each month."),
    "note": gettext_lazy("Why, for a skip, a move back, retiring or reinstating."),
}
REQUIRED = [column for column in COLUMNS if column.required]


def header_key(text):
    """The one spelling of a header: NFKC, lower case, without spaces, _ and -."""
    text = unicodedata.normalize("NFKC", as_text(text)).lower()
    return re.sub(r"[\s_\-・]", "", text)


def _headers():
    headers = {}
    for column in COLUMNS:
        for name in (column.key, column.header_en, column.header_ja, *column.aliases):
            headers[header_key(name)] = column
    return headers


HEADERS = _headers()


def match_headers(row):
    """({position: column}, [unknown headers]) for a header row."""
    found, unknown = {}, []
    seen = set()
    for position, text in enumerate(row):
        if not as_text(text):
            continue
        column = HEADERS.get(header_key(text))
        if column is None or column.key in seen:
            unknown.append(as_text(text))
            continue
        seen.add(column.key)
        found[position] = column
    return found, unknown
