"""Real files, written the way the tests' users write them: openpyxl, Excel's CSV flavours."""

import io
import zipfile

import openpyxl

HEADER = [
    "id",
    "name",
    "team",
    "owner",
    "purpose",
    "phase",
    "phase_since",
    "launched_on",
    "performers",
    "runbook_url",
    "monthly_volume",
    "monthly_cost",
    "monthly_value",
    "note",
]


def row(name="Refund approvals", **cells):
    values = {
        "id": "",
        "name": name,
        "team": "Billing",
        "owner": "ann",
        "purpose": "Customers get their refund within two days.",
        "phase": "standardize",
        "phase_since": "2025-03-01",
        "launched_on": "2025-01-10",
        "performers": "ann, boss",
        "runbook_url": "https://wiki.example.com/refunds",
        "monthly_volume": "320",
        "monthly_cost": "340,000",
        "monthly_value": "900000",
        "note": "",
        **cells,
    }
    return values


def xlsx(rows, header=HEADER, setup=None):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    keys = HEADER_FOR.get(tuple(header), header)
    for values in rows:
        sheet.append(
            list(values) if isinstance(values, list) else [values.get(k, "") for k in keys]
        )
    if setup:
        setup(sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows, header=HEADER, encoding="utf-8", delimiter=",", newline="\n", bom=False):
    import csv

    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    writer.writerow(header)
    for values in rows:
        writer.writerow([values.get(h, "") for h in HEADER_FOR.get(tuple(header), header)])
    data = out.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


# Japanese headers, in the order of HEADER: a file may use them instead.
JA_HEADER = [
    "ID",
    "業務名",
    "チーム",
    "責任者",
    "目的",
    "フェーズ",
    "フェーズ開始日",
    "立ち上げ日",
    "担当者",
    "手順書URL",
    "月間件数",
    "月額コスト",
    "月額価値",
    "メモ",
]
HEADER_FOR = {tuple(JA_HEADER): HEADER}


def zip_bomb():
    """A zip that says it is a workbook and unpacks to a gigabyte."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            chunk = b"\0" * (1 << 20)
            for _ in range(300):
                part.write(chunk)
    return out.getvalue()
