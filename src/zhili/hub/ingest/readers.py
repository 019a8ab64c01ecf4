"""Read one exported table into a frame of text: every value lands as text first (numbers as
the file writes them, JSON arrays as JSON), with `_row`, the 1-based number of the record in
the file (data records only: the header is not counted; in an XLSX file, the sheet row - 1).

Anything that makes the file as a whole unreadable raises BatchError with a message a clerk
can act on: a wrong encoding, a truncated file, a missing column, a file of another format.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sqlite3
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import polars as pl

from zhili.hub.contracts.schema import Contract, TableSpec

ROW = "_row"
FIELDS = "_fields"  # fields a CSV row really has, where rows may be short
_CODEC_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "gbk": "GBK", "gb18030": "GB18030"}
_JSON_SAMPLE_LINES = 2_000


class BatchError(Exception):
    """The file cannot be ingested as a whole; the batch fails with this message."""


@dataclass
class RawTable:
    frame: pl.DataFrame  # every column String, plus _row (Int64)
    columns: list[str]  # the columns the file has, in its order
    warnings: list[str] = field(default_factory=list)


def read_table(path: Path, data: bytes, contract: Contract, table: TableSpec) -> RawTable:
    """Read `data` (the bytes of `path`) as the contract's format and check its columns."""
    if contract.format == "csv":
        raw = _read_csv(data, contract.encoding)
    elif contract.format == "jsonl":
        raw = _read_jsonl(data, contract.encoding, list(table.fields))
    elif contract.format == "xlsx":
        raw = _read_xlsx(data, table.sheet)
    elif contract.format == "sqlite":
        raw = _read_sqlite(path, data, table.sqlite_table or table.name)
    else:  # pragma: no cover - the contract schema admits no other format
        raise BatchError(f"unsupported format {contract.format}")
    _check_columns(raw, table, data, contract)
    return raw


# -- text encodings ---------------------------------------------------------------------------


def _decode(data: bytes, encoding: str) -> str:
    """Decode strictly; a character cut at the end of the file means the file is truncated."""
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as e:
        name = _CODEC_NAMES.get(encoding, encoding)
        if e.end >= len(data) and e.reason in (
            "incomplete multibyte sequence",
            "unexpected end of data",
        ):
            raise BatchError(
                f"truncated file: it ends inside a {name} character "
                f"(byte {e.start:,} of {len(data):,})"
            ) from None
        guess = _guess_encoding(data, exclude=encoding)
        hint = f"; the file reads as {guess}: exported in the wrong encoding?" if guess else ""
        snippet = data[max(0, e.start - 8) : e.end + 8].hex(" ")
        raise BatchError(
            f"not valid {name}: {e.reason} at byte {e.start:,} (bytes {snippet}){hint}"
        ) from None
    return text.removeprefix("\ufeff")


def _guess_encoding(data: bytes, exclude: str) -> str | None:
    for enc in ("utf-8", "gbk"):
        if _CODEC_NAMES[enc] == _CODEC_NAMES.get(exclude):
            continue
        try:
            data.decode(enc)
        except UnicodeDecodeError:
            continue
        return _CODEC_NAMES[enc]
    return None


# -- CSV --------------------------------------------------------------------------------------


@dataclass
class _Text:
    """A text file as polars wants it (UTF-8 bytes, no BOM), with its beginning and end
    decoded for the checks Python makes (header, sample records, a cut last line)."""

    body: bytes
    head: str  # whole lines from the start (up to _HEAD bytes)
    tail: str  # whole lines at the end (up to _TAIL bytes); all of it for small files
    whole: bool  # head is the whole file


_HEAD = 1 << 22
_TAIL = 1 << 16


def _text(data: bytes, encoding: str) -> _Text:
    if not encoding.startswith("utf-8"):
        text = _decode(data, encoding)  # GBK: decode it all, strictly
        body = text.encode()
    else:
        # UTF-8: polars validates the bulk as it parses; decode here only the two ends (and
        # the whole file only to explain an error).
        body = data.removeprefix(b"\xef\xbb\xbf")
        text = None
    whole = len(body) <= _HEAD
    head_b = body if whole else body[: body.rfind(b"\n", 0, _HEAD) + 1]
    tail_b = body if len(body) <= _TAIL else body[body.find(b"\n", len(body) - _TAIL) + 1 :]
    if text is not None:
        head = text if whole else head_b.decode()
        tail = text if len(body) <= _TAIL else tail_b.decode()
    else:
        try:
            head, tail = head_b.decode(), tail_b.decode()
        except UnicodeDecodeError:
            _decode(data, encoding)  # raises BatchError with the details
            raise
    return _Text(body, head.removeprefix("\ufeff"), tail, whole)


def _polars_error(e: Exception, data: bytes, encoding: str, what: str) -> BatchError:
    """A BatchError for a polars read error; invalid UTF-8 is explained byte-exactly."""
    if "utf-8" in str(e).lower() or "utf8" in str(e).lower():
        try:
            _decode(data, encoding)
        except BatchError as detailed:
            return detailed
    return BatchError(f"unreadable {what}: {_first_line(e)}")


def _read_csv(data: bytes, encoding: str) -> RawTable:
    t = _text(data, encoding)
    if not t.body or t.body.isspace():
        raise BatchError("empty file: no header row")
    first = t.head.split("\n", 1)[0].rstrip("\r")
    header = next(csv.reader([first]))
    dup = sorted({c for c in header if header.count(c) > 1})
    if dup:
        raise BatchError(f"duplicate column(s) in the header: {', '.join(dup)}")
    if not t.body.endswith(b"\n") and b"\n" in t.body:
        last = t.tail.rsplit("\n", 1)[-1]
        fields = next(csv.reader([last]), [])
        if len(fields) < len(header):
            raise BatchError(
                f"truncated file: the last row has {len(fields)} of {len(header)} fields "
                "and no line break"
            )
    ragged = False
    try:
        frame = pl.read_csv(t.body, infer_schema=False, has_header=True, raise_if_empty=False)
    except pl.exceptions.ComputeError as e:
        if "more fields" not in str(e):
            raise _polars_error(e, data, encoding, "CSV") from None
        # Rows longer than the header: read them cut, and quarantine them below.
        ragged = True
        frame = pl.read_csv(
            t.body,
            infer_schema=False,
            has_header=True,
            raise_if_empty=False,
            truncate_ragged_lines=True,
        )
    except (pl.exceptions.PolarsError, ValueError) as e:
        raise _polars_error(e, data, encoding, "CSV") from None
    if frame.columns != header and frame.width == len(header):
        frame.columns = header
    frame = frame.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))
    # A row with fewer fields comes back padded with nulls: where the last column has any
    # null, count every row's fields (cheap: only such files pay for it).
    if ragged or (frame.height and frame[header[-1]].null_count()):
        counts = _field_counts(t.body, frame.height)
        if counts is not None:
            frame = frame.with_columns(counts.alias(FIELDS))
        elif ragged:
            raise BatchError("unreadable CSV: some rows have more fields than the header")
    return RawTable(frame, header)


def _field_counts(utf8: bytes, records: int) -> pl.Series | None:
    """Fields per data row, when every record is one line (None when quoted fields span
    lines and lines are not records)."""
    lines = pl.read_csv(
        utf8,
        has_header=False,
        separator="\x1f",
        quote_char=None,
        schema={"l": pl.String},
        raise_if_empty=False,
    )
    if lines.height != records + 1:
        return None
    line = pl.col("l")
    unquoted = (
        pl.when(line.str.contains('"', literal=True))
        .then(line.str.replace_all(r'"(?:[^"]|"")*"', ""))
        .otherwise(line)
    )
    counts = lines.select((unquoted.str.count_matches(",", literal=True) + 1).cast(pl.Int64))
    return counts.to_series().slice(1)


# -- JSON lines -------------------------------------------------------------------------------


def _read_jsonl(data: bytes, encoding: str, declared: list[str]) -> RawTable:
    t = _text(data, encoding)
    if not t.body or t.body.isspace():
        raise BatchError("empty file: no records")
    lines = [ln for ln in t.head.splitlines()[:_JSON_SAMPLE_LINES] if ln.strip()]
    if not t.body.endswith(b"\n"):
        try:
            json.loads(t.tail.rstrip().rsplit("\n", 1)[-1])
        except json.JSONDecodeError:
            raise BatchError(
                "truncated file: the last line is not complete JSON and has no line break"
            ) from None
    # The keys: declared ones first, then any other the first records carry.
    keys: dict[str, None] = {}
    for n, line in enumerate(lines, start=1):
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise BatchError(f"record {n}: not JSON ({e.msg} at column {e.colno})") from None
        if not isinstance(record, dict):
            raise BatchError(f"record {n}: a JSON {type(record).__name__}, not an object")
        keys.update(dict.fromkeys(record))
    columns = list(keys)
    schema = {c: pl.String for c in [*declared, *(k for k in columns if k not in declared)]}
    try:
        frame = pl.read_ndjson(io.BytesIO(t.body), schema=schema, ignore_errors=False)
    except (pl.exceptions.PolarsError, ValueError) as e:
        raise _polars_error(e, data, encoding, "JSON lines") from None
    # Declared keys that no sampled record carries are absent columns, not null values.
    absent = [c for c in declared if c not in keys and frame[c].null_count() == frame.height]
    frame = frame.drop(absent)
    present = [c for c in schema if c not in absent]
    return RawTable(
        frame.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64)), present
    )


# -- XLSX -------------------------------------------------------------------------------------


def _cell_text(v: object) -> str | None:
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ") if v.time() != dt.time() else v.date().isoformat()
    if isinstance(v, dt.date | dt.time):
        return v.isoformat()
    return str(v)


def _column_index(letters: str, cache: dict[str, int] = {}) -> int:  # noqa: B006 - a cache
    """0-based column of "A", "B", ..., "AA" ..."""
    n = cache.get(letters)
    if n is None:
        n = 0
        for ch in letters:
            n = n * 26 + ord(ch) - 64
        n -= 1
        cache[letters] = n
    return n


def _sheet_rows(wb: object, ws: object) -> Iterator[tuple[int, list]]:
    """(sheet row number, cell values by column) of an openpyxl read-only worksheet.

    openpyxl opens the workbook and gives the sheet's XML stream, its shared strings and
    which styles are dates; the cells are read here: openpyxl's own row parser builds a
    dictionary per cell and a rich-text object per inline string, which made XLSX by far the
    slowest format; here a row's cells are read when the row is complete, and the row is then
    dropped. Values are text as the sheet stores them; date-styled numbers become ISO dates."""
    from openpyxl.utils.datetime import from_excel
    from openpyxl.xml.constants import SHEET_MAIN_NS
    from openpyxl.xml.functions import iterparse

    ns = f"{{{SHEET_MAIN_NS}}}"
    v_tag, is_tag, t_tag, r_tag = (ns + t for t in ("v", "is", "t", "r"))
    row_tag = ns + "row"
    shared = ws._shared_strings  # type: ignore[attr-defined]
    date_styles = {int(i) for i in wb._date_formats}  # type: ignore[attr-defined]
    epoch = wb.epoch  # type: ignore[attr-defined]

    def inline_text(el: ElementTree.Element) -> str:
        parts = []
        for child in el:
            if child.tag == t_tag:
                parts.append(child.text or "")
            elif child.tag == r_tag:
                parts.extend(t.text or "" for t in child.iter(t_tag))
            # rPh (phonetic runs) are not part of the value
        return "".join(parts)

    def cells(row: ElementTree.Element) -> list:
        values: list = []
        column = -1
        for el in row:
            ref = el.get("r")
            if ref:
                k = 0
                while ref[k].isalpha():
                    k += 1
                column = _column_index(ref[:k])
            else:
                column += 1
            kind = el.get("t", "n")
            if kind == "inlineStr":
                child = el.find(is_tag)
                value = None if child is None else inline_text(child)
            else:
                value = el.findtext(v_tag)
                if value is not None:
                    if kind == "s":
                        value = str(shared[int(value)])
                    elif kind == "n":
                        style = el.get("s")
                        if style and int(style) in date_styles:
                            value = _cell_text(from_excel(float(value), epoch))
                        elif "." in value or "E" in value or "e" in value:
                            value = _cell_text(float(value))
                    elif kind == "b":
                        value = "true" if value == "1" else "false"
                    # "str" (a formula's text), "e" (an error), "d" (ISO) stay as written
            if column >= len(values):
                values.extend([None] * (column + 1 - len(values)))
            values[column] = value
        return values

    number = 0
    with ws._get_source() as src:  # type: ignore[attr-defined]
        for _event, el in iterparse(src):
            if el.tag == row_tag:
                r = el.get("r")
                number = int(r) if r else number + 1
                yield number, cells(el)
                el.clear()


def _read_xlsx(data: bytes, sheet: str | None) -> RawTable:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except zipfile.BadZipFile:
        raise BatchError(
            "not an XLSX file: not a zip archive (truncated, or another format renamed .xlsx?)"
        ) from None
    except (InvalidFileException, KeyError, OSError, ValueError) as e:
        raise BatchError(f"unreadable XLSX: {_first_line(e)}") from None
    try:
        if sheet is not None and sheet not in wb.sheetnames:
            raise BatchError(f"no sheet {sheet!r} (the workbook has {', '.join(wb.sheetnames)})")
        ws = wb[sheet] if sheet is not None else wb.worksheets[0]
        rows = _sheet_rows(wb, ws)
        first = next(rows, None)
        if first is None:
            raise BatchError("empty sheet: no header row")
        header_at, header_row = first
        header = [_cell_text(c) for c in header_row]
        while header and header[-1] is None:
            header.pop()
        if any(h is None for h in header):
            raise BatchError("a header cell is empty")
        width = len(header)
        numbers: list[int] = []
        body: list[list] = []
        for number, row in rows:
            if not any(v is not None for v in row):
                continue  # blank rows are not records
            if len(row) > width:
                if any(v is not None for v in row[width:]):
                    raise BatchError(f"row {number} has values beyond the {width} header columns")
                row = row[:width]
            elif len(row) < width:
                row.extend([None] * (width - len(row)))
            numbers.append(number - header_at)
            body.append(row)
    except (zipfile.BadZipFile, EOFError, ElementTree.ParseError) as e:
        raise BatchError(f"unreadable XLSX: {_first_line(e)}") from None
    finally:
        wb.close()
    dup = sorted({c for c in header if header.count(c) > 1})
    if dup:
        raise BatchError(f"duplicate column(s) in the header: {', '.join(dup)}")
    columns: dict[str, pl.Series] = {}
    cells = list(zip(*body, strict=True)) if body else [() for _ in header]
    for name, col in zip(header, cells, strict=True):
        values = list(col)
        if not all(v is None or isinstance(v, str) for v in values):
            values = [_cell_text(v) for v in values]
        columns[name] = pl.Series(name, values, dtype=pl.String)
    frame = pl.DataFrame(columns, schema={h: pl.String for h in header})
    frame = frame.with_columns(pl.Series(ROW, numbers, dtype=pl.Int64))
    return RawTable(frame.select(ROW, *header), list(header))


# -- SQLite -----------------------------------------------------------------------------------


def _read_sqlite(path: Path, data: bytes, name: str) -> RawTable:
    """Read the very bytes that were hashed (deserialized into memory), not the file again."""
    try:
        con = sqlite3.connect(":memory:")
        con.deserialize(data)
    except (sqlite3.Error, AttributeError):
        try:
            con = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
        except sqlite3.Error as e:
            raise BatchError(f"cannot open the SQLite file: {e}") from None
    try:
        tables = [
            r[0]
            for r in con.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")
        ]
        if name not in tables:
            raise BatchError(f"no table {name!r} in the SQLite file (it has: {', '.join(tables)})")
        ident = '"' + name.replace('"', '""') + '"'
        header = [r[1] for r in con.execute(f"PRAGMA table_info({ident})")]
        cols = ", ".join('CAST("{}" AS TEXT)'.format(c.replace('"', '""')) for c in header)
        rows = con.execute(f"SELECT {cols} FROM {ident}").fetchall()
    except sqlite3.DatabaseError as e:
        raise BatchError(f"not a readable SQLite database: {e}") from None
    finally:
        con.close()
    frame = pl.DataFrame(rows, schema={c: pl.String for c in header}, orient="row")
    frame = frame.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))
    return RawTable(frame, header)


# -- columns ----------------------------------------------------------------------------------


def _check_columns(raw: RawTable, table: TableSpec, data: bytes, contract: Contract) -> None:
    present = set(raw.columns)
    missing = [f for f in table.required if f not in present]
    if missing:
        hint = ""
        if contract.format == "csv":
            # A header that decodes without error in the wrong encoding reads as mojibake.
            for enc in ("utf-8-sig", "gbk"):
                if _CODEC_NAMES[enc] == _CODEC_NAMES[contract.encoding]:
                    continue
                try:
                    first = data[:65536].decode(enc, errors="ignore").split("\n", 1)[0]
                except LookupError:  # pragma: no cover
                    continue
                if set(missing) <= set(next(csv.reader([first.rstrip("\r")]), [])):
                    hint = (
                        f"; the header reads as {_CODEC_NAMES[enc]}: exported in the wrong "
                        f"encoding (the contract says {_CODEC_NAMES[contract.encoding]})?"
                    )
                    break
        shown = ", ".join(raw.columns[:12]) + (" ..." if len(raw.columns) > 12 else "")
        raise BatchError(
            f"missing required column(s) {', '.join(missing)} (the file has: {shown}){hint}"
        )
    optional_missing = [f for f in table.fields if f not in present]
    if optional_missing:
        raw.warnings.append(f"optional column(s) absent: {', '.join(optional_missing)}")
        raw.frame = raw.frame.with_columns(
            pl.lit(None, dtype=pl.String).alias(f) for f in optional_missing
        )
    extra = [c for c in raw.columns if c not in table.fields]
    if extra:
        raw.warnings.append(f"undeclared column(s) kept as text: {', '.join(extra)}")


def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0]
