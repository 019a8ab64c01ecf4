"""Readers on files other writers produce: every value lands as text, row numbers follow the
file."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from zhili.hub.ingest.readers import FIELDS, BatchError, _read_csv, _read_jsonl, _read_xlsx


def test_xlsx_written_by_openpyxl() -> None:
    """Shared strings, numbers, dates, booleans, gaps and a blank row (not a record)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["record_id", "名称", "数量", "金额", "日期", "时间", "是否", "备注"])
    ws.append(
        ["A1", "张三", 3, 2.5, dt.date(2019, 6, 30), dt.datetime(2019, 6, 30, 8, 5), True, None]
    )
    ws.append([None] * 8)
    ws.append(["A2", "李四", 35000.0, 1e-3, None, None, False, "x"])
    buf = io.BytesIO()
    wb.save(buf)
    raw = _read_xlsx(buf.getvalue(), None)
    assert raw.columns == ["record_id", "名称", "数量", "金额", "日期", "时间", "是否", "备注"]
    rows = raw.frame.rows(named=True)
    assert [r["_row"] for r in rows] == [1, 3]
    assert rows[0] == {
        "_row": 1, "record_id": "A1", "名称": "张三", "数量": "3", "金额": "2.5",
        "日期": "2019-06-30", "时间": "2019-06-30 08:05:00", "是否": "true", "备注": None,
    }  # fmt: skip
    assert (rows[1]["数量"], rows[1]["金额"], rows[1]["是否"]) == ("35000", "0.001", "false")


def test_xlsx_named_sheet_and_errors() -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.create_sheet("数据").append(["record_id"])
    buf = io.BytesIO()
    wb.save(buf)
    assert _read_xlsx(buf.getvalue(), "数据").frame.height == 0
    with pytest.raises(BatchError, match="no sheet '名册'"):
        _read_xlsx(buf.getvalue(), "名册")
    with pytest.raises(BatchError, match="not a zip archive"):
        _read_xlsx(buf.getvalue()[:200], None)


def test_csv_quoted_fields_span_lines() -> None:
    data = 'record_id,地址,备注\nA1,"杭州市, 余杭区","第一行\n第二行"\nA2,临平,\n'.encode()
    raw = _read_csv(data, "utf-8")
    assert raw.frame["地址"].to_list() == ["杭州市, 余杭区", "临平"]
    assert raw.frame["备注"].to_list() == ["第一行\n第二行", None]
    assert FIELDS not in raw.frame.columns  # lines are not records: no per-line field count


def test_csv_with_bom_and_gbk() -> None:
    text = "record_id,姓名\nA1,张三\n"
    assert _read_csv(b"\xef\xbb\xbf" + text.encode(), "utf-8-sig").columns == ["record_id", "姓名"]
    assert _read_csv(text.encode("gbk"), "gbk").frame["姓名"].to_list() == ["张三"]
    with pytest.raises(BatchError, match="empty file"):
        _read_csv(b"", "utf-8")


def test_jsonl_values_as_text() -> None:
    data = (
        b'{"record_id":"R1","n":3,"x":1.5,"ok":true,"list":["a","b"],"none":null}\n'
        b'{"record_id":"R2","n":4,"extra":"e"}\n'
    )
    raw = _read_jsonl(data, "utf-8", ["record_id", "n", "x", "ok", "list", "none", "gone"])
    row = raw.frame.row(0, named=True)
    assert (row["n"], row["x"], row["ok"]) == ("3", "1.5", "true")
    assert row["list"].replace(" ", "") == '["a","b"]'
    assert "gone" not in raw.columns  # no record carries it: an absent column, not nulls
    assert "extra" in raw.columns and raw.frame["extra"].to_list() == [None, "e"]
    with pytest.raises(BatchError, match="record 2: not JSON"):
        _read_jsonl(b'{"record_id":"R1"}\n{"record_id":\n{"a":1}\n', "utf-8", ["record_id"])
