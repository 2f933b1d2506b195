"""What a read table's rows and columns are: samples or genes, symbols or spreadsheet dates.

:func:`~ct_helpers.data.reading.read_table` puts every cell where the file has
it; these checks decide what the rows and columns *mean* before a loader
uses them, shared by expression tables and target tables:

* :func:`names_brain_regions` tells a table whose columns are regions (genes
  or maps as rows, the other orientation) from one whose rows are;
* :func:`date_like_symbols` finds gene symbols a spreadsheet turned into dates
  (``SEPT2`` -> ``Sep-02``, ``MARCH1`` -> ``1-Mar`` or ``2001-03-01``), which
  :func:`check_no_dates` refuses by name or drops on request.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from ..messages import few
from .reading import TableReadError
from .regions import region_key

logger = logging.getLogger(__name__)

_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)"
_DATE_PATTERNS = (
    re.compile(rf"^{_MONTH}[-/ ]\d{{1,2}}$", re.IGNORECASE),  # Sep-02, Mar 1
    re.compile(rf"^\d{{1,2}}[-/ ]{_MONTH}$", re.IGNORECASE),  # 2-Sep, 1-Mar
    re.compile(r"^\d{4}-\d{2}-\d{2}( 00:00:00)?$"),  # 2002-09-01 (Excel's date cell)
    re.compile(r"^\d{1,2}/\d{1,2}/\d{2,4}$"),  # 09/01/2002
)
#: Share of column names that must carry a hemisphere for the columns to be taken as regions.
REGION_SHARE = 0.8


def date_like_symbols(names: Sequence[str]) -> list[str]:
    """Return the names that look like dates a spreadsheet made of gene symbols.

    Examples
    --------
    >>> date_like_symbols(["GAD1", "Sep-02", "1-Mar", "MARCH1", "2002-09-01"])
    ['Sep-02', '1-Mar', '2002-09-01']
    """
    return [
        str(name)
        for name in names
        if any(pattern.match(str(name).strip()) for pattern in _DATE_PATTERNS)
    ]


def check_no_dates(genes: Sequence[str], source: str, drop: bool = False) -> list[str]:
    """Refuse gene symbols that are spreadsheet dates, or (``drop=True``) return the others.

    Raises
    ------
    TableReadError
        Naming the columns, how they came about and the two ways out.

    Examples
    --------
    >>> check_no_dates(["GAD1", "Sep-02"], "mine.csv", drop=True)
    ['GAD1']
    """
    dates = date_like_symbols(genes)
    if not dates:
        return list(genes)
    if not drop:
        raise TableReadError(
            f"{source}: {len(dates)} gene columns are named like dates ({few(dates)}): a "
            "spreadsheet turned gene symbols into dates (SEPT2 -> 'Sep-02', MARCH1 -> '1-Mar'; "
            "HGNC now names them SEPTIN2, MARCHF1). Restore the symbols in the file, or pass "
            "mangled_genes='drop' to leave those columns out."
        )
    logger.warning(
        "%s: left out %d gene columns named like dates: %s.", source, len(dates), few(dates)
    )
    return [gene for gene in genes if gene not in set(dates)]


#: What no gene symbol holds: an underscore, white space, brackets, a slash, a leading digit.
_NOT_A_SYMBOL = re.compile(r"[_\s()\[\]/]|^\d")


def check_gene_like(genes: Sequence[str], source: str) -> None:
    """Refuse a few numeric columns named unlike any gene symbol (``volume_mm3``, ``age (y)``).

    Such a column is a measurement that would silently become a "gene". Where
    most columns are named so, the table uses another naming (probe ids) and
    is left alone.

    Raises
    ------
    TableReadError
        Naming the columns and the way out (``info_columns=[...]``).

    Examples
    --------
    >>> check_gene_like(["GAD1", "PVALB", "SST"], "mine.csv")
    >>> check_gene_like(["GAD1", "PVALB", "volume_mm3"], "mine.csv")
    Traceback (most recent call last):
    ...
    ct_helpers.data.text_cells.TableReadError: mine.csv: 1 numeric columns are not named like \
gene symbols (volume_mm3): a measurement of each sample? Keep it as sample information \
with info_columns=['volume_mm3'], or leave it out of the file.
    """
    odd = [str(gene) for gene in genes if _NOT_A_SYMBOL.search(str(gene))]
    if odd and len(odd) < len(genes) / 2:
        raise TableReadError(
            f"{source}: {len(odd)} numeric columns are not named like gene symbols "
            f"({few(odd)}): a measurement of each sample? Keep it as sample information with "
            f"info_columns={odd[:5]!r}, or leave it out of the file."
        )


def names_brain_regions(names: Sequence[str]) -> bool:
    """Whether most names carry a hemisphere, as region names do and gene symbols do not.

    Examples
    --------
    >>> names_brain_regions(["L_bankssts", "ctx-rh-insula", "Left-Thalamus-Proper"])
    True
    >>> names_brain_regions(["GAD1", "L1CAM", "HTR1A"])
    False
    """
    names = [str(name) for name in names]
    if not names:
        return False
    sided = sum(bool(region_key(name)[0]) for name in names)
    return sided >= REGION_SHARE * len(names)


__all__ = ["REGION_SHARE", "check_no_dates", "date_like_symbols", "names_brain_regions"]
