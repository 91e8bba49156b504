"""The operations out, with the import's columns: CSV (UTF-8 with a BOM, so Excel opens
it as such) and XLSX, in constant memory whatever the number of rows.

Rows are read in chunks (``iterator``), the CSV is streamed as it is written, and the
XLSX is written by openpyxl's write-only workbook to a temporary file, streamed once
it is closed. A text that starts with = + - @ (or a tab or carriage return) is
neutralised with a leading apostrophe, so that no spreadsheet runs it as a formula;
the import takes the apostrophe off again, so a round trip changes nothing.
"""

import csv
import tempfile

from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from .columns import COLUMNS, FORMULA_LEADS

CHUNK = 2000


def neutralise(value):
    if isinstance(value, str) and value.startswith(FORMULA_LEADS):
        return "'" + value
    return value


def header():
    return [column.header() for column in COLUMNS]


def operation_rows(queryset):
    """Each operation's cells, read CHUNK rows at a time."""
    people = get_user_model().objects.only("pk", "username")
    queryset = queryset.select_related("team", "owner").prefetch_related(
        Prefetch("performers", queryset=people)
    )
    for operation in queryset.iterator(chunk_size=CHUNK):
        yield [neutralise(column.write(operation)) for column in COLUMNS]


class _Line:
    """A file-like object that hands back what the csv module writes to it."""

    def write(self, text):
        return text


def csv_chunks(rows, with_header=True):
    writer = csv.writer(_Line(), lineterminator="\r\n")
    yield "\ufeff"
    if with_header:
        yield writer.writerow(header())
    for row in rows:
        yield writer.writerow(["" if v is None else v for v in row])


def xlsx_file(rows, notes=None):
    """A temporary file holding the workbook (the caller streams, then closes it)."""
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(_("Operations")[:31])
    sheet.append(header())
    for row in rows:
        sheet.append(row)
    if notes:
        notes_sheet = book.create_sheet(_("Notes")[:31])
        for line in notes:
            notes_sheet.append(line)
    out = tempfile.TemporaryFile()
    book.save(out)
    out.seek(0)
    return out
