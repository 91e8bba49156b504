"""From an uploaded file to rows of cells: XLSX or CSV, refused with a message when bad.

- XLSX: the zip's declared sizes are checked before anything is opened (a zip bomb
  declares gigabytes in a few kilobytes), then openpyxl reads the first sheet in
  read-only mode; formulas and merged cells are refused, since what a formula shows
  is not what the file holds, and a merged cell holds one value for several rows.
- CSV: UTF-8 with or without a BOM, else CP932 (Shift_JIS as Excel in Japan writes
  it), decoded strictly so that Japanese is never garbled; the separator (comma,
  semicolon or tab) is sniffed from the header line; CRLF or LF.
"""

import csv
import io
import zipfile
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
# What the parts of an XLSX of MAX_ROWS rows may unpack to, at most (a real one of
# 50,000 rows and 14 columns is about 40 MB of XML).
MAX_UNZIPPED = 200 * 1024 * 1024
MAX_RATIO = 200


class FileRefused(ValueError):
    """The file as a whole cannot be read; the message says why, for the user."""


@dataclass
class Table:
    header: list
    rows: list = field(default_factory=list)  # (row number in the file, [cells])


def _limit_message():
    return _("The file is larger than %(size)s MB: split it into smaller files.") % {
        "size": MAX_BYTES // (1024 * 1024)
    }


def _rows_message():
    return _("The file has more than %(rows)s rows: split it into smaller files.") % {
        "rows": f"{MAX_ROWS:,}"
    }


def read_table(name, data):
    """The file's header row and rows, or FileRefused."""
    if len(data) > MAX_BYTES:
        raise FileRefused(_limit_message())
    if not data.strip():
        raise FileRefused(_("The file is empty."))
    if data[:4] == b"PK\x03\x04":
        return _read_xlsx(data)
    if (name or "").lower().endswith((".xlsx", ".xlsm", ".xls")) or b"\x00" in data[:4096]:
        raise FileRefused(_("This is not a spreadsheet: upload an .xlsx or a .csv file."))
    return _read_csv(data)


def _finish(rows):
    """Header first, then the rows that hold something, numbered as the file shows them."""
    header, table = None, None
    for number, cells in rows:
        if not any(c not in (None, "") and str(c).strip() for c in cells):
            continue
        if header is None:
            header = list(cells)
            table = Table(header)
            continue
        if len(table.rows) >= MAX_ROWS:
            raise FileRefused(_rows_message())
        table.rows.append((number, list(cells)))
    if header is None:
        raise FileRefused(_("The file is empty."))
    return table


# --- CSV ----------------------------------------------------------------------------------


def decode(data):
    """Text from UTF-8 (BOM or not) or CP932, or FileRefused; never a guess that garbles."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ("utf-8", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileRefused(
        _("The file's characters are neither UTF-8 nor Shift_JIS: save it as CSV UTF-8.")
    )


def sniff_delimiter(first_line):
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _read_csv(data):
    text = decode(data)
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(first_line))
    try:
        return _finish((reader.line_num, row) for row in reader)
    except csv.Error as exc:
        raise FileRefused(
            _("The CSV cannot be read (%(error)s): save it again from the spreadsheet.")
            % {"error": exc}
        ) from None


# --- XLSX ---------------------------------------------------------------------------------


def _check_zip(data):
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise FileRefused(_("This is not a spreadsheet: upload an .xlsx or a .csv file.")) from None
    unzipped = sum(m.file_size for m in members)
    packed = sum(m.compress_size for m in members) or 1
    if unzipped > MAX_UNZIPPED or unzipped / packed > MAX_RATIO:
        raise FileRefused(
            _("This file unpacks to far more than a spreadsheet holds: it is refused.")
        )
    names = {m.filename for m in members}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise FileRefused(_("This is not a spreadsheet: upload an .xlsx or a .csv file."))
    return archive


def _has_merged_cells(archive, sheet_path):
    try:
        with archive.open(sheet_path) as part:
            tail = b""
            while chunk := part.read(1 << 20):
                if b"<mergeCell " in tail + chunk or b":mergeCell " in tail + chunk:
                    return True
                tail = chunk[-32:]
    except KeyError:
        return False
    return False


def _read_xlsx(data):
    import openpyxl

    archive = _check_zip(data)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds on a broken file
        raise FileRefused(_("This spreadsheet cannot be opened: save it again as .xlsx.")) from None
    try:
        if not book.worksheets:
            raise FileRefused(_("The file is empty."))
        sheet = book.worksheets[0]
        sheet_path = _first_sheet_path(archive, book)
        if sheet_path and _has_merged_cells(archive, sheet_path):
            raise FileRefused(
                _("The first sheet has merged cells: unmerge them, one value per cell.")
            )
        return _finish(_xlsx_rows(sheet))
    finally:
        book.close()


def _first_sheet_path(archive, book):
    sheet = book.worksheets[0]
    path = getattr(sheet, "_worksheet_path", None) or getattr(sheet, "path", None)
    if path:
        return path.lstrip("/")
    return next((n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")), None)


def _xlsx_rows(sheet):
    for number, row in enumerate(sheet.iter_rows(), start=1):
        cells = []
        for cell in row:
            if getattr(cell, "data_type", None) == "f":
                raise FileRefused(
                    _(
                        "Cell %(cell)s holds a formula: copy the sheet and paste values only, "
                        "then upload it again."
                    )
                    % {"cell": cell.coordinate}
                )
            cells.append(cell.value)
        yield number, cells
