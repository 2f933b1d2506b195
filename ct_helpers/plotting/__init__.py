"""Plotting: the book's figures, one palette, brain maps on the MNI template.

Split by what is drawn: :mod:`~ct_helpers.plotting.theme` (the palette every
chapter shares), :mod:`~ct_helpers.plotting.brain` (brain maps, nilearn),
:mod:`~ct_helpers.plotting.embeddings` (codes coloured by anatomy),
:mod:`~ct_helpers.plotting.curves` (value distributions, reconstructions,
metrics by k), :mod:`~ct_helpers.plotting.training` (learning curves),
:mod:`~ct_helpers.plotting.summaries` (distributions and per-domain summaries,
seaborn), :mod:`~ct_helpers.plotting.interpretation` (cell-type enrichment,
layer profiles). Chapters call them as ``plotting.plot_...``.
"""

from .brain import plot_brain_map, plot_split, view_brain_map
from .curves import (
    coherence_label_columns,
    plot_coherence_by_k,
    plot_metric_by_k,
    plot_reconstruction_bars,
    plot_reconstruction_density,
    plot_value_histogram,
)
from .embeddings import anatomical_groups, plot_embedding
from .interpretation import plot_enrichment_calibration, plot_enrichment_heatmap, plot_layer_profile
from .summaries import (
    plot_cv_comparison,
    plot_domain_summary,
    plot_gene_r2,
    plot_null_calibration,
    plot_null_calibration_grid,
)
from .theme import GROUP_COLOURS, METHOD_COLOURS, group_colours, use_book_theme
from .training import plot_learning_curves, plot_validation_curves

__all__ = [
    "GROUP_COLOURS",
    "METHOD_COLOURS",
    "anatomical_groups",
    "coherence_label_columns",
    "group_colours",
    "plot_brain_map",
    "view_brain_map",
    "plot_coherence_by_k",
    "plot_cv_comparison",
    "plot_domain_summary",
    "plot_embedding",
    "plot_enrichment_calibration",
    "plot_enrichment_heatmap",
    "plot_layer_profile",
    "plot_gene_r2",
    "plot_learning_curves",
    "plot_metric_by_k",
    "plot_null_calibration",
    "plot_null_calibration_grid",
    "plot_reconstruction_bars",
    "plot_reconstruction_density",
    "plot_split",
    "use_book_theme",
    "plot_validation_curves",
    "plot_value_histogram",
]
