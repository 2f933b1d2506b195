"""From the bytes of a text table to a grid of cells: encoding, lines, separator, decimal mark.

The first half of the reading contract of :func:`~ct_helpers.data.reading.read_table`:
each step decides from the file's content and refuses, with a
:class:`TableReadError` that names the file, what it cannot decide.
"""

from __future__ import annotations

import csv
import re

import numpy as np
import pandas as pd

from ..messages import few

#: Cells read as a missing value (NaN), besides an empty cell.
MISSING_TOKENS = frozenset({"na", "nan", "n/a", "#n/a", "null", "none", "-", "."})
#: A cell that is a whole number (row numbers, two-integer lines).
INTEGER_PATTERN = re.compile(r"^[+-]?\d+$")
_COMMA_NUMBER = re.compile(r"^[+-]?(\d+,\d*|,\d+)([eE][+-]?\d+)?$")
_SNIFF_LINES = 100
csv.field_size_limit(2**31 - 1)  # a row of 15,633 genes is one long line


class TableReadError(ValueError):
    """A reader's file cannot be read so that every value sits where it belongs.

    The message names the file, what was found, and the option that fixes it.
    """


class AmbiguousTableError(TableReadError):
    """A file fits two readings (header or none, one order or another): refused, not guessed."""


def decode_text(raw: bytes, name: str, encoding: str) -> tuple[str, str]:
    """Return the text of ``raw`` and its encoding (``"auto"``: BOM, UTF-8, else latin-1)."""
    if encoding != "auto":
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError as error:
            raise TableReadError(f"{name} is not {encoding} text ({error}).") from None
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="strict"), "utf-8 with byte-order mark"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), "utf-16"
    if b"\x00" in raw[:4096]:
        raise TableReadError(f"{name} is neither text, gzip, parquet nor Excel (binary content).")
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1"


def data_lines(text: str) -> list[str]:
    """Lines with content; leading ``#`` comments dropped, except numpy's header comment."""
    lines = text.splitlines()
    while lines and not lines[-1].strip():  # blank lines at the end say nothing; inside a
        lines.pop()  # one-column file (pandas writes a missing value so) they are missing values
    while lines and not lines[0].strip():
        lines.pop(0)
    comments = 0
    while comments < len(lines) and lines[comments].lstrip().startswith("#"):
        comments += 1
    if comments and comments < len(lines):
        last = lines[comments - 1].lstrip()[1:].strip()  # np.savetxt(header=...) writes "# a b"
        if last and len(re.split(r"\s+", last)) == len(re.split(r"\s+", lines[comments].strip())):
            lines[comments - 1] = last
            comments -= 1
    return lines[comments:]


def _fields(line: str, separator: str) -> list[str]:
    """Split one line at ``separator`` (white space: runs of blanks), as csv quotes allow."""
    if separator == " ":
        return next(csv.reader([line.strip()], delimiter=" ", skipinitialspace=True))
    return next(csv.reader([line], delimiter=separator))


def sniff_separator(lines: list[str], name: str) -> str | None:
    """Return the separator that splits every line into the same number (> 1) of fields."""
    if not lines:
        raise TableReadError(f"{name} is empty: no rows.")
    sample = [line for line in lines[:_SNIFF_LINES] if line.strip()]
    for separator in ("\t", ";", ",", " "):
        counts = [len(_fields(line, separator)) for line in sample]
        body = counts[1:] or counts
        if min(body) > 1 and len(set(body)) == 1 and counts[0] in (body[0], body[0] - 1):
            if (
                separator == ","
                and body[0] == 2
                and len(sample) > 1
                and all(
                    INTEGER_PATTERN.match(cell.strip())
                    for line in sample[1:]
                    for cell in _fields(line, ",")
                )
            ):
                raise AmbiguousTableError(
                    f"{name}: every line is two integers split by a comma, which may also be one "
                    "column of numbers with a decimal comma; pass sep=',' (two columns) or "
                    "decimal=',' with sep=';' (one column)."
                )
            return separator
    if all(len(_fields(line, sep)) == 1 for line in sample for sep in (",", ";", "\t", " ")):
        return None  # one column
    counts = [len(_fields(line, ",")) for line in sample]
    uneven = [i + 1 for i, count in enumerate(counts) if count != counts[-1]]
    raise TableReadError(
        f"{name}: the lines do not split into the same number of fields with any separator "
        f"(comma, semicolon, tab, white space); with commas, lines {few(uneven)} differ from the "
        "last. Check for unquoted separators inside names, or pass sep=...."
    )


def text_grid(lines: list[str], separator: str | None, name: str) -> np.ndarray:
    """Every cell as stripped text, an object array of rows x columns."""
    if separator is None:
        rows = [[line.strip().strip('"')] for line in lines]
    else:
        rows = [[cell.strip() for cell in row] for row in _rows(lines, separator)]
        if len(rows) > 1 and len(rows[0]) == len(rows[1]) - 1:  # R's write.table: no name
            rows[0] = ["", *rows[0]]  # above the row names
        widths = np.array([len(row) for row in rows])
        ragged = np.flatnonzero(widths != widths[0])
        if ragged.size:
            raise TableReadError(
                f"{name}: lines {few(ragged + 1)} have {widths[ragged[0]]} fields where the "
                f"first has {widths[0]}; check for separators inside names, or pass sep=...."
            )
    grid = np.empty((len(rows), len(rows[0])), dtype=object)
    grid[:] = rows
    return grid


def _rows(lines: list[str], separator: str):
    """Return a csv reader over ``lines`` (white space: runs of blanks)."""
    if separator == " ":
        return csv.reader((line.strip() for line in lines), delimiter=" ", skipinitialspace=True)
    return csv.reader(lines, delimiter=separator)


def decimal_mark(grid: np.ndarray, name: str) -> str:
    """Return the decimal mark: a comma when numbers are written so and none with a point."""
    sample = grid[:_SNIFF_LINES].ravel()
    parsed = pd.to_numeric(pd.Series(sample, dtype=object), errors="coerce").to_numpy(float)
    commas = [c for c in sample[np.isnan(parsed)] if _COMMA_NUMBER.match(c)]
    if not commas:
        return "."
    points = [c for c in sample[~np.isnan(parsed)] if "." in c]
    if points:
        raise TableReadError(
            f"{name} mixes decimal marks: {commas[0]!r} and {points[0]!r}; "
            "pass decimal=',' or decimal='.'."
        )
    return ","


def cell_kinds(grid: np.ndarray, decimal: str) -> tuple[np.ndarray, np.ndarray]:
    """Each cell's number (NaN when missing or text) and whether it is text."""
    flat = grid.ravel()
    if decimal == ",":
        flat = np.array([cell.replace(",", ".") for cell in flat], dtype=object)
    # pandas' parser reads plain decimal numbers, exponents and inf only (not "1_000", "0x1")
    numbers = pd.to_numeric(pd.Series(flat, dtype=object), errors="coerce").to_numpy(float)
    is_text = np.zeros(flat.size, dtype=bool)
    for i in np.flatnonzero(np.isnan(numbers)):  # few: the missing cells and the text
        cell = flat[i]
        is_text[i] = bool(cell) and cell.lower() not in MISSING_TOKENS
    return numbers.reshape(grid.shape), is_text.reshape(grid.shape)
