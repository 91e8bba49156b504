"""Files as people bring them: each kind read, each bad kind refused with a message."""

import pytest

from opsmaturity.transfer import reading
from opsmaturity.transfer.reading import FileRefused, read_table
from tests.transfer.files import HEADER, JA_HEADER, csv_bytes, row, xlsx, zip_bomb


def cells(table):
    return [dict(zip(table.header, r, strict=False)) for _n, r in table.rows]


def test_an_xlsx_written_with_openpyxl_is_read():
    table = read_table("ops.xlsx", xlsx([row(), row("Ledger close")]))
    assert table.header == HEADER
    assert [c["name"] for c in cells(table)] == ["Refund approvals", "Ledger close"]
    assert [n for n, _r in table.rows] == [2, 3]


def test_a_cp932_csv_with_japanese_headers_keeps_its_japanese():
    data = csv_bytes(
        [row("請求書の照合", purpose="入金と請求書を毎日照合する。")],
        header=JA_HEADER,
        encoding="cp932",
    )
    data.decode("cp932")  # really CP932, not UTF-8
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    table = read_table("ops.csv", data)
    assert table.header[1] == "業務名"
    assert table.rows[0][1][1] == "請求書の照合"
    assert table.rows[0][1][4] == "入金と請求書を毎日照合する。"


def test_a_utf8_csv_with_bom_and_crlf_is_read():
    data = csv_bytes([row(purpose="Two\r\nlines")], bom=True, newline="\r\n")
    table = read_table("ops.csv", data)
    assert table.header[0] == "id"  # no BOM left in the first header
    assert cells(table)[0]["purpose"] == "Two\r\nlines"
    assert cells(table)[0]["monthly_cost"] == "340,000"


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_separators_are_sniffed(delimiter):
    table = read_table("ops.csv", csv_bytes([row()], delimiter=delimiter))
    assert cells(table)[0]["monthly_cost"] == "340,000"


def refused(name, data):
    with pytest.raises(FileRefused) as info:
        read_table(name, data)
    return str(info.value)


def test_an_empty_file_is_refused():
    assert "empty" in refused("ops.csv", b"")
    assert "empty" in refused("ops.csv", b"\r\n\r\n")


def test_a_picture_is_not_a_spreadsheet():
    assert "not a spreadsheet" in refused("ops.xlsx", b"\x89PNG\r\n\x1a\n\0\0\0")
    assert "not a spreadsheet" in refused("ops.csv", b"\x00\x01\x02binary")
    assert "not a spreadsheet" in refused("ops.xlsx", b"PK\x03\x04 broken zip")


def test_text_in_no_known_encoding_is_refused_rather_than_garbled():
    assert "UTF-8" in refused("ops.csv", b"name,team\n\x81\x00\xff\xfe,x\n".replace(b"\x00", b""))


def test_a_zip_bomb_disguised_as_xlsx_is_refused_before_opening(monkeypatch):
    opened = []
    import openpyxl

    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: opened.append(1))
    assert "unpacks" in refused("ops.xlsx", zip_bomb())
    assert not opened


def test_formulas_are_refused_with_the_cell():
    data = xlsx([row(monthly_cost="=100*12")])
    assert "L2" in refused("ops.xlsx", data) and "formula" in refused("ops.xlsx", data)


def test_merged_cells_are_refused():
    data = xlsx([row(), row("Other")], setup=lambda s: s.merge_cells("C2:C3"))
    assert "merged" in refused("ops.xlsx", data)


def test_size_and_row_limits(monkeypatch):
    monkeypatch.setattr(reading, "MAX_BYTES", 1000)
    assert "larger than" in refused("ops.csv", b"name,team,purpose\n" + b"a,b,c\n" * 200)
    monkeypatch.setattr(reading, "MAX_BYTES", 10 * 1024 * 1024)
    monkeypatch.setattr(reading, "MAX_ROWS", 3)
    assert "more than 3 rows" in refused("ops.csv", b"name,team,purpose\n" + b"a,b,c\n" * 4)


def test_the_real_limits_are_those_of_the_issue():
    assert reading.MAX_BYTES == 10 * 1024 * 1024
    assert reading.MAX_ROWS == 50_000
