"""Example files for Chapter 6: a region table as another tool would write it.

:func:`example_region_table` re-saves the book's real Desikan-Killiany-83
expression the way the ENIGMA toolbox names regions (``L_bankssts``,
``Laccumb``), without the brainstem (ENIGMA has none), with
:data:`EXAMPLE_GENES` of its 15,633 genes in another order and two regions
without values, as tables from other pipelines often are. It is an EXAMPLE
built from the book's own data, and says so in its file name; a reader's
table takes its place.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import data_folder
from ..storage import atomic_path
from .parcels import load_ahba_dk83

#: ENIGMA toolbox short names of the Desikan-Killiany subcortical regions.
ENIGMA_SUBCORTEX = {
    "accumbensarea": "accumb",
    "amygdala": "amyg",
    "caudate": "caud",
    "hippocampus": "hippo",
    "pallidum": "pal",
    "putamen": "put",
    "thalamusproper": "thal",
}
#: Genes the example keeps (of 15,633, drawn at random): other pipelines keep other genes.
EXAMPLE_GENES = 10_000
#: The regions the example leaves without values (to show how missing rows are handled).
EMPTY_REGIONS = ("L_cuneus", "R_lateraloccipital")


def enigma_name(name: str) -> str:
    """Name a DK-83 region (``L_accumbensarea``) as the ENIGMA toolbox does (``Laccumb``).

    Examples
    --------
    >>> enigma_name("L_bankssts"), enigma_name("R_thalamusproper")
    ('L_bankssts', 'Rthal')
    """
    side, _, region = name.partition("_")
    return f"{side}{ENIGMA_SUBCORTEX[region]}" if region in ENIGMA_SUBCORTEX else name


def example_region_table(data_dir: str | os.PathLike | None = None, random_state: int = 0) -> Path:
    """Write (once) and return the EXAMPLE region table built from the book's DK-83 data.

    82 rows (no brainstem) named the ENIGMA way, a ``label`` column first,
    then :data:`EXAMPLE_GENES` of the 15,633 genes in a shuffled order; the
    rows of :data:`EMPTY_REGIONS` are empty.
    """
    name = f"example_dk83_enigma_{EXAMPLE_GENES}_genes_from_book_data.csv"
    path = data_folder("your-data", data_dir) / name
    if path.exists():
        return path
    dk83 = load_ahba_dk83(data_dir)
    keep = np.flatnonzero(np.asarray(dk83.sample_ids) != "brainstem")
    order = np.random.default_rng(random_state).permutation(dk83.n_genes)[:EXAMPLE_GENES]
    table = pd.DataFrame(
        dk83.expression[np.ix_(keep, order)], columns=np.asarray(dk83.genes)[order]
    )
    names = [enigma_name(dk83.sample_ids[i]) for i in keep]
    table.loc[[names.index(region) for region in EMPTY_REGIONS], :] = np.nan
    table.insert(0, "label", names)
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False, float_format="%.6g")
    return path


__all__ = ["EMPTY_REGIONS", "EXAMPLE_GENES", "enigma_name", "example_region_table"]
