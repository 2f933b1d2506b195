"""The book's palette: one colour per method and per anatomical group, in every chapter."""

from __future__ import annotations

import pandas as pd
import seaborn as sns
from matplotlib import colormaps, colors

#: One colour per method, used in every chapter.
METHOD_COLOURS = {
    "pca": "#1f77b4",
    "kpca": "#17becf",
    "nmf": "#2ca02c",
    "tsne": "#9467bd",
    "umap": "#ff7f0e",
    "autoencoder": "#d62728",
    "coordinates": "#7f7f7f",
    "all genes": "#000000",
}

#: Colours of anatomical groups (hemispheres, structures, lobes, Yeo networks).
GROUP_COLOURS = {
    "L": "#4c72b0",
    "R": "#dd8452",
    "B": "#55a868",
    "cortex": "#4c72b0",
    "subcortex": "#da8bc3",
    "brainstem": "#8c8c8c",
    "frontal": "#4c72b0",
    "parietal": "#dd8452",
    "temporal": "#55a868",
    "occipital": "#c44e52",
    "cingulate": "#8172b3",
    "insula": "#937860",
    "Vis": "#781286",
    "SomMot": "#4682b4",
    "DorsAttn": "#00760e",
    "SalVentAttn": "#c43afa",
    "Limbic": "#dcf8a4",
    "Cont": "#e69422",
    "Default": "#cd3e4e",
    # domains of target maps (Chapter 5)
    "excitatory receptors": "#d62728",
    "inhibitory receptors": "#1f77b4",
    "transporters": "#9467bd",
    "synaptic density": "#8c564b",
    "metabolism": "#e377c2",
    "myelination": "#2ca02c",
    "morphology": "#7f7f7f",
    "function": "#ff7f0e",
    "microstructure": "#17becf",
}


def group_colours(names: list[str]) -> dict[str, str]:
    """One distinct colour per group name: the book's colour where it has one, else tab20's.

    Names of your own (a parcellation's networks, say) get tab20 colours that no
    other group in ``names`` already uses.

    Examples
    --------
    >>> group_colours(["frontal", "my region"])["frontal"]
    '#4c72b0'
    """
    chosen = {name: GROUP_COLOURS[name] for name in names if name in GROUP_COLOURS}
    spare = (colors.to_hex(c) for c in colormaps["tab20"].colors)
    taken = set(chosen.values())
    for name in names:
        if name not in chosen:
            colour = next((c for c in spare if c not in taken), "#000000")
            chosen[name] = colour
            taken.add(colour)
    return {name: chosen[name] for name in names}


def use_book_theme() -> None:
    """Set the book's seaborn theme for statistical figures (chapters call it once).

    A white grid at notebook scale with the method palette as the default
    colour cycle; brain maps are drawn by nilearn and keep their own style.
    Tables show each cell's whole text (pandas' ``display.max_colwidth``), so a
    page wraps it instead of cutting it with "...".

    Examples
    --------
    >>> use_book_theme()
    >>> pd.get_option("display.max_colwidth") is None
    True
    """
    pd.set_option("display.max_colwidth", None)
    sns.set_theme(
        context="notebook",
        style="whitegrid",
        font_scale=0.9,
        palette=list(METHOD_COLOURS.values()),
        rc={"figure.dpi": 100, "savefig.dpi": 100},
    )
