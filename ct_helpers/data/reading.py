"""Read a reader's table file right, or refuse it by name: the book's reading contract.

Every table a reader gives the book (expression, target maps, atlas labels)
goes through :func:`read_table`. It returns a data frame in which every value
sits at the row and column it belongs to, or raises a :class:`TableReadError`
(a ``ValueError``) that names the file, what was found and the option that
fixes it. What it decides, it decides from the file's **content**, never from
its suffix alone, and it **refuses what it cannot decide** instead of guessing:

* the container: gzip (by its magic bytes), parquet, Excel, or text;
* the text's encoding: UTF-8 (with or without a byte-order mark), else latin-1;
* the separator (comma, semicolon, tab or runs of white space) as the one that
  splits every line into the same number of fields, and the decimal mark
  (a point, or a comma in a file not separated by commas);
* whether the first row is a **header**: it is when its cells above the numeric
  columns are names, it is not when they are all numbers (numpy's ``savetxt``
  writes no header), and a first row that mixes the two is refused;
* **row names** (R's ``write.csv``, a pandas index): a first column without a
  name becomes the index; row numbers ``1..n`` or ``0..n-1`` carry nothing and
  are dropped.

How the file was read is one line, :meth:`HowRead.describe`, kept in
``table.attrs["how_read"]`` so each loader can log it and record it in the
provenance of what it returns. ``book/running.md`` states the contract and the
variants the corpus test (``tests/test_reading_corpus.py``) writes and reads.
"""

from __future__ import annotations

import gzip
import io
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..messages import few
from .text_cells import (
    INTEGER_PATTERN,
    AmbiguousTableError,
    TableReadError,
    cell_kinds,
    data_lines,
    decimal_mark,
    decode_text,
    sniff_separator,
    text_grid,
)

_SEPARATORS = {"\t": "tab", ";": "semicolon", ",": "comma", " ": "white space"}


@dataclass(frozen=True)
class HowRead:
    """How :func:`read_table` read a file: one line for the log and the provenance.

    Examples
    --------
    >>> HowRead("maps.csv", "text", encoding="utf-8", separator=",", decimal=".",
    ...         header=False).describe()
    'maps.csv: text, utf-8, comma-separated, decimal point, no header row'
    """

    file: str
    container: str
    compression: str | None = None
    encoding: str | None = None
    separator: str | None = None
    decimal: str | None = None
    header: bool = True
    notes: tuple[str, ...] = field(default_factory=tuple)

    def describe(self) -> str:
        """Return the reading in one line (file, container, separator, header, notes)."""
        parts = [self.container + (f" ({self.compression})" if self.compression else "")]
        if self.encoding:
            parts.append(self.encoding)
        if self.separator:
            parts.append(f"{_SEPARATORS.get(self.separator, repr(self.separator))}-separated")
        elif self.container == "text":
            parts.append("one column")
        if self.decimal:
            parts.append("decimal comma" if self.decimal == "," else "decimal point")
        parts.append("header row" if self.header else "no header row")
        return f"{self.file}: " + ", ".join(parts + list(self.notes))


def read_table(
    path: str | os.PathLike,
    *,
    header: bool | str = "auto",
    sep: str = "auto",
    decimal: str = "auto",
    encoding: str = "auto",
    annotation_rows: tuple[str, ...] = (),
) -> pd.DataFrame:
    r"""Read a table file (text, gzip, parquet or Excel) by its content, or refuse it by name.

    Parameters
    ----------
    path : str or path-like
        The file. Its suffix is a hint only; the content decides.
    header : {"auto", True, False}
        Whether the first row names the columns (``"auto"``: decided from the
        cells, see the module docstring; a first row that mixes names and
        numbers is refused).
    sep : {"auto", ",", ";", "\t", " "}
        Field separator (``" "``: runs of white space).
    decimal : {"auto", ".", ","}
        Decimal mark of the numbers.
    encoding : str
        Text encoding (``"auto"``: UTF-8 with or without byte-order mark, else latin-1).
    annotation_rows : tuple of str
        Rows whose first cell is one of these words (any case) hold text about
        the columns, not data (Chapter 5's ``domain`` row): they are taken out
        before the columns are typed and returned in ``attrs["annotations"]``
        (word -> {column: text}).

    Returns
    -------
    pandas.DataFrame
        Numeric columns as floats (missing cells NaN; ``inf`` kept for the
        loader to refuse), text columns as str; row names, if the file has
        them, as the index. ``attrs["how_read"]`` is the :class:`HowRead`.

    Raises
    ------
    TableReadError
        Naming the file and the problem: no rows, ragged lines, mixed decimal
        marks, a first row that may or may not be a header
        (:class:`AmbiguousTableError`), repeated or empty column names.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "maps.txt"
    >>> np.savetxt(path, [[1.5, 2.0], [3.0, 4.25]])  # numpy writes no header
    >>> table = read_table(path)
    >>> table.to_numpy().tolist(), table.attrs["how_read"].header
    ([[1.5, 2.0], [3.0, 4.25]], False)
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"Table {path} does not exist.")
    if path.is_dir():
        raise TableReadError(f"{path} is a folder, not a table file.")
    raw, compression, notes = _uncompressed(path)
    if raw[:4] == b"PAR1":
        table = _read_parquet(raw, path)
        how = HowRead(path.name, "parquet", compression, notes=_suffix_note(path, "parquet", notes))
        grid_annotations = {}
    else:
        if raw[:4] == b"PK\x03\x04" or raw[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
            grid, used_encoding, separator = _read_excel_cells(raw, path), None, None
            container = "Excel"
        else:
            text, used_encoding = decode_text(raw, path.name, encoding)
            lines = data_lines(text)
            separator = sniff_separator(lines, path.name) if sep == "auto" else sep
            grid, container = text_grid(lines, separator, path.name), "text"
        grid, grid_annotations = _annotations(grid, annotation_rows)
        mark = decimal_mark(grid, path.name) if decimal == "auto" else decimal
        table, has_header, extra = _table_from_grid(grid, path.name, header, mark)
        how = HowRead(
            path.name,
            container,
            compression,
            used_encoding,
            separator,
            mark,
            has_header,
            _suffix_note(path, container, notes) + tuple(extra),
        )
    offset = 1 if "row names in the first column" in how.notes else 0
    table.attrs["how_read"] = how
    table.attrs["annotations"] = {
        word: {str(column): cells.get(j + offset, "") for j, column in enumerate(table.columns)}
        for word, cells in grid_annotations.items()
    }
    return table


def _uncompressed(path: Path) -> tuple[bytes, str | None, list[str]]:
    raw = path.read_bytes()
    if raw[:2] != b"\x1f\x8b":
        return raw, None, []
    try:
        raw = gzip.decompress(raw)
    except (OSError, EOFError) as error:
        raise TableReadError(f"{path.name}: gzip content is damaged ({error}).") from None
    notes = [] if path.name.lower().endswith(".gz") else ["gzip despite its suffix"]
    return raw, "gzip", notes


def _annotations(grid: np.ndarray, words: tuple[str, ...]) -> tuple[np.ndarray, dict]:
    """Take rows (not the first) whose first cell is one of ``words`` out of ``grid``.

    Returns the rest and ``{word: {column position: text}}``.
    """
    if not words:
        return grid, {}
    first = np.array([str(cell).strip().lower() for cell in grid[:, 0]])
    found, drop = {}, []
    for word in {w.lower() for w in words}:
        rows = np.flatnonzero(first[1:] == word) + 1
        if rows.size:
            found[word] = dict(enumerate(str(cell) for cell in grid[rows[0]]))
            drop.append(rows[0])
    return np.delete(grid, drop, axis=0), found


def _suffix_note(path: Path, container: str, notes: list[str]) -> tuple[str, ...]:
    name = path.name.lower().removesuffix(".gz")
    suffix = name[name.rindex(".") :] if "." in name else ""
    expected = {
        "parquet": (".parquet",),
        "Excel": (".xlsx", ".xls"),
        "text": (".csv", ".tsv", ".txt", ".dat", ".tab", ""),
    }[container]
    if suffix not in expected:
        notes = [*notes, f"{container} content despite its suffix {suffix}"]
    return tuple(notes)


def _read_parquet(raw: bytes, path: Path) -> pd.DataFrame:
    try:
        table = pd.read_parquet(io.BytesIO(raw))
    except ImportError as error:
        raise TableReadError(
            f"{path.name} is a parquet file; reading it needs pyarrow "
            f"(pip install pyarrow): {error}"
        ) from None
    _check_names([str(c) for c in table.columns], path.name)
    if not isinstance(table.index, pd.RangeIndex):
        table.index = table.index.astype(str)
    return table


def _read_excel_cells(raw: bytes, path: Path) -> np.ndarray:
    try:
        sheet = pd.read_excel(io.BytesIO(raw), header=None, dtype=str)
    except ImportError as error:
        raise TableReadError(
            f"{path.name} is an Excel file; reading it needs openpyxl "
            f"(pip install openpyxl): {error}"
        ) from None
    except (ValueError, KeyError, OSError, zipfile.BadZipFile) as error:
        raise TableReadError(f"{path.name} cannot be read as an Excel file: {error}") from None
    sheet = sheet.dropna(how="all").dropna(axis=1, how="all")
    if sheet.empty:
        raise TableReadError(f"{path.name} is empty: no rows.")
    return np.vectorize(lambda cell: "" if pd.isna(cell) else str(cell).strip(), otypes=[object])(
        sheet.to_numpy(dtype=object)
    )


def _table_from_grid(grid, name, header, decimal) -> tuple[pd.DataFrame, bool, list[str]]:
    """Decide the header, type every column, and set row names as the index."""
    numbers, is_text = cell_kinds(grid, decimal)
    first = [str(cell) for cell in grid[0]]
    has_header = _has_header(first, numbers, is_text, name) if header == "auto" else bool(header)
    width = grid.shape[1]
    names = first if has_header else [f"column {i + 1}" for i in range(width)]
    _check_names(names, name, allow_first_empty=True)
    start = 1 if has_header else 0
    if grid.shape[0] <= start:
        raise TableReadError(f"{name} has a header row ({few(names, 5)}) but no data rows.")
    text_columns = is_text[start:].any(axis=0)
    columns = {
        column: (
            grid[start:, j].astype(str).astype(object) if text_columns[j] else numbers[start:, j]
        )
        for j, column in enumerate(names)
    }
    table, notes = pd.DataFrame(columns), []
    if has_header and names[0] == "" and width > 1:  # R's write.csv, pandas' to_csv: row names
        table.pop("")
        index = pd.Index([str(cell) for cell in grid[start:, 0]], dtype=str)
        if _row_numbers(index):
            notes.append("row numbers in the first column dropped")
        else:
            table.index = index
            notes.append("row names in the first column")
    return table, has_header, notes


def _has_header(first, numbers, is_text, name) -> bool:
    """Whether the first row names the columns, from its cells above the numeric columns.

    Empty and missing cells say nothing; names above numbers make a header,
    numbers above numbers make a data row; both at once are refused. A table
    with no numeric column has a header (numpy, which writes none, writes
    numbers only).
    """
    if numbers.shape[0] == 1:
        return bool(is_text[0].any())
    body_numbers, body_text = numbers[1:], is_text[1:]
    numeric = np.flatnonzero(~body_text.any(axis=0) & ~np.isnan(body_numbers).all(axis=0))
    if numeric.size == 0:
        return True  # stated rule: numpy, which writes no header, writes numbers only
    words = [first[j] for j in numeric if is_text[0, j]]
    values = [first[j] for j in numeric if not np.isnan(numbers[0, j])]
    if words and not values:
        return True
    if values and not words:
        return False
    if not words:
        raise AmbiguousTableError(
            f"{name}: whether the first row ({few(first, 5)}) is a header cannot be told from "
            "its cells (no name or number above a numeric column); pass header=True or "
            "header=False."
        )
    raise AmbiguousTableError(
        f"{name}: the first row mixes names ({few(words, 3)}) and numbers ({few(values, 3)}) "
        "above numeric columns, so it may or may not be a header; pass header=True or "
        "header=False."
    )


def _row_numbers(index: pd.Index) -> bool:
    """Whether row names are just 1..n or 0..n-1 (R's and pandas' defaults)."""
    if not all(INTEGER_PATTERN.match(str(value)) for value in index):
        return False
    values = np.array([int(value) for value in index])
    return bool(
        (values == np.arange(1, len(values) + 1)).all() or (values == np.arange(len(values))).all()
    )


def _check_names(names: list[str], name: str, allow_first_empty: bool = False) -> None:
    """Refuse empty and repeated column names, with their columns (counted from 0)."""
    empty = [
        i
        for i, column in enumerate(names)
        if not str(column).strip() and not (allow_first_empty and i == 0)
    ]
    if empty:
        raise TableReadError(
            f"{name}: empty column names in columns {few(empty)} (counted "
            "from 0) of the header row; name them or remove them."
        )
    repeated = pd.Index(names)[pd.Index(names).duplicated(keep=False)].unique()
    if repeated.size:
        where = [
            f"{column} (columns {few([i for i, c in enumerate(names) if c == column])})"
            for column in repeated[:10]
        ]
        raise TableReadError(
            f"{name}: duplicate column names {'; '.join(where)} in the header "
            "row; each column needs its own name."
        )


__all__ = ["AmbiguousTableError", "HowRead", "TableReadError", "read_table"]
